import Foundation

/// The project's one CSV codec: tidy tables (a header row, then one record per line) as RFC 4180 — a field holding a
/// comma, quote or line break is quoted, quotes doubled — with numbers at full precision and `nan`, `inf`, `-inf`
/// spelled out, as pandas and numpy read them. Files are read as strict UTF-8 (`StrictUTF8`); every failure names
/// the line of the record at fault, for the caller to put beside the file's path in its own sentence.
public enum TidyCSV {
    /// Why a table could not be read.
    public enum Failure: Error, Equatable {
        /// The file could not be read at all (the reason in a few words).
        case unreadable(reason: String)
        /// The text is not a table: the 1-based line of the record at fault and what is wrong there.
        case malformed(line: Int, reason: String)
    }

    /// A parsed table: the header, the records, and the file line on which each record starts (1-based; the header
    /// is line 1).
    public struct Table: Sendable, Equatable {
        public let header: [String]
        public let rows: [[String]]
        public let lines: [Int]
    }

    // MARK: Numbers

    /// Full precision (the shortest decimal that reads back as the same Double); `nan`, `inf`, `-inf` for the
    /// non-finite values.
    public static func number(_ v: Double) -> String {
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        return "\(v)"
    }

    /// As `number`, and the empty cell for nil.
    public static func number(_ v: Double?) -> String {
        v.map(number) ?? ""
    }

    /// A cell as a number: `nan`, `inf`, `-inf` or a decimal; nil for anything else (the empty cell included).
    public static func parseNumber<S: StringProtocol>(_ s: S) -> Double? {
        switch s {
        case "nan": return .nan
        case "inf": return .infinity
        case "-inf": return -.infinity
        default: return Double(String(s))
        }
    }

    // MARK: Writing

    /// A field as written: quoted (quotes doubled) when it holds a comma, quote or line break.
    public static func field(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    /// One record, without its newline.
    public static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",")
    }

    /// A whole table's text: the header, then every row, each line ended by a newline.
    public static func text(header: [String], rows: [[String]]) -> String {
        ([header] + rows).map(line).joined(separator: "\n") + "\n"
    }

    // MARK: Reading

    /// The fields of one line written by `line` (a record without line breaks in its fields).
    public static func fields(_ line: Substring) -> [String] {
        var fields: [String] = [], current = "", quoted = false
        var it = line.makeIterator()
        while let c = it.next() {
            if quoted {
                if c == "\"" {
                    if let n = it.next() {
                        if n == "\"" { current.append("\"") } else { quoted = false; if n == "," { fields.append(current); current = "" } else { current.append(n) } }
                    } else { quoted = false }
                } else { current.append(c) }
            } else if c == "," { fields.append(current); current = "" } else if c == "\"" && current.isEmpty { quoted = true } else { current.append(c) }
        }
        fields.append(current)
        return fields
    }

    /// The text of a table file, which must be UTF-8: a stray byte is a failure naming its line, shown as `\xHH`.
    public static func decode(_ data: Data) -> Result<String, Failure> {
        StrictUTF8.decode(data).mapError { .malformed(line: $0.line, reason: "holds bytes that are not UTF-8: '\($0.excerpt)'") }
    }

    /// Reads and parses a table file (strict UTF-8, then `parse`).
    public static func read(_ url: URL) throws -> Table {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw Failure.unreadable(reason: IOErrorText.reason(error)) }
        return try parse(try decode(data).get())
    }

    /// Parses RFC 4180 text: a leading byte-order mark is dropped, lines end in LF or CRLF, quoted fields may hold
    /// commas, doubled quotes and line breaks, and blank lines are no records. The header must name each column
    /// once, and every record must have as many fields as the header.
    public static func parse(_ text: String) throws -> Table {
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
                guard field.isEmpty else { throw Failure.malformed(line: line, reason: "a quote inside an unquoted field") }
                quoted = true; fieldWasQuoted = true
            } else if c == "," {
                record.append(field); field = ""; fieldWasQuoted = false
            } else if c == "\n" || c == "\r" {
                if c == "\r" && i + 1 < scalars.count && scalars[i + 1] == "\n" { i += 1 }
                endRecord()
                line += 1
                recordStart = line
            } else {
                if fieldWasQuoted { throw Failure.malformed(line: line, reason: "text after a closing quote") }
                field.unicodeScalars.append(c)
            }
            i += 1
        }
        if quoted { throw Failure.malformed(line: recordStart, reason: "a quoted field is never closed") }
        if !field.isEmpty || !record.isEmpty || fieldWasQuoted { endRecord() }
        guard let header = records.first else { throw Failure.malformed(line: 1, reason: "the file is empty") }
        for (index, name) in header.enumerated() where header[..<index].contains(name) {
            throw Failure.malformed(line: 1, reason: "the column '\(name)' appears twice")
        }
        for (record, start) in zip(records.dropFirst(), starts.dropFirst()) where record.count != header.count {
            throw Failure.malformed(line: start, reason: "\(record.count) fields, but the header has \(header.count)")
        }
        return Table(header: header, rows: Array(records.dropFirst()), lines: Array(starts.dropFirst()))
    }
}
