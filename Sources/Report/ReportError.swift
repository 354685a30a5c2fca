import Foundation

/// What stops a report; each case names the stage, file or option at fault in one sentence.
public enum ReportError: Error, CustomStringConvertible, Equatable {
    case badSpec(String)
    case stageFailed(stage: String, status: Int32, command: String)
    case changedStage(stage: String, marker: String)
    case missingResult(stage: String, path: String)
    case badResult(path: String, reason: String)
    case unknownStage(stage: String, example: String)
    case unfinishedInput(stage: String, input: String)
    case changedPlan(expected: String, actual: String)
    case otherWorkflow(directory: String, reason: String)

    public var description: String {
        switch self {
        case let .badSpec(what): return "report spec: \(what)"
        case let .stageFailed(stage, status, command):
            return "stage \(stage) failed (exit \(status)); its command was: \(command)"
        case let .changedStage(stage, marker):
            return "stage \(stage) finished earlier with other options (\(marker)); give another --work, or delete that marker (and the stage's output) to redo it"
        case let .missingResult(stage, path): return "stage \(stage) finished but \(path) is missing"
        case let .badResult(path, reason): return "\(path): \(reason)"
        case let .unknownStage(stage, example):
            return "--run-stage \(stage) is no stage of this plan (its ids are those of --dry-run, e.g. \(example))"
        case let .unfinishedInput(stage, input):
            return "stage \(stage) reads the output of stage \(input), which has not finished (run that stage first)"
        case let .changedPlan(expected, actual):
            return "the workflow was written for plan \(expected.prefix(12)) but this spec now gives plan \(actual.prefix(12)) (the spec, an option or binarybert changed); restore the spec, or write the workflow again with --workflow into a new --workflow-dir"
        case let .otherWorkflow(directory, reason):
            return "--workflow-dir \(directory) \(reason); give another --workflow-dir or delete it"
        }
    }
}
