/// float32 or float64: the type a command computes in.
public enum DType: String, CaseIterable, Codable, Sendable {
    case float32, float64
}
