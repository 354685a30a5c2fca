import Foundation
import Storage

/// Why a surface scan could not run or be assembled: each case reads as one sentence naming the option, file or
/// tensor at fault.
public enum LandscapeError: Error, CustomStringConvertible, Equatable {
    case badOption(option: String, reason: String)
    case badFile(path: String, reason: String)
    case mismatch(path: String, key: String, stored: String, requested: String)
    case incomplete(path: String, reason: String)

    public var description: String {
        switch self {
        case let .badOption(option, reason): return "\(option) \(reason)"
        case let .badFile(path, reason): return "\(path) \(reason)"
        case let .mismatch(path, key, stored, requested):
            return "\(path) was made with \(key) = \(stored), this run asks for \(requested): rerun with the same options or use another --output"
        case let .incomplete(path, reason): return "\(path): \(reason)"
        }
    }
}

/// Its option case is a usage error.
extension LandscapeError: UsageError {
    public var isUsageError: Bool { if case .badOption = self { true } else { false } }
}
