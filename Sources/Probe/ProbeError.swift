import Foundation
import Storage

/// Why a probe's model, objective or vector file cannot be used: each case reads as one sentence naming the file or
/// option at fault.
public enum ProbeError: Error, CustomStringConvertible, Equatable {
    case badFile(path: String, reason: String)
    case badRequest(String)

    public var description: String {
        switch self {
        case let .badFile(path, reason): return "\(path): \(reason)"
        case let .badRequest(why): return why
        }
    }
}

extension ProbeError: LocalizedError {
    public var errorDescription: String? { description }
}

/// Its option case is a usage error.
extension ProbeError: UsageError {
    public var isUsageError: Bool { if case .badRequest = self { true } else { false } }
}
