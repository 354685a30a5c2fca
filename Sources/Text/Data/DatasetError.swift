import Foundation

/// Errors from `Tasks.named` and `DatasetLoader.load`. Row errors name the file and the 1-based line number.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    case unknownTask(name: String, known: [String])
    case unknownSplit(task: String, split: String, allowed: [String])
    /// None of the candidate paths exists.
    case fileNotFound(task: String, split: String, tried: [String])
    case unreadable(file: String, reason: String)
    case tooFewColumns(file: String, line: Int, expected: Int, found: Int)
    /// More columns than the header (or the fixed layout) has: a stray tab would shift the columns.
    case tooManyColumns(file: String, line: Int, expected: Int, found: Int)
    case unknownLabel(file: String, line: Int, label: String, allowed: [String])
    case badValue(file: String, line: Int, value: String)

    public var description: String {
        switch self {
        case .unknownTask(let name, let known):
            return "unknown task '\(name)' (known: \(known.joined(separator: ", ")))"
        case .unknownSplit(let task, let split, let allowed):
            return "unknown split '\(split)' for task \(task) (use \(allowed.joined(separator: " or ")))"
        case .fileNotFound(let task, let split, let tried):
            return "no \(split) file for task \(task); looked for: \(tried.joined(separator: ", "))"
        case .unreadable(let file, let reason):
            return "\(file): cannot read: \(reason)"
        case .tooFewColumns(let file, let line, let expected, let found):
            return "\(file):\(line): malformed row: expected at least \(expected) tab-separated columns, found \(found)"
        case .tooManyColumns(let file, let line, let expected, let found):
            return "\(file):\(line): malformed row: expected \(expected) tab-separated columns, found \(found)"
        case .unknownLabel(let file, let line, let label, let allowed):
            return "\(file):\(line): unknown label '\(label)' (expected one of: \(allowed.joined(separator: ", ")))"
        case .badValue(let file, let line, let value):
            return "\(file):\(line): cannot parse '\(value)' as a number"
        }
    }

    /// The 1-based line number for row errors.
    public var line: Int? {
        switch self {
        case .tooFewColumns(_, let line, _, _), .tooManyColumns(_, let line, _, _), .unknownLabel(_, let line, _, _), .badValue(_, let line, _):
            return line
        default:
            return nil
        }
    }
}
