import Foundation

/// Text that must be UTF-8 (tidy CSVs, specs): decoded strictly, so that a stray byte is reported where it is rather
/// than turned into U+FFFD and compared as if it were text. The excerpt shows the offending line with every byte that
/// is not printable ASCII or valid UTF-8 escaped as `\xHH`.
public enum StrictUTF8 {
    public struct Invalid: Error, Equatable {
        /// 1-based line of the first invalid byte.
        public let line: Int
        /// That line, invalid bytes as `\xHH`, at most 80 characters around the first of them.
        public let excerpt: String
    }

    public static func decode(_ data: Data) -> Result<String, Invalid> {
        let bytes = [UInt8](data)
        guard let bad = firstInvalidOffset(bytes) else { return .success(String(decoding: bytes, as: UTF8.self)) }
        let lineStart = bytes[..<bad].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        let lineEnd = bytes[bad...].firstIndex(of: 0x0A) ?? bytes.count
        let line = 1 + bytes[..<lineStart].filter { $0 == 0x0A }.count
        let from = max(lineStart, bad - 40), to = min(lineEnd, bad + 40)
        return .failure(Invalid(line: line, excerpt: (from > lineStart ? "…" : "") + escaped(Array(bytes[from..<to])) + (to < lineEnd ? "…" : "")))
    }

    /// `bytes` as text: valid UTF-8 sequences of printable characters kept, everything else as `\xHH`.
    public static func escaped(_ bytes: [UInt8]) -> String {
        var out = ""
        var i = 0
        while i < bytes.count {
            let n = sequenceLength(bytes, at: i)
            if n > 0, let s = String(bytes: bytes[i..<(i + n)], encoding: .utf8),
               !(n == 1 && (bytes[i] < 0x20 || bytes[i] == 0x7F)) {
                out += s
                i += n
            } else {
                out += String(format: "\\x%02X", bytes[i])
                i += 1
            }
        }
        return out
    }

    /// The offset of the first byte that does not start (or continue) a valid UTF-8 sequence.
    static func firstInvalidOffset(_ bytes: [UInt8]) -> Int? {
        var i = 0
        while i < bytes.count {
            let n = sequenceLength(bytes, at: i)
            if n == 0 { return i }
            i += n
        }
        return nil
    }

    /// The length of the valid UTF-8 sequence starting at `i` (1–4), or 0 when none starts there (overlong forms,
    /// surrogates and code points above U+10FFFF are invalid).
    static func sequenceLength(_ b: [UInt8], at i: Int) -> Int {
        let c = b[i]
        func cont(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool { i + k < b.count && b[i + k] >= lo && b[i + k] <= hi }
        switch c {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: return cont(1) ? 2 : 0
        case 0xE0: return cont(1, 0xA0) && cont(2) ? 3 : 0
        case 0xE1...0xEC, 0xEE...0xEF: return cont(1) && cont(2) ? 3 : 0
        case 0xED: return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0
        case 0xF0: return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0
        case 0xF1...0xF3: return cont(1) && cont(2) && cont(3) ? 4 : 0
        case 0xF4: return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0
        default: return 0
        }
    }
}
