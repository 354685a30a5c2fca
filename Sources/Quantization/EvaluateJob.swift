import BERT
import Foundation
import Numerics
import Storage
import Text
import Training

/// `binarybert evaluate`: the task metrics of a model directory (any kind) on a split of its task, with the mean
/// loss and the number of examples.
public struct EvaluateJob: Sendable {
    public var model: String
    public var task: String
    public var data: String
    public var split = "dev"
    public var maxLength = 128
    public var dtype = DType.float32
    public var batchSize = 64
    public var skipBadRows = false

    public init(model: String, task: String, data: String) {
        self.model = model
        self.task = task
        self.data = data
    }

    /// Refuses, before any work, options out of range (one sentence naming the option).
    public func validate() throws {
        try OptionCheck.maxLength(maxLength)
        try OptionCheck.positive(batchSize, "--batch-size", max: 65_536)
    }

    public func run() throws -> [String: Double] {
        dtype == .float32 ? try run(Float.self) : try run(Double.self)
    }

    func run<T: BLASReal>(_: T.Type) throws -> [String: Double] {
        let spec = try Tasks.named(task)
        let modelDir = URL(fileURLWithPath: model)
        let tokenizer = try BertTokenizer(modelDirectory: modelDir)
        let set = try TaskData.loadSplit(task: spec, data: data, split: split, skipBadRows: skipBadRows)
        guard set.count > 0 else { throw TrainingError.invalidOption("the \(split) split of \(spec.name) in \(data) has no examples") }
        let net = try QuantizedModelDirectory.loadAny(modelDir, as: T.self)
        try TaskData.checkMaxLength(maxLength, config: net.config, model: model)
        let outputs = spec.isRegression ? 1 : spec.numLabels
        guard net.classes == outputs else {
            throw TrainingError.invalidOption("\(model) has \(net.classes.map { "a \($0)-way head" } ?? "no classifier head") but \(spec.name) needs \(outputs) outputs")
        }
        let result = try Evaluator.evaluate(net, on: EncodedDataset(set, tokenizer: tokenizer, maxLength: maxLength), batchSize: batchSize)
        var metrics = result.metrics
        metrics["loss"] = result.loss
        metrics["examples"] = Double(set.count)
        return metrics
    }
}
