import BERT
import Foundation
import Numerics
import Storage
import Training

/// `binarybert adaptive-split`: which matrices to split under a size budget, and that model built, trained and
/// packed into `output` (`AdaptiveSplitPipeline`).
public struct AdaptiveSplitJob: Codable, Sendable, Equatable {
    /// Everything that decides the run; `budgetFraction`, when set, takes the place of its `budgetMegabytes`.
    public var options: AdaptiveSplitOptions
    /// The budget as a fraction of the feasible range on the teacher's layout (0: all binary, 1: every matrix split).
    public var budgetFraction: Double?
    /// Another adaptive-split output whose finished sensitivity table this run adopts (same base and probe options).
    public var sensitivities: String?
    public var output: String

    public init(options: AdaptiveSplitOptions, output: String) {
        self.options = options
        self.output = output
    }

    /// The task data of `options`.
    public var taskData: TaskDataOptions {
        TaskDataOptions(task: options.task, data: options.data, maxLength: options.maxLength,
                        subset: options.trainSubset.map { TrainingSubset(count: $0, seed: options.trainSubsetSeed) })
    }

    /// The paths it reads.
    public var reads: [String] { [options.teacher, options.data] + [options.ternary, sensitivities].compactMap { $0 } }

    /// Refuses, before any work, options out of range (one sentence naming the option).
    public func validate() throws {
        let o = options
        if let budgetFraction { try OptionCheck.number(budgetFraction, "--budget-fraction", in: 0.0...1.0) } else { try OptionCheck.positive(o.budgetMegabytes, "--budget") }
        guard o.traceMatvecs >= 6 else { throw OptionError("--trace-matvecs must be at least 6 (Hutch++ uses 3 groups of 2 or more), not \(o.traceMatvecs)") }
        try OptionCheck.positive(o.resolutionBytes, "--resolution", max: 1 << 30)
        try OptionCheck.positive(o.probeExamples, "--probe-examples")
        try OptionCheck.positive(o.probeBatchSize, "--probe-batch-size", max: 65_536)
        try OptionCheck.positive(o.traceMatvecs, "--trace-matvecs", max: 100_000)
        for (name, epochs) in [("--ternary-epochs", o.ternaryEpochs), ("--mixed-epochs", o.mixedEpochs), ("--finetune-epochs", o.fineTuneEpochs)] {
            try OptionCheck.epochs(epochs, name, allowZero: true)
        }
        try taskData.validate()
        try OptionCheck.positive(o.batchSize, "--batch-size", max: 65_536)
        try OptionCheck.positive(o.evalEvery, "--eval-every")
        try OptionCheck.learningRate(o.learningRate)
    }

    public func run(version: String) throws -> AdaptiveSplitResult {
        var o = options
        let loaded = try taskData.load(model: o.teacher)
        let teacherDir = URL(fileURLWithPath: o.teacher)
        let teacher = try ModelDirectory.load(teacherDir, as: Float.self)
        if let budgetFraction { o.budgetMegabytes = AdaptiveSplitPipeline.budgetMegabytes(fraction: budgetFraction, teacher: teacher) }
        if let sensitivities {
            try AdaptiveSplitPipeline.adoptSensitivities(from: URL(fileURLWithPath: sensitivities), into: URL(fileURLWithPath: output))
        }
        return try AdaptiveSplitPipeline.run(options: o, teacher: teacher, train: loaded.train, dev: loaded.dev, output: URL(fileURLWithPath: output),
                                             tokenizerSource: teacherDir, threads: Parallel.threads, version: version)
    }
}
