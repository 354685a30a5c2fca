import Storage

/// Why a curvature computation was refused or stopped.
public enum CurvatureError: Error, CustomStringConvertible, Equatable {
    case operatorNotFixed(index: Int, first: Double, second: Double)
    case nonFinite(what: String, batch: Int?)
    case badSelection(String)
    case badRequest(String)
    case memory(String)
    case badFile(path: String, reason: String)
    /// A curvature object the model or objective cannot have (a GGN without logits, steps without a quantizer).
    case unsupported(String)
    /// A diagonal scaling D with a zero (or non-finite) entry: D·A·D would be singular there.
    case badScale(String)

    public var description: String {
        switch self {
        case let .operatorNotFixed(i, a, b):
            return "the operator is not a fixed function: two applications to the same vector differ at entry \(i) (\(a) vs \(b)); "
                + "probes need eval mode, fixed batches and frozen quantizers"
        case let .nonFinite(what, batch):
            return "non-finite \(what)" + (batch.map { " on batch \($0) of the objective" } ?? "")
        case let .badSelection(why): return "bad selection: \(why)"
        case let .badRequest(why): return why
        case let .memory(why): return why
        case let .badFile(path, reason): return "\(path): \(reason)"
        case let .unsupported(why): return why
        case let .badScale(why): return why
        }
    }
}

/// Its option case is a usage error.
extension CurvatureError: UsageError {
    public var isUsageError: Bool { if case .badRequest = self { true } else { false } }
}
