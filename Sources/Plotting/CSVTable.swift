import Foundation
import Storage

/// A tidy CSV file (RFC 4180: a header row, then one record per line; quoted fields may hold commas, quotes as "" and
/// line breaks). Errors name the file and the line of the record at fault.
public struct CSVTable: Sendable {
    public let source: String
    public let header: [String]
    public let rows: [[String]]
    /// The file line on which each row starts (1-based, the header is line 1), for error messages.
    public let lines: [Int]

    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw PlottingError.unreadableFile(path: url.path, reason: IOErrorText.reason(error))
        }
        switch StrictUTF8.decode(data) {
        case let .success(text): try self.init(text: text, source: url.path)
        case let .failure(bad):
            throw PlottingError.malformedCSV(path: url.path, line: bad.line, reason: "holds bytes that are not UTF-8: '\(bad.excerpt)'")
        }
    }

    public init(text: String, source: String) throws {
        self.source = source
        var records: [[String]] = []
        var starts: [Int] = []
        var field = "", record: [String] = []
        var quoted = false, fieldWasQuoted = false, line = 1, recordStart = 1
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var i = 0
        func endRecord() {
            record.append(field)
            // A blank line is no record.
            if !(record.count == 1 && record[0].isEmpty && !fieldWasQuoted) {
                records.append(record)
                starts.append(recordStart)
            }
            record = []; field = ""; fieldWasQuoted = false
        }
        while i < scalars.count {
            let c = scalars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < scalars.count && scalars[i + 1] == "\"" { field.unicodeScalars.append("\""); i += 1 } else { quoted = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
            } else if c == "\"" {
                guard field.isEmpty else {
                    throw PlottingError.malformedCSV(path: source, line: line, reason: "a quote inside an unquoted field")
                }
                quoted = true; fieldWasQuoted = true
            } else if c == "," {
                record.append(field); field = ""; fieldWasQuoted = false
            } else if c == "\n" || c == "\r" {
                if c == "\r" && i + 1 < scalars.count && scalars[i + 1] == "\n" { i += 1 }
                endRecord()
                line += 1
                recordStart = line
            } else {
                if fieldWasQuoted {
                    throw PlottingError.malformedCSV(path: source, line: line, reason: "text after a closing quote")
                }
                field.unicodeScalars.append(c)
            }
            i += 1
        }
        if quoted { throw PlottingError.malformedCSV(path: source, line: recordStart, reason: "a quoted field is never closed") }
        if !field.isEmpty || !record.isEmpty || fieldWasQuoted { endRecord() }
        guard let header = records.first else { throw PlottingError.malformedCSV(path: source, line: 1, reason: "the file is empty") }
        for (index, name) in header.enumerated() where header[..<index].contains(name) {
            throw PlottingError.malformedCSV(path: source, line: 1, reason: "the column '\(name)' appears twice")
        }
        for (record, start) in zip(records.dropFirst(), starts.dropFirst()) where record.count != header.count {
            throw PlottingError.malformedCSV(path: source, line: start,
                                             reason: "\(record.count) fields, but the header has \(header.count)")
        }
        self.header = header
        self.rows = Array(records.dropFirst())
        self.lines = Array(starts.dropFirst())
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
