import BERT
import Foundation
import Numerics
import Storage
import Text
import Training

/// How a probe's objective lays out its batches: packed (no padding rows), padded to each batch's longest row, or
/// auto: packed unless a model quantizes its activations — the 8-bit clip quantizer takes its range per batch, padding
/// rows included, so packing would change a quantized model's numbers (by ~1e-3 relative), not just its speed.
public enum ProbeBatching: String, CaseIterable, Codable, Sendable {
    case auto, packed, padded

    /// Whether batches are packed for these models.
    public func packs(_ models: [ActivationQuantizing?]) -> Bool {
        switch self {
        case .packed: return true
        case .padded: return false
        case .auto: return models.allSatisfy { $0 == nil }
        }
    }
}

/// What a probe measures the loss on, as the user asks for it: the task's split, how many examples (the first N in
/// file order, or a seeded subset), their batch size and layout, and the sequence length. `hessian`, `landscape`
/// and the benchmarks take these as one option group.
public struct ProbeObjectiveOptions: Codable, Sendable, Equatable {
    public var task: String
    public var data: String
    public var split = "train"
    public var examples = 64
    public var sampleSeed: UInt64?
    public var batchSize = 32
    public var batching = ProbeBatching.auto
    public var maxLength = 64

    public init(task: String, data: String) {
        self.task = task
        self.data = data
    }

    /// Refuses counts out of range (one sentence naming the option).
    public func validate() throws {
        try OptionCheck.positive(examples, "--examples")
        try OptionCheck.positive(batchSize, "--batch-size", max: 65_536)
        try OptionCheck.maxLength(maxLength)
    }
}

/// A probe's objective made concrete for a set of models: the task, its encoded split and the chosen examples, from
/// which each model's `LossObjective` (the mean loss over those examples) is built. Checked once for every model
/// (its head fits the task, the sequence length fits its positions); what it records in a result (`identity`,
/// `provenance`) is the same for every probe.
public struct ProbeData {
    public let options: ProbeObjectiveOptions
    public let task: TaskSpec
    public let encoded: EncodedDataset
    public let chosen: ProbeExamples

    public static func prepare<T: BLASReal>(_ o: ProbeObjectiveOptions, models: [ProbeModel<T>], log: (String) -> Void) throws -> ProbeData {
        guard let first = models.first else { throw ProbeError.badRequest("give at least one --model") }
        let task = try Tasks.named(o.task)
        for p in models {
            let outputs = task.isRegression ? 1 : task.numLabels
            guard p.model.classes == outputs else {
                throw ProbeError.badRequest("\(p.directory.path) has a \(p.model.classes ?? 0)-way head but \(task.name) needs \(outputs)")
            }
            try TaskData.checkMaxLength(o.maxLength, config: p.model.config, model: p.directory.path)
        }
        let tokenizer = try BertTokenizer(modelDirectory: first.directory)
        let set = try TaskData.loadSplit(task: task, data: o.data, split: o.split, warn: log)
        let encoded = EncodedDataset(set, tokenizer: tokenizer, maxLength: o.maxLength)
        if o.examples > encoded.count { log("--examples \(o.examples) > the \(encoded.count) examples of \(o.split): using all") }
        let chosen = try ProbeExamples(available: encoded.count, count: min(o.examples, encoded.count), sampleSeed: o.sampleSeed,
                                       batchSize: o.batchSize, packed: o.batching.packs(models.map(\.model.activationQuantizer)))
        return ProbeData(options: o, task: task, encoded: encoded, chosen: chosen)
    }

    /// The mean loss of `model` over the chosen examples.
    public func objective<T: BLASReal>(for model: ProbeModel<T>) throws -> LossObjective<T> {
        try LossObjective(model: model.model, batches: chosen.batches(encoded))
    }

    /// The fields of a result's identity that the objective sets (a rerun with any of them changed is another result).
    public func identity(dtype: String) -> [String: String] {
        ["task": task.name, "split": options.split, "examples_indices_sha256": chosen.indicesHash, "max_length": String(options.maxLength),
         "batch_size": String(options.batchSize), "dtype": dtype, "batching": chosen.batching]
    }

    /// The objective as a result records it.
    public var record: ObjectiveRecord {
        ObjectiveRecord(task: task.name, data: Provenance.relative(URL(fileURLWithPath: options.data).path), split: options.split,
                        examples: chosen.indices.count, indicesSha256: chosen.indicesHash, sampleSeed: options.sampleSeed,
                        batchSize: options.batchSize, batching: chosen.batching, maxLength: options.maxLength,
                        metric: task.numLabels > 1 ? "accuracy" : "none")
    }
}

/// A probe's objective as its result records it: the task, data and split, which examples (their count, the sha256 of
/// their indices, the sample seed or null for the first N), their batches and the loss's definition.
public struct ObjectiveRecord: Encodable, Sendable {
    public var task: String
    public var data: String
    public var split: String
    public var examples: Int
    public var indicesSha256: String
    @NullWhenAbsent public var sampleSeed: UInt64?
    public var batchSize: Int
    public var batching: String
    public var maxLength: Int
    public var lossReduction = "mean over examples (each batch's mean weighted by its size)"
    public var mode = "eval"
    public var metric: String
}

/// What every probe result (`hessian.json`, a scan's `surface.json`) records first: the version that made it, the
/// command, its threads and BLAS core, the dtype and the objective.
public struct ProbeProvenance: Encodable, Sendable {
    public var version: String
    public var command: [String]
    public var threads: Int
    public var blasCore: String
    public var dtype: String
    public var objective: ObjectiveRecord

    /// This process's command line, threads and BLAS core.
    public init(version: String, dtype: String, objective: ObjectiveRecord) {
        self.version = version
        command = Provenance.command
        threads = Parallel.threads
        blasCore = BLASInfo.coreName
        self.dtype = dtype
        self.objective = objective
    }
}
