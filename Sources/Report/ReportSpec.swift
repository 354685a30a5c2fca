import Foundation

/// One analysis, described once: the model and data, the training recipe of the teacher and the students, and the
/// probe settings of every figure. `ReportPlan` turns it into commands; `Analyses/report/<preset>.json` is this
/// value as JSON (a test keeps them equal).
public struct ReportSpec: Codable, Equatable, Sendable {
    /// The named presets: `quick` (the README's main job, ≤ 20 minutes on 2 cores) and `paper` (the full run).
    public enum Preset: String, Codable, Sendable, CaseIterable {
        case quick, paper
    }

    public var preset: Preset
    /// The pre-trained encoder fine-tuned into the teacher.
    public var model: String
    public var task: String
    public var data: String
    /// Training seeds; the probes run on the first seed's models.
    public var seeds: [UInt64]
    public var maxLength: Int
    public var batchSize: Int
    /// Training examples drawn at random (seeded by `subsetSeed`) from the training split; nil: all.
    public var trainSubset: Int?
    public var subsetSeed: UInt64
    public var evalEvery: Int
    public var teacherEpochs: Int
    public var teacherLearningRate: Double
    /// Epochs per distillation stage of every student (ternary, uniform, TWS) and of the BWN baseline.
    public var studentEpochs: Int
    public var bwnEpochs: Int
    public var studentLearningRate: Double
    /// Uniform weight bit widths distilled for Fig. 1 besides 2 (ternary) and 1 (BWN), all at 8-bit activations.
    public var uniformBits: [Int]
    /// Keep the ternary and BWN students every N steps of each stage (curvature along training).
    public var snapshotEvery: Int

    /// Examples of the probes' objective (the first N training examples, eval mode).
    public var probeExamples: Int
    /// Points per axis of the all-ones probe (offsets −1…1) and of the filter-normalized scans.
    public var onesPoints: Int
    public var filterPoints: Int
    public var filterRadius: Double
    public var directionSeeds: Int
    /// Points of the 1-D scans along the top eigenvector (±`eigenRadius`) and of the TWS interpolation.
    public var eigenPoints: Int
    public var eigenRadius: Double
    public var interpolationPoints: Int
    /// Per-module table (Fig. 3): layers ("first,last", "all" or an explicit list), mini-batches and their size.
    public var perModuleLayers: String
    public var perModuleBatches: Int
    public var perModuleBatchSize: Int
    public var perModuleMaxHvps: Int
    /// Spectra of value@0,1: examples, Hutch++ probes, SLQ runs and steps, Lanczos budget.
    public var spectraExamples: Int
    public var traceProbes: Int
    public var densityRuns: Int
    public var densitySteps: Int
    public var lanczosMaxHvps: Int
    public var lanczosTolerance: Double
    /// Curvature along training: examples of the objective and Lanczos budget per snapshot and block.
    public var trainingCurvatureExamples: Int
    public var trainingCurvatureMaxHvps: Int
    /// Adaptive splitting (§3.3) on the first seed's teacher and ternary model: the budgets as fractions of the
    /// feasible range (empty: skipped), the epochs of the mixed model and of the binary fine-tuning, and the examples
    /// and Hutch++ products of the sensitivities. Each interior budget runs max and min with both gains and random.
    public var adaptiveSplitFractions: [Double]
    public var adaptiveSplitEpochs: Int
    public var adaptiveSplitProbeExamples: Int
    public var adaptiveSplitTraceMatvecs: Int

    /// The embedded default: MiniLM-L6 on rt-polarity.
    public static let defaultModel = "assets/models/all-MiniLM-L6-v2"
    public static let defaultTask = "rt-polarity"
    public static let defaultData = "assets/data/rt-polarity"

