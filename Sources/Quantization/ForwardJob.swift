import BERT
import Foundation
import Numerics
import Storage
import Text

/// `binarybert forward`: a model (full precision, quantized, split or packed) run on the examples of a text file —
/// one per line, a tab between a pair's sentences, or with `ids` complete sequences of token ids — and its outputs
/// written to one safetensors file (`ForwardDump`).
public struct ForwardJob: Sendable {
    public var model: String
    /// The input file ("-": standard input).
    public var input: String
    public var output: String
    /// Tokens per example at most (nil: the model's positions).
    public var maxLength: Int?
    public var dtype = DType.float32
    /// Examples per forward call.
    public var batchSize = 32
    public var ids = false

    public init(model: String, input: String, output: String) {
        self.model = model
        self.input = input
        self.output = output
    }

    /// Refuses, before any work, options out of range (one sentence naming the option).
    public func validate() throws {
        try OptionCheck.positive(batchSize, "--batch-size", max: 65_536)
        try OptionCheck.maxLength(maxLength)
    }

    /// Runs the model and writes `output`; returns the line that says what was written.
    public func run() throws -> String {
        dtype == .float32 ? try run(Float.self) : try run(Double.self)
    }

    func run<T: BLASReal>(_: T.Type) throws -> String {
        let dir = URL(fileURLWithPath: model)
        // The output may not replace one of the inputs.
        let target = URL(fileURLWithPath: output).standardizedFileURL.resolvingSymlinksInPath()
        if input != "-", URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath() == target {
            throw OptionError("--output \(output) is the --input file: give another path")
        }
        if target.deletingLastPathComponent() == dir.standardizedFileURL.resolvingSymlinksInPath() {
            throw OptionError("--output \(output) lies in the --model directory, whose files it could replace: give another path")
        }
        let net = try QuantizedModelDirectory.loadAny(dir, as: T.self)
        let lines = try InputLines.read(input)
        guard !lines.isEmpty else { throw OptionError("\(input): no examples") }
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
        return "wrote \(output): \(b) examples × \(t) tokens, \(layers + 1) hidden states"
    }
}
