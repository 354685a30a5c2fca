import Foundation

/// Reads unquoted tab-separated files line by line.
///
/// - Lines end in "\n" or "\r\n"; a missing final newline is fine; blank lines at the end are ignored.
/// - Fields are split on every "\t" (no quoting: quotes inside fields are kept as-is).
/// - Text is UTF-8 (a leading BOM is dropped). Files that are not valid UTF-8 are decoded as
///   Windows-1252, byte by byte, deterministically (bytes undefined in Windows-1252 map to U+0080...U+009F,
///   i.e. as Latin-1).
struct TSVReader {
    struct Row {
        /// 1-based line number in the file.
        let line: Int
        let fields: [String]
    }

    let path: String
    private let bytes: [UInt8]
    /// True when the file was not valid UTF-8 and was decoded as Windows-1252.
    let decodedAsWindows1252: Bool

    init(url: URL) throws {
        path = url.path
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw DatasetError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        var raw = [UInt8](data)
        if raw.starts(with: [0xEF, 0xBB, 0xBF]) { raw.removeFirst(3) }
        if String(bytes: raw, encoding: .utf8) != nil || raw.isEmpty {
            bytes = raw
            decodedAsWindows1252 = false
        } else {
            bytes = TSVReader.windows1252ToUTF8(raw)
            decodedAsWindows1252 = true
        }
    }

    /// Calls `body` for each line (header included), in order.
    func forEachRow(_ body: (Row) throws -> Void) rethrows {
        var lines: [ArraySlice<UInt8>] = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        // Drop trailing blank lines (the empty piece after a final newline, and any extra blank lines).
        while let last = lines.last, last.allSatisfy({ $0 == 0x0D }) { lines.removeLast() }
        for (index, var line) in lines.enumerated() {
            if line.last == 0x0D { line = line.dropLast() }
            let fields = line.split(separator: 0x09, omittingEmptySubsequences: false)
                .map { String(decoding: $0, as: UTF8.self) }
            try body(Row(line: index + 1, fields: fields))
        }
    }

    /// Windows-1252 code points for bytes 0x80...0x9F (0 = undefined: use the Latin-1 code point).
    private static let cp1252High: [UInt32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ]

    static func windows1252ToUTF8(_ raw: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count + raw.count / 8)
        for b in raw {
            if b < 0x80 { out.append(b); continue }
            var cp = UInt32(b)
            if b < 0xA0, cp1252High[Int(b - 0x80)] != 0 { cp = cp1252High[Int(b - 0x80)] }
            UTF8.encode(Unicode.Scalar(cp)!) { out.append($0) }
        }
        return out
    }
}
