import Foundation
import Storage
import Plotting

/// A tidy table (one row per observation) written by the project's CSV codec (`TidyCSV`: RFC 4180, full-precision
/// numbers) and read back by column name: the form of every table the report writes and reads.
public struct TidyTable: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[String]] = []

    public init(columns: [String]) { self.columns = columns }

    public mutating func append(_ values: [String: String]) {
        rows.append(columns.map { values[$0] ?? "" })
    }

    /// Full precision (shortest round trip); `nan`, `inf`, `-inf` for non-finite values; empty for nil.
    public static func number(_ v: Double?) -> String { TidyCSV.number(v) }

    public var text: String { TidyCSV.text(header: columns, rows: rows) }

    public func write(to url: URL) throws { try AtomicFile.write(text, to: url, createParent: true) }

    public static func read(_ url: URL) throws -> TidyTable {
        let t: CSVTable
        do { t = try CSVTable(contentsOf: url) } catch { throw ReportError.badResult(path: url.path, reason: "\(error)") }
        var table = TidyTable(columns: t.header)
        table.rows = t.rows
        try table.checkNumbers(source: url.path)
        return table
    }

    static func parses(_ s: String) -> Bool { TidyCSV.parseNumber(s) != nil }

    /// A column whose cells are numbers holds only numbers (or empty cells): one cell that does not parse (a
    /// corrupted `8.93e-07x`) is refused, naming the file, row and column, instead of being read as nan.
    func checkNumbers(source: String) throws {
        for (c, name) in columns.enumerated() {
            let cells = rows.map { c < $0.count ? $0[c] : "" }
            guard cells.contains(where: { !$0.isEmpty && Self.parses($0) }) else { continue }
            if let bad = cells.firstIndex(where: { !$0.isEmpty && !Self.parses($0) }) {
                let shown = cells[bad].unicodeScalars.map { $0.isASCII && $0.value >= 32 ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined()
                throw ReportError.badResult(path: source, reason: "row \(bad + 2), column \(name): \"\(shown)\" is not a number (the column's other cells are)")
            }
        }
    }

    /// The rows as dictionaries keyed by column.
    public var records: [[String: String]] { rows.map { Dictionary(uniqueKeysWithValues: zip(columns, $0)) } }
}

extension Dictionary where Key == String, Value == String {
    /// The cell as a number (nan for empty or unparsable cells).
    public func number(_ key: String) -> Double {
        self[key].flatMap(TidyCSV.parseNumber) ?? .nan
    }
}
