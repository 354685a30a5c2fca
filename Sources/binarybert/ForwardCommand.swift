import ArgumentParser
import BERT
import Foundation
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
            // Segment ids follow BERT's pair layout: 0 up to and including the first [SEP], 1 after it.
            let sepId = (try? BertTokenizer(modelDirectory: dir))?.sepId
            for (i, line) in lines.enumerated() {
                var seq: [Int] = []
                for field in line.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                    guard let v = Int(field) else { throw ValidationError("\(input):\(i + 1): '\(field)' is not a token id") }
                    guard (0..<net.config.vocabSize).contains(v) else {
                        throw ValidationError("\(input):\(i + 1): token id \(field) is outside the vocabulary [0, \(net.config.vocabSize))")
                    }
                    seq.append(v)
                }
                guard !seq.isEmpty else { throw ValidationError("\(input):\(i + 1): empty line (with --ids every line needs ids)") }
                sequences.append(seq)
                let firstSep = sepId.flatMap { seq.firstIndex(of: $0) } ?? seq.count
                types.append(seq.indices.map { $0 <= firstSep || firstSep == seq.count - 1 ? 0 : 1 })
            }
        } else {
            let tokenizer = try BertTokenizer(modelDirectory: dir)
            let limit = maxLength ?? net.config.maxPositionEmbeddings
            for line in lines {
                let e = InputLines.encode(line, with: tokenizer, maxLength: limit)
                sequences.append(e.inputIds)
                types.append(e.tokenTypeIds)
            }
        }
        let all = TokenBatch(sequences: sequences, typeIds: types)
        try net.validate(all)
        let b = all.batchSize, t = all.sequenceLength, h = net.config.hiddenSize, layers = net.config.numHiddenLayers
        var hidden = (0...layers).map { _ in [T](repeating: 0, count: b * t * h) }
        var pooled = net.hasPooler ? [T](repeating: 0, count: b * h) : nil
        var logits = net.classes.map { [T](repeating: 0, count: b * $0) }
        var start = 0
        while start < b {
            let end = min(b, start + batchSize)
            let range = (start * t)..<(end * t)
            let chunk = TokenBatch(batchSize: end - start, sequenceLength: t, inputIds: Array(all.inputIds[range]),
                                   tokenTypeIds: Array(all.tokenTypeIds[range]), attentionMask: Array(all.attentionMask[range]))
            let acts = try net.forward(chunk)
            for l in 0...layers {
                hidden[l].withUnsafeMutableBufferPointer {
                    ($0.baseAddress! + start * t * h).update(from: acts.hiddenStates[l].pointer, count: (end - start) * t * h)
                }
            }
            if let p = acts.pooled { pooled!.withUnsafeMutableBufferPointer { ($0.baseAddress! + start * h).update(from: p.pointer, count: p.count) } }
            if let g = acts.logits, let k = net.classes {
                logits!.withUnsafeMutableBufferPointer { ($0.baseAddress! + start * k).update(from: g.pointer, count: g.count) }
            }
            start = end
        }
        var writer = SafetensorsWriter(metadata: ["model": dir.path, "dtype": dtype.rawValue])
        writer.add("input_ids", shape: [b, t], integers: all.inputIds.map(Int64.init))
        writer.add("token_type_ids", shape: [b, t], integers: all.tokenTypeIds.map(Int64.init))
        writer.add("attention_mask", shape: [b, t], integers: all.attentionMask.map(Int64.init))
        for l in 0...layers { writer.add("hidden_states.\(l)", shape: [b, t, h], values: hidden[l]) }
        if let pooled { writer.add("pooled", shape: [b, h], values: pooled) }
        if let logits, let k = net.classes { writer.add("logits", shape: [b, k], values: logits) }
        try writer.write(to: URL(fileURLWithPath: output))
        FileHandle.standardError.write("wrote \(output): \(b) examples × \(t) tokens, \(layers + 1) hidden states\n".data(using: .utf8)!)
    }
}
