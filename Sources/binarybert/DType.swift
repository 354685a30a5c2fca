import ArgumentParser
import Numerics

extension DType: ExpressibleByArgument {}

/// The split a probe's objective is taken on.
enum ProbeSplit: String, ExpressibleByArgument, CaseIterable, Codable {
    case train, dev
}
