import ArgumentParser

/// float32 or float64: the type a command computes in.
enum DType: String, ExpressibleByArgument, CaseIterable, Codable {
    case float32, float64
}

/// The split a probe's objective is taken on.
enum ProbeSplit: String, ExpressibleByArgument, CaseIterable, Codable {
    case train, dev
}
