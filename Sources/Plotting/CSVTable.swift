import Foundation
import Storage

/// A tidy CSV file read by the project's codec (`TidyCSV`: RFC 4180, strict UTF-8), with its columns looked up by
/// name and its cells read as numbers. Errors name the file and the line of the record at fault.
public struct CSVTable: Sendable {
    public let source: String
    public let header: [String]
    public let rows: [[String]]
    /// The file line on which each row starts (1-based, the header is line 1), for error messages.
    public let lines: [Int]

    public init(contentsOf url: URL) throws {
        do { self.init(source: url.path, table: try TidyCSV.read(url)) } catch let failure as TidyCSV.Failure {
            throw Self.error(failure, source: url.path)
        }
    }

    public init(text: String, source: String) throws {
        do { self.init(source: source, table: try TidyCSV.parse(text)) } catch let failure as TidyCSV.Failure {
            throw Self.error(failure, source: source)
        }
    }

    init(source: String, table: TidyCSV.Table) {
        self.source = source
        header = table.header
        rows = table.rows
        lines = table.lines
    }

    /// The codec's failure as this module's sentence, naming the file.
    static func error(_ failure: TidyCSV.Failure, source: String) -> PlottingError {
        switch failure {
        case let .unreadable(reason): return .unreadableFile(path: source, reason: reason)
        case let .malformed(line, reason): return .malformedCSV(path: source, line: line, reason: reason)
        }
    }

    /// The index of the column `name`.
    public func column(_ name: String) throws -> Int {
        guard let index = header.firstIndex(of: name) else {
            throw PlottingError.unknownColumn(path: source, column: name, available: header)
        }
        return index
    }

    /// The value of column `column` in row `row` as a number; an empty cell (or NaN, nan) is NaN.
    public func number(row: Int, column: Int) throws -> Double {
        let text = rows[row][column].trimmingCharacters(in: .whitespaces)
        if text.isEmpty { return .nan }
        guard let value = Double(text) else {
            throw PlottingError.notANumber(path: source, line: lines[row], column: header[column], value: text)
        }
        return value
    }
}
