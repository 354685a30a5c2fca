import BERT
import Foundation
import Numerics
import Storage

/// `binarybert finetune`: full-precision fine-tuning of `model` on the task into `output` (the best model, its
/// metrics and log, `checkpoint-last/` to resume from).
public struct FineTuneJob: Codable, Sendable, Equatable {
    public var model: String
    public var output: String
    public var taskData: TaskDataOptions
    public var options = FineTuneOptions()

    public init(model: String, taskData: TaskDataOptions, output: String) {
        self.model = model
        self.taskData = taskData
        self.output = output
    }

    /// The paths it reads.
    public var reads: [String] { [model, taskData.data] }

    /// Refuses, before any work, options out of range (one sentence naming the option).
    public func validate() throws {
        try options.validate()
        try taskData.validate()
    }

    /// Trains, continuing from `OUTPUT/checkpoint-last` with `resume`; `log` gets one line about the data.
    public func run(resume: Bool, log: (String) -> Void) throws -> TrainingSummary {
        let loaded = try taskData.load(model: model)
        let spec = loaded.task, modelDir = URL(fileURLWithPath: model)
        let net = try ModelDirectory.load(modelDir, as: Float.self, newClassifierLabels: spec.numLabels, seed: options.seed)
        if net.classes != spec.numLabels {
            throw TrainingError.invalidOption("\(model) has a \(net.classes ?? 0)-way head but \(spec.name) needs \(spec.numLabels)")
        }
        log("task \(spec.name): train \(loaded.train.count) (\(loaded.trainSkippedRows) rows skipped), dev \(loaded.dev.count); "
            + "threads \(Parallel.threads), BLAS core \(BLASInfo.coreName)")
        return try FineTuner(model: net, train: loaded.train, dev: loaded.dev, options: options, output: URL(fileURLWithPath: output),
                             tokenizerSource: modelDir).run(resume: resume)!
    }
}
