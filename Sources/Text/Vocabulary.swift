import Foundation
import Storage

/// A WordPiece vocabulary: token strings and their ids (the line number in `vocab.txt`, from 0).
///
/// Lookups compare exact code points, as Python does, never Swift's canonical equivalence:
/// the table is keyed by UTF-8 bytes, so a pre-composed "é" and "e" + U+0301 are different tokens.
/// Loading mirrors HuggingFace's `load_vocab`: lines are split on `\n`, `\r\n` or `\r` (Python's
/// universal newlines), and when a token appears twice the later line's id wins.
public struct Vocabulary: Sendable {
    /// Token strings by id (one per line of the file).
    public let tokens: [String]
    /// Exact (code point) token -> id table; for duplicated tokens the last id wins.
    private let idsByBytes: [[UInt8]: Int]

    /// Loads a `vocab.txt` file: one token per line, the id is the 0-based line number.
    public init(contentsOf url: URL) throws {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw TextError.fileNotFound(path: path)
        }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TextError.unreadableFile(path: path, reason: IOErrorText.reason(error))
        }
        let bytes = [UInt8](data)
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw TextError.invalidUTF8(path: path)
        }
        let lines = Vocabulary.splitLines(bytes)
        guard !lines.isEmpty else { throw TextError.emptyVocabulary(path: path) }
        self.init(tokens: lines.map { String(decoding: $0, as: UTF8.self) })
    }

    /// Builds a vocabulary from tokens in id order.
    public init(tokens: [String]) {
        self.tokens = tokens
        var table = [[UInt8]: Int](minimumCapacity: tokens.count)
        for (id, token) in tokens.enumerated() {
            table[Array(token.utf8)] = id
        }
        self.idsByBytes = table
    }

    /// The id of `token` (exact code point match), or nil if it is not in the vocabulary.
    public func id(_ token: String) -> Int? {
        idsByBytes[Array(token.utf8)]
    }

    /// The token for `id`. Like HuggingFace's `convert_ids_to_tokens`, an id that is out of range,
    /// or that belongs to a line shadowed by a later duplicate, gives "[UNK]".
    public func token(_ id: Int) -> String {
        guard id >= 0, id < tokens.count else { return "[UNK]" }
        let token = tokens[id]
        return idsByBytes[Array(token.utf8)] == id ? token : "[UNK]"
    }

    /// Number of ids (lines) in the vocabulary.
    public var count: Int { tokens.count }

    /// Splits like Python's text-mode `readlines()` followed by `rstrip("\n")`:
    /// `\n`, `\r\n` and `\r` end a line, and a trailing line terminator does not start a new token.
    static func splitLines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b == 0x0A || b == 0x0D {
                lines.append(bytes[start..<i])
                if b == 0x0D, i + 1 < n, bytes[i + 1] == 0x0A { i += 1 }
                start = i + 1
            }
            i += 1
        }
        if start < n { lines.append(bytes[start..<n]) }
        return lines
    }
}
