import Curvature
import Foundation
import Quantization

/// Everything that decides an adaptive-split run; saved as `OUTPUT/adaptive-split-options.json`, and a resumed run
/// with other options is refused.
public struct AdaptiveSplitOptions: Codable, Sendable, Equatable {
    public var budgetMegabytes: Double
    public var gain: SplitGain = .measured
    public var selection: SplitSelection = .max
    public var selectionSeed: UInt64 = 0
    /// Knapsack cost resolution in bytes.
    public var resolutionBytes = 256
    /// Probe objective of the sensitivities: the first (or a seeded subset of) N training examples.
    public var probeExamples = 32
    public var probeBatchSize = 16
    public var probeSeed: UInt64?
    public var traceMatvecs = 12
    public var traceSeed: UInt64 = 0
    /// Distillation epochs per stage of the ternary base (when no `--ternary` is given), the mixed model and the
    /// binary fine-tuning after the split; 0 trains nothing at that step.
    public var ternaryEpochs = 2
    public var mixedEpochs = 2
    public var fineTuneEpochs = 2
    public var skipStage1 = false
    public var batchSize = 32
    public var learningRate = 5e-5
    public var seed: UInt64 = 42
    public var evalEvery = 100
    public var maxLength = 128
    /// The ternary base given by the user (nil: trained into OUTPUT/ternary), and the teacher, task and data.
    public var ternary: String?
    public var teacher: String
    public var task: String
    public var data: String
    public var trainSubset: Int?
    public var trainSubsetSeed: UInt64?
    public var dtype = "float32"

    public init(budgetMegabytes: Double, teacher: String, task: String, data: String) {
        self.budgetMegabytes = budgetMegabytes
        self.teacher = teacher
        self.task = task
        self.data = data
    }

    /// The keys of `adaptive-split-options.json` in the project's convention (`JSONFormat`: these are their camelCase
    /// spellings).
    enum CodingKeys: String, CodingKey {
        case budgetMegabytes = "budgetMb", gain, selection, selectionSeed, resolutionBytes, probeExamples, probeBatchSize, probeSeed
        case traceMatvecs, traceSeed, ternaryEpochs, mixedEpochs, fineTuneEpochs = "finetuneEpochs", skipStage1, batchSize, learningRate = "lr", seed
        case evalEvery, maxLength, ternary, teacher, task, data, trainSubset, trainSubsetSeed, dtype
    }
}
