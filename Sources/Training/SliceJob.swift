import BERT
import Foundation
import Numerics
import Storage
import Text

/// `binarybert slice`: `model` narrowed to `width` of its heads and FFN neurons into `output` — the first ones, or
/// with `ranking` the most important ones on training batches of `task` (`ImportanceSlicing`; OUTPUT/importance.json
/// records the scores).
public struct SliceJob: Sendable {
    /// How the importance is measured: `batches` training batches of `batchSize` examples of `task` in `data`.
    public struct Ranking: Sendable {
        public var task: String, data: String
        public var batches = 32, batchSize = 32
        public var seed: UInt64 = 42
        public init(task: String, data: String) { self.task = task; self.data = data }
    }

    public var model: String
    public var width: Double
    public var output: String
    public var ranking: Ranking?
    public var maxLength = 128

    public init(model: String, width: Double, output: String) {
        self.model = model
        self.width = width
        self.output = output
    }

    /// Refuses, before any work, options out of range (one sentence naming the option).
    public func validate() throws {
        guard width > 0, width <= 1 else { throw OptionError("--width must lie in (0, 1]") }
        try OptionCheck.positive(ranking?.batches, "--batches", max: 1_000_000)
        try OptionCheck.positive(ranking?.batchSize, "--batch-size", max: 65_536)
        try OptionCheck.maxLength(maxLength)
    }

    /// Slices and saves the model; returns the line that says what was kept.
    public func run() throws -> String {
        try TaskData.checkMaxLength(maxLength, modelDirectory: model)
        let dir = URL(fileURLWithPath: model), out = URL(fileURLWithPath: output)
        let full = try ModelDirectory.load(dir, as: Float.self)
        let rank = try ranking.map { r -> ImportanceSlicing.Ranking in
            let spec = try Tasks.named(r.task)
            if full.classes != spec.numLabels {
                throw TrainingError.invalidOption("\(model) has a \(full.classes ?? 0)-way head but \(spec.name) needs \(spec.numLabels)")
            }
            let train = EncodedDataset(try TaskData.loadSplit(task: spec, data: r.data, split: "train"),
                                       tokenizer: try BertTokenizer(modelDirectory: dir), maxLength: maxLength)
            return .init(train: train, batches: r.batches, batchSize: r.batchSize, maxLength: maxLength, seed: r.seed)
        }
        let (sliced, report) = try ImportanceSlicing.slice(full, width: width, ranking: rank, progress: ProgressReporter())
        try ModelDirectory.save(sliced, to: out, tokenizerSource: dir)
        try report?.write(to: out)
        return "kept \(sliced.config.numAttentionHeads) heads × \(sliced.config.headDim), FFN \(sliced.config.intermediateSize)"
            + (report != nil ? " (ranked by importance)" : "")
    }
}
