import Foundation
import Storage

/// Reads unquoted tab-separated files line by line.
///
/// - Lines end in "\n" or "\r\n"; a missing final newline is fine; blank lines at the end are ignored.
/// - Fields are split on every "\t" (no quoting: quotes inside fields are kept as-is).
/// - Text is UTF-8 (a leading BOM is dropped). A line that is not valid UTF-8 — and only that line, so one stray
///   byte changes nothing else — is decoded as Windows-1252, byte by byte, deterministically (bytes undefined in
///   Windows-1252 map to U+0081, U+008D, U+008F, U+0090, U+009D, i.e. as Latin-1); `windows1252Lines` lists them
///   for the caller's warning. A file written in Windows-1252 thus reads as before, line by line.
/// - Fields are decoded to `String` only when asked for, so unused columns (MNLI parse trees) cost nothing.
struct TSVReader {
    struct Row {
        /// 1-based line number in the file.
        let line: Int
        fileprivate let slices: [ArraySlice<UInt8>]

        var count: Int { slices.count }
        subscript(_ i: Int) -> String { String(decoding: slices[i], as: UTF8.self) }
        var last: String { self[slices.count - 1] }
        var fields: [String] { slices.map { String(decoding: $0, as: UTF8.self) } }
    }

    let path: String
    private let bytes: [UInt8]
    /// The 1-based numbers of the lines that were not valid UTF-8 and were decoded as Windows-1252.
    let windows1252Lines: [Int]
    /// True when some line was decoded as Windows-1252.
    var decodedAsWindows1252: Bool { !windows1252Lines.isEmpty }

    init(url: URL) throws {
        path = url.path
        var raw: [UInt8]
        do {
            raw = [UInt8](try Data(contentsOf: url, options: .mappedIfSafe))
        } catch {
            throw DatasetError.unreadable(file: url.path, reason: IOErrorText.reason(error))
        }
        if raw.starts(with: [0xEF, 0xBB, 0xBF]) { raw.removeFirst(3) }
        if TSVReader.isValidUTF8(raw) {
            bytes = raw
            windows1252Lines = []
        } else {
            (bytes, windows1252Lines) = TSVReader.decodeLines(raw)
        }
    }

    /// Calls `body` for each line (header included), in order.
    func forEachRow(_ body: (Row) throws -> Void) rethrows {
        // Trailing blank lines (including the empty piece after a final newline) are not rows.
        var end = bytes.count
        while end > 0 && (bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D) { end -= 1 }
        guard end > 0 else { return }
        // Line and field boundaries, found with memchr (fast in debug builds too).
        var lineStarts: [Int] = [0]
        var tabs: [Int] = []
        bytes.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!)
            var offset = 0
            while offset < end, let hit = memchr(base + offset, 0x0A, end - offset) {
                offset = UnsafeRawPointer(hit) - base + 1
                lineStarts.append(offset)
            }
            offset = 0
            while offset < end, let hit = memchr(base + offset, 0x09, end - offset) {
                let position = UnsafeRawPointer(hit) - base
                tabs.append(position)
                offset = position + 1
            }
        }
        lineStarts.append(end + 1)  // sentinel: one past the (virtual) final newline
        var tab = 0
        for line in 0..<(lineStarts.count - 1) {
            let start = lineStarts[line]
            var lineEnd = lineStarts[line + 1] - 1
            if lineEnd > start && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            var slices: [ArraySlice<UInt8>] = []
            var fieldStart = start
            while tab < tabs.count && tabs[tab] < lineEnd {
                slices.append(bytes[fieldStart..<tabs[tab]])
                fieldStart = tabs[tab] + 1
                tab += 1
            }
            // (Defensive: no tab can lie between lineEnd and the next line start, which hold only "\r".)
            while tab < tabs.count && tabs[tab] < lineStarts[line + 1] { tab += 1 }
            slices.append(bytes[fieldStart..<lineEnd])
            try body(Row(line: line + 1, slices: slices))
        }
    }

    /// Each line kept as it is when valid UTF-8, else converted from Windows-1252; with the converted lines' numbers.
    static func decodeLines(_ raw: [UInt8]) -> (bytes: [UInt8], converted: [Int]) {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count + raw.count / 8)
        var converted: [Int] = []
        var start = 0, line = 1
        while start <= raw.count {
            let end = raw[start...].firstIndex(of: 0x0A) ?? raw.count
            let piece = Array(raw[start..<end])
            if isValidUTF8(piece) { out += piece } else { out += windows1252ToUTF8(piece); converted.append(line) }
            if end < raw.count { out.append(0x0A) }
            start = end + 1
            line += 1
        }
        return (out, converted)
    }

    static func isValidUTF8(_ raw: [UInt8]) -> Bool {
        String(bytes: raw, encoding: .utf8) != nil
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
