import Foundation
import Storage

/// Example files for `tokenize` and `forward`: one example per line, a tab separating the two sentences of a pair.
public enum InputLines {
    /// The lines of `path` ("-" = standard input). A final line without "\n" counts; a trailing "\n" does not start
    /// an extra empty line; a "\r" before the "\n" is dropped.
    public static func read(_ path: String) throws -> [String] {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            let url = URL(fileURLWithPath: path)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw TextError.fileNotFound(path: url.path)
            }
            do { data = try Data(contentsOf: url) } catch {
                throw TextError.unreadableFile(path: url.path, reason: IOErrorText.reason(error))
            }
        }
        var lines: [String] = []
        let bytes = [UInt8](data)
        var start = 0
        func emit(_ end: Int) {
            var e = end
            if e > start && bytes[e - 1] == 0x0D { e -= 1 }
            lines.append(String(decoding: bytes[start..<e], as: UTF8.self))
        }
        for (index, byte) in bytes.enumerated() where byte == 0x0A {
            emit(index)
            start = index + 1
        }
        if start < bytes.count { emit(bytes.count) }
        return lines
    }

    /// Splits a line at its first tab into a sentence pair.
    public static func pair(_ line: String) -> (String, String?) {
        guard let tab = line.unicodeScalars.firstIndex(of: "\t") else { return (line, nil) }
        return (String(line.unicodeScalars[..<tab]), String(line.unicodeScalars[line.unicodeScalars.index(after: tab)...]))
    }

    public static func encode(_ line: String, with tokenizer: BertTokenizer, maxLength: Int?) -> EncodedPair {
        let (a, b) = pair(line)
        return tokenizer.encode(a, b, maxLength: maxLength)
    }
}
