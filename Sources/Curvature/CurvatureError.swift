/// Why a curvature computation was refused or stopped.
public enum CurvatureError: Error, CustomStringConvertible, Equatable {
    case operatorNotFixed(index: Int, first: Double, second: Double)
    case nonFinite(what: String, batch: Int?)
    case badSelection(String)
    case badRequest(String)
    case memory(String)
    case badFile(path: String, reason: String)

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
        }
    }
}
