import Foundation
import Storage

/// What can go wrong reading plot data or writing a figure; every case names the file (and line, column) at fault.
public enum PlottingError: Error, CustomStringConvertible, Equatable {
    case unreadableFile(path: String, reason: String)
    case malformedCSV(path: String, line: Int, reason: String)
    case unknownColumn(path: String, column: String, available: [String])
    case notANumber(path: String, line: Int, column: String, value: String)
    case notPositive(path: String, line: Int, column: String, value: String)
    case noData(String)
    case badData(String)
    /// An option of a figure that cannot be drawn (named as `binarybert plot` spells it).
    case badOption(String)

    public var description: String {
        switch self {
        case let .unreadableFile(path, reason): return "cannot read \(path): \(reason)"
        case let .malformedCSV(path, line, reason): return "\(path):\(line): \(reason)"
        case let .unknownColumn(path, column, available):
            return "\(path): no column '\(column)' (the header has: \(available.joined(separator: ", ")))"
        case let .notANumber(path, line, column, value): return "\(path):\(line): column '\(column)' holds '\(value)', not a number"
        case let .notPositive(path, line, column, value):
            return "\(path):\(line): column '\(column)' holds \(value), which a log2 axis cannot place (it needs positive values)"
        case let .noData(what): return "nothing to plot: \(what)"
        case let .badData(what): return "cannot plot: \(what)"
        case let .badOption(what): return what
        }
    }
}

/// Its option case is a usage error.
extension PlottingError: UsageError {
    public var isUsageError: Bool { if case .badOption = self { true } else { false } }
}
