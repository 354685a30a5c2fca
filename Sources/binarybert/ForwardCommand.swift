import ArgumentParser
import BERT
import Foundation
import Storage
import Training
import Numerics
import Quantization
import Text

/// `binarybert forward`: hidden states, pooled output and logits of a model for the examples of a file.
struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "forward",
        abstract: "Run a model on text lines (or token ids) and write its outputs to a safetensors file.",
        discussion: """
        Each input line is one example; a tab separates the two sentences of a pair. With --ids, each line is instead \
        the complete sequence of token ids (special tokens included), separated by spaces, used as-is; token types \
        are 0 up to and including the first [SEP] (looked up in the model's vocab.txt) and 1 after it.
        The output holds input_ids, token_type_ids and attention_mask (I64, [batch, seq]), hidden_states.0 … \
        hidden_states.L ([batch, seq, hidden], 0 = embeddings output), pooled ([batch, hidden]) when the model has a \
        pooler and logits ([batch, labels]) when it has a classifier. Sequences are padded to the longest one.
        """)

    @Option(help: "Model directory (config.json, model.safetensors, vocab.txt).") var model: String
    @Option(help: "Input file, one example per line (\"-\" for standard input).") var input: String
    @Option(help: "Output .safetensors file.") var output: String
    @Option(help: "Truncate tokenized examples to at most N tokens (default: max_position_embeddings).") var maxLength: Int?
    @Option(help: "Compute in \(DType.allCases.map(\.rawValue).joined(separator: " or ")).") var dtype: DType = .float32
    @Option(help: "Examples per forward call.") var batchSize = 32
    @Flag(help: "Input lines are space-separated token ids.") var ids = false
    @OptionGroup var threading: ThreadOptions

    func validate() throws {
        try OptionCheck.positive(batchSize, "--batch-size", max: 65_536)
        try OptionCheck.maxLength(maxLength)
    }

    func run() throws {
        try threading.apply()
        if dtype == .float32 { try run(Float.self) } else { try run(Double.self) }
    }

    func run<T: BLASReal>(_ type: T.Type) throws {
        let dir = URL(fileURLWithPath: model)
        // The output may not replace one of the inputs.
        let target = URL(fileURLWithPath: output).standardizedFileURL.resolvingSymlinksInPath()
        if input != "-", URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath() == target {
            throw ValidationError("--output \(output) is the --input file: give another path")
        }
        if target.deletingLastPathComponent() == dir.standardizedFileURL.resolvingSymlinksInPath() {
            throw ValidationError("--output \(output) lies in the --model directory, whose files it could replace: give another path")
        }
        let net = try QuantizedModelDirectory.loadAny(dir, as: T.self)
        let lines = try InputLines.read(input)
        guard !lines.isEmpty else { throw ValidationError("\(input): no examples") }
        var sequences: [[Int]] = [], types: [[Int]] = []
        if ids {
            (sequences, types) = try InputLines.tokenIds(lines, vocabSize: net.config.vocabSize,
                                                         sepId: (try? BertTokenizer(modelDirectory: dir))?.sepId, path: input)
        } else {
            let tokenizer = try BertTokenizer(modelDirectory: dir)
            let limit = maxLength ?? net.config.maxPositionEmbeddings
            for line in lines {
                let e = InputLines.encode(line, with: tokenizer, maxLength: limit)
                sequences.append(e.inputIds)
                types.append(e.tokenTypeIds)
            }
        }
        let dump = try ForwardDump(model: net, batch: TokenBatch(sequences: sequences, typeIds: types), chunk: batchSize)
        try dump.write(to: URL(fileURLWithPath: output), metadata: ["model": Provenance.relative(dir.path), "dtype": dtype.rawValue])
        let (b, t, layers) = (dump.batch.batchSize, dump.batch.sequenceLength, net.config.numHiddenLayers)
        FileHandle.standardError.write("wrote \(output): \(b) examples × \(t) tokens, \(layers + 1) hidden states\n".data(using: .utf8)!)
    }
}
