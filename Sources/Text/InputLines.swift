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

    /// Lines of token ids (`forward --ids`), each id in [0, `vocabSize`), with BERT's segment ids for a pair: 0 up
    /// to and including the first `sepId`, 1 after it (a single [SEP] at the end is one segment). `path` names the
    /// file in messages.
    public static func tokenIds(_ lines: [String], vocabSize: Int, sepId: Int?, path: String) throws -> (ids: [[Int]], types: [[Int]]) {
        var sequences: [[Int]] = [], types: [[Int]] = []
        for (i, line) in lines.enumerated() {
            var seq: [Int] = []
            for field in line.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                guard let v = Int(field) else { throw TextError.badLine(path: path, line: i + 1, reason: "'\(field)' is not a token id") }
                guard (0..<vocabSize).contains(v) else {
                    throw TextError.badLine(path: path, line: i + 1, reason: "token id \(field) is outside the vocabulary [0, \(vocabSize))")
                }
                seq.append(v)
            }
            guard !seq.isEmpty else { throw TextError.badLine(path: path, line: i + 1, reason: "empty line (with --ids every line needs ids)") }
            sequences.append(seq)
            let firstSep = sepId.flatMap { seq.firstIndex(of: $0) } ?? seq.count
            types.append(seq.indices.map { $0 <= firstSep || firstSep == seq.count - 1 ? 0 : 1 })
        }
        return (sequences, types)
    }

    public static func encode(_ line: String, with tokenizer: BertTokenizer, maxLength: Int?) -> EncodedPair {
        let (a, b) = pair(line)
        return tokenizer.encode(a, b, maxLength: maxLength)
    }
}
