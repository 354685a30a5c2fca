import Foundation

/// Reads unquoted tab-separated files line by line.
///
/// - Lines end in "\n" or "\r\n"; a missing final newline is fine; blank lines at the end are ignored.
/// - Fields are split on every "\t" (no quoting: quotes inside fields are kept as-is).
/// - Text is UTF-8 (a leading BOM is dropped). Files that are not valid UTF-8 are decoded as
///   Windows-1252, byte by byte, deterministically (bytes undefined in Windows-1252 map to U+0081, U+008D,
///   U+008F, U+0090, U+009D, i.e. as Latin-1).
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
    /// True when the file was not valid UTF-8 and was decoded as Windows-1252.
    let decodedAsWindows1252: Bool

    init(url: URL) throws {
        path = url.path
        var raw: [UInt8]
        do {
            raw = [UInt8](try Data(contentsOf: url, options: .mappedIfSafe))
        } catch {
            throw DatasetError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        if raw.starts(with: [0xEF, 0xBB, 0xBF]) { raw.removeFirst(3) }
        if TSVReader.isValidUTF8(raw) {
            bytes = raw
            decodedAsWindows1252 = false
        } else {
            bytes = TSVReader.windows1252ToUTF8(raw)
            decodedAsWindows1252 = true
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
