import Foundation
import Storage

/// `binarybert tokenize`: BERT token ids ([CLS] a [SEP] (b [SEP])) of each line of `input` (a tab separating a pair,
/// "-" for standard input), truncated to `maxLength` (longest first), as one compact JSON array per line.
public struct TokenizeJob: Sendable {
    /// A folder holding vocab.txt (and optionally tokenizer_config.json, for do_lower_case).
    public var model: String
    public var input: String
    public var maxLength: Int?

    public init(model: String, input: String, maxLength: Int? = nil) {
        self.model = model
        self.input = input
        self.maxLength = maxLength
    }

    public func validate() throws {
        if let maxLength, maxLength < 1 { throw OptionError("--max-length must be at least 1, got \(maxLength)") }
    }

    /// Writes the arrays to `output`, in blocks of about 64 KiB.
    public func run(output: FileHandle) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TextError.fileNotFound(path: URL(fileURLWithPath: model).path)
        }
        let tokenizer = try BertTokenizer(modelDirectory: URL(fileURLWithPath: model))
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1 << 16)
        for line in try InputLines.read(input) {
            let ids = InputLines.encode(line, with: tokenizer, maxLength: maxLength).inputIds
            bytes.append(contentsOf: "[\(ids.map(String.init).joined(separator: ","))]\n".utf8)
            if bytes.count >= 1 << 16 {
                output.write(Data(bytes))
                bytes.removeAll(keepingCapacity: true)
            }
        }
        if !bytes.isEmpty { output.write(Data(bytes)) }
    }
}