    public static func preset(_ preset: Preset) -> ReportSpec {
        switch preset {
        case .quick:
            return ReportSpec(
                preset: .quick, model: defaultModel, task: defaultTask, data: defaultData, seeds: [42], maxLength: 32,
                batchSize: 32, trainSubset: 640, subsetSeed: 0, evalEvery: 1000, teacherEpochs: 2, teacherLearningRate: 5e-5,
                studentEpochs: 1, bwnEpochs: 1, studentLearningRate: 5e-5, uniformBits: [8, 4], snapshotEvery: 10,
                probeExamples: 16, onesPoints: 9, filterPoints: 7, filterRadius: 1, directionSeeds: 2,
                eigenPoints: 11, eigenRadius: 0.25, interpolationPoints: 9,
                perModuleLayers: "first,last", perModuleBatches: 2, perModuleBatchSize: 12, perModuleMaxHvps: 16,
                spectraExamples: 24, traceProbes: 12, densityRuns: 2, densitySteps: 12, lanczosMaxHvps: 20, lanczosTolerance: 1e-2,
                trainingCurvatureExamples: 12, trainingCurvatureMaxHvps: 8,
                // Too long for the quick preset's 20 minutes (Analyses/adaptive-split/run.sh runs its reduced form).
                adaptiveSplitFractions: [], adaptiveSplitEpochs: 1, adaptiveSplitProbeExamples: 64, adaptiveSplitTraceMatvecs: 12)
        case .paper:
            return ReportSpec(
                preset: .paper, model: defaultModel, task: defaultTask, data: defaultData, seeds: [42, 43, 44], maxLength: 64,
                batchSize: 32, trainSubset: nil, subsetSeed: 0, evalEvery: 100, teacherEpochs: 3, teacherLearningRate: 3e-5,
                studentEpochs: 2, bwnEpochs: 4, studentLearningRate: 5e-5, uniformBits: [8, 4], snapshotEvery: 100,
                probeExamples: 128, onesPoints: 41, filterPoints: 41, filterRadius: 1, directionSeeds: 3,
                eigenPoints: 21, eigenRadius: 0.25, interpolationPoints: 21,
                perModuleLayers: "all", perModuleBatches: 4, perModuleBatchSize: 32, perModuleMaxHvps: 80,
                spectraExamples: 64, traceProbes: 30, densityRuns: 4, densitySteps: 40, lanczosMaxHvps: 60, lanczosTolerance: 1e-3,
                trainingCurvatureExamples: 32, trainingCurvatureMaxHvps: 30,
                adaptiveSplitFractions: [0.2, 0.4, 0.6, 0.8], adaptiveSplitEpochs: 2, adaptiveSplitProbeExamples: 128,
                adaptiveSplitTraceMatvecs: 30)
        }
    }

    /// The spec as the JSON committed in `Analyses/report/` (sorted keys, snake_case, a trailing newline).
    public func json() throws -> Data {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try e.encode(self) + Data("\n".utf8)
    }

    public static func decode(_ data: Data) throws -> ReportSpec {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return try d.decode(ReportSpec.self, from: data)
    }

    /// Every number that must be positive, with its name; the first bad one is the error.
    public func validate() throws {
        let positive: [(String, Int)] = [
            ("max_length", maxLength - 1), ("batch_size", batchSize), ("eval_every", evalEvery), ("teacher_epochs", teacherEpochs),
            ("student_epochs", studentEpochs), ("bwn_epochs", bwnEpochs), ("snapshot_every", snapshotEvery),
            ("probe_examples", probeExamples), ("ones_points", onesPoints - 2), ("filter_points", filterPoints - 2),
            ("direction_seeds", directionSeeds), ("eigen_points", eigenPoints - 2), ("interpolation_points", interpolationPoints - 2),
            ("per_module_batches", perModuleBatches - 1), ("per_module_batch_size", perModuleBatchSize),
            ("per_module_max_hvps", perModuleMaxHvps), ("spectra_examples", spectraExamples), ("trace_probes", traceProbes - 2),
            ("density_runs", densityRuns), ("density_steps", densitySteps - 1), ("lanczos_max_hvps", lanczosMaxHvps),
            ("training_curvature_examples", trainingCurvatureExamples), ("training_curvature_max_hvps", trainingCurvatureMaxHvps),
            ("seeds", seeds.count),
        ]
        if let bad = positive.first(where: { $0.1 <= 0 }) {
            throw ReportError.badSpec("\(bad.0) is too small (max_length ≥ 2, points ≥ 3, per_module_batches ≥ 2, trace_probes ≥ 3, the rest ≥ 1)")
        }
        if let n = trainSubset, n <= 0 { throw ReportError.badSpec("train_subset must be positive, not \(n)") }
        guard teacherLearningRate > 0, studentLearningRate > 0, teacherLearningRate.isFinite, studentLearningRate.isFinite else {
            throw ReportError.badSpec("the learning rates must be finite and positive")
        }
        guard filterRadius > 0, eigenRadius > 0, lanczosTolerance > 0 else {
            throw ReportError.badSpec("filter_radius, eigen_radius and lanczos_tolerance must be positive")
        }
        if let b = uniformBits.first(where: { ![4, 8].contains($0) }) { throw ReportError.badSpec("uniform_bits takes 4 and 8, not \(b)") }
        if Set(seeds).count != seeds.count { throw ReportError.badSpec("seeds repeat a seed") }
        if let f = adaptiveSplitFractions.first(where: { !($0 > 0 && $0 < 1) }) {
            throw ReportError.badSpec("adaptive_split_fractions lie strictly between 0 and 1 (the ends always run), not \(f)")
        }
        guard adaptiveSplitEpochs >= 1, adaptiveSplitProbeExamples >= 1, adaptiveSplitTraceMatvecs >= 6 else {
            throw ReportError.badSpec("adaptive_split_epochs and adaptive_split_probe_examples must be ≥ 1, adaptive_split_trace_matvecs ≥ 6")
        }
    }
}
