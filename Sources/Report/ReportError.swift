import Foundation

/// What stops a report; each case names the stage, file or option at fault in one sentence.
public enum ReportError: Error, CustomStringConvertible, Equatable {
    case badSpec(String)
    case stageFailed(stage: String, status: Int32, command: String)
    case changedStage(stage: String, marker: String)
    case missingResult(stage: String, path: String)
    case badResult(path: String, reason: String)

    public var description: String {
        switch self {
        case let .badSpec(what): return "report spec: \(what)"
        case let .stageFailed(stage, status, command):
            return "stage \(stage) failed (exit \(status)); its command was: \(command)"
        case let .changedStage(stage, marker):
            return "stage \(stage) finished earlier with other options (\(marker)); give another --work, or delete that marker (and the stage's output) to redo it"
        case let .missingResult(stage, path): return "stage \(stage) finished but \(path) is missing"
        case let .badResult(path, reason): return "\(path): \(reason)"
        }
    }
}
