import ArgumentParser
import Foundation
import Training
import Numerics
import Text

/// `binarybert tokenize`: BERT WordPiece ids for each input line, one compact JSON array per line.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print BERT token ids ([CLS] a [SEP] (b [SEP])) for each input line as a JSON array.",
        discussion: """
            Each input line is one example; a tab separates the two sentences of a pair (at the first tab). \
            An empty line gives [CLS] [SEP]. The model folder must hold vocab.txt; do_lower_case is read \
            from tokenizer_config.json when present.
            """
    )

    @Option(name: .long, help: "Model folder holding vocab.txt (and optionally tokenizer_config.json).")
    var model: String

    @Option(name: .long, help: "Input file, one example per line (\"-\" for standard input).")
    var input: String

    @Option(name: .customLong("max-length"), help: "Truncate each example to at most N ids (longest first).")
    var maxLength: Int?

    func validate() throws {
        if let maxLength, maxLength < 1 {
            throw ValidationError("--max-length must be at least 1, got \(maxLength)")
        }
    }

    func run() throws {
        let modelURL = URL(fileURLWithPath: model)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: modelURL.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TextError.fileNotFound(path: modelURL.path)
        }
        let tokenizer = try BertTokenizer(modelDirectory: modelURL)
        var output: [UInt8] = []
        output.reserveCapacity(1 << 16)
        let stdout = FileHandle.standardOutput
        for line in try InputLines.read(input) {
            let encoded = InputLines.encode(line, with: tokenizer, maxLength: maxLength)
            output.append(UInt8(ascii: "["))
            for (index, id) in encoded.inputIds.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                output.append(contentsOf: String(id).utf8)
            }
            output.append(contentsOf: "]\n".utf8)
            if output.count >= 1 << 16 {
                stdout.write(Data(output))
                output.removeAll(keepingCapacity: true)
            }
        }
        if !output.isEmpty { stdout.write(Data(output)) }
    }
}
