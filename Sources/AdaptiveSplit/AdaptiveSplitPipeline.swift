import BERT
import Curvature
import Foundation
import Probe
import Storage
import Numerics
import Quantization
import Training

/// What `adaptive-split` records in `OUTPUT/adaptive-split.json` and beside the final model
/// (`OUTPUT/final/adaptive-split.json`): which matrices were split and why, the sizes and the dev metrics.
public struct AdaptiveSplitResult: Codable, Sendable {
    public var options: AdaptiveSplitOptions
    public var gainDescription: String
    public var choice: SplitChoice
    /// Gain of every candidate under the selection's method, and whether it was split.
    public var candidates: [CandidateRecord]
    public var rankCorrelation: Double
    /// max |logits(split) − logits(mixed)| / max |logits(mixed)| on the probe examples, in float64, before fine-tuning.
    public var splitRelativeError: Double
    public var packedBytes: Int
    public var packedMegabytes: Double
    public var primaryMetric: String
    public var ternaryMetric: Double?
    public var mixedMetric: Double
    public var splitMetric: Double
    public var finalMetric: Double
    public var teacherSha256: String
    public var ternarySha256: String
    public var probeIndicesSha256: String
    public var trainExamples: Int
    public var devExamples: Int
    /// `EncodedDataset.fingerprint` of the training and dev examples (task, data, subset and truncation).
    public var trainDataSha256: String
    public var devDataSha256: String
    public var threads: Int
    public var version: String

    public struct CandidateRecord: Codable, Sendable {
        public var name: String
        public var splitBytes: Int
        public var measuredGain: Double
        public var curvatureGain: Double
        public var split: Bool
        enum CodingKeys: String, CodingKey { case name, splitBytes = "split_bytes", measuredGain = "measured_gain", curvatureGain = "curvature_gain", split }
    }

    enum CodingKeys: String, CodingKey {
        case options, gainDescription = "gain_description", choice, candidates, rankCorrelation = "rank_correlation"
        case splitRelativeError = "split_relative_error", packedBytes = "packed_bytes", packedMegabytes = "packed_mb"
        case primaryMetric = "primary_metric", ternaryMetric = "ternary_metric", mixedMetric = "mixed_metric"
        case splitMetric = "split_metric", finalMetric = "final_metric", teacherSha256 = "teacher_sha256"
        case ternarySha256 = "ternary_sha256", probeIndicesSha256 = "probe_indices_sha256", trainExamples = "train_examples"
        case devExamples = "dev_examples", trainDataSha256 = "train_data_sha256", devDataSha256 = "dev_data_sha256", threads, version
    }

    public static let fileName = "adaptive-split.json"
}

/// Adaptive splitting (BinaryBERT §3.3): a TWN base → per-matrix sensitivities → a selection under the size budget →
/// the mixed ternary/binary model trained by distillation → its ternary part split exactly (TWS) → binary fine-tuning
/// → packed export, checked against the budget. Every finished step leaves its marker in OUTPUT/.stages
/// (`StageMarkers`, as the report's stages do) and is skipped on a later run with the same options; an unfinished
/// training step resumes from its checkpoints and the sensitivity table cell by cell, so a killed run continues where
/// it stopped.
///
/// OUTPUT/ternary (unless given), sensitivity.csv, selection.json, mixed/, split/ (float64), final/, packed/,
/// adaptive-split.json.
/// What the split step records in its marker: the split model's float64 check against the mixed model, so that a
/// resumed run does not split again to report it (its dev metrics are in split/'s training summary).
struct SplitCheck: Codable {
    var splitRelativeError: Double
}

public enum AdaptiveSplitPipeline {
    public static let optionsFile = "adaptive-split-options.json"

    /// Copies a finished sensitivity table (`sensitivity.csv` and its provenance `sensitivity.json`) from another
    /// output into `output` when `output` has none yet; `run` then checks that provenance against its own options.
    public static func adoptSensitivities(from source: URL, into output: URL) throws {
        let fm = FileManager.default
        let names = ["sensitivity.csv", "sensitivity.json"]
        guard !fm.fileExists(atPath: output.appendingPathComponent(names[0]).path) else { return }
        guard names.allSatisfy({ fm.fileExists(atPath: source.appendingPathComponent($0).path) }) else {
            throw QuantizationError.badSpec(file: source.path, reason: "holds no finished sensitivity table (sensitivity.csv and sensitivity.json)")
        }
        for name in names.reversed() {
            try ModelDirectory.atomicWrite(try Data(contentsOf: source.appendingPathComponent(name)), to: output.appendingPathComponent(name))
        }
    }

    /// The feasible packed sizes on the teacher's layout: all binary (nothing split) … every matrix split.
    public static func teacherRange(_ teacher: BertModel<Float>) -> SplitSizeRange {
        let names = QuantizationSpec.defaultQuantizedTensors(teacher.table)
        let layout = SplitCandidate.of(names.compactMap { teacher.table[$0] }, latent: teacher.parameters.pointer)
        return SplitSizeRange(teacher.table, candidates: layout)
    }

    /// The budget in MB at `fraction` of the teacher's range (0: all binary, 1: fully split), rounded down to a byte.
    public static func budgetMegabytes(fraction: Double, teacher: BertModel<Float>) -> Double {
        let r = teacherRange(teacher)
        return Double(r.allBinaryBytes + Int((Double(r.fullySplitBytes - r.allBinaryBytes) * fraction).rounded(.down))) / 1_048_576
    }

    public static func run(options: AdaptiveSplitOptions, teacher: BertModel<Float>, train: EncodedDataset, dev: EncodedDataset,
                           output: URL, tokenizerSource: URL, threads: Int, version: String,
                           progress: ProgressReporter = ProgressReporter()) throws -> AdaptiveSplitResult {
        let fm = FileManager.default
        try fm.createDirectory(at: output, withIntermediateDirectories: true)
        // The budget is checked first, on the teacher's layout (the ternary base has the same tensors).
        _ = try teacherRange(teacher).bytes(forMegabytes: options.budgetMegabytes)
        try checkOptions(options, in: output)
        func dir(_ name: String) -> URL { output.appendingPathComponent(name) }
        let steps = StageMarkers(work: output)
        var distill = DistillationOptions()
        distill.batchSize = options.batchSize
        distill.learningRate = options.learningRate
        distill.seed = options.seed
        distill.evalEvery = options.evalEvery
        distill.skipStage1 = options.skipStage1

        // 1. The ternary base.
        let ternaryDir = options.ternary.map { URL(fileURLWithPath: $0) } ?? dir("ternary")
        if options.ternary == nil {
            try trainingStep("ternary", "adaptive-split 1/7: TWN base in \(ternaryDir.path)", epochs: options.ternaryEpochs, into: ternaryDir) {
                try QuantizedBertModel(model: try ModelDirectory.load(tokenizerSource, as: Float.self), spec: QuantizationSpec(
                    method: "twn", weightBits: 2, activationBits: 8, quantizedTensors: QuantizationSpec.defaultQuantizedTensors(teacher.table)))
            }
        }
        /// A distillation into `d`, one step of the run (a directory that holds a finished training is not trained again).
        func trainingStep(_ id: String, _ note: String, epochs: Int, into d: URL, student: () throws -> QuantizedBertModel<Float>) throws {
            _ = try steps.step(id, identity: options) {
                if !fm.fileExists(atPath: d.appendingPathComponent(TrainingSummary.fileName).path) {
                    progress.note(note)
                    try distil(try student(), epochs: epochs, into: d)
                }
                return StageDone()
            }
        }
        func distil(_ student: QuantizedBertModel<Float>, epochs: Int, into d: URL) throws {
            var o = distill
            o.epochsPerStage = epochs
            if epochs == 0 {
                _ = try DistillationPipeline.evaluateInitial(student: student, train: train, dev: dev, options: o, output: d, tokenizerSource: tokenizerSource)
            } else {
                _ = try DistillationPipeline.run(student: student, teacher: teacher, train: train, dev: dev, options: o, output: d,
                                                 tokenizerSource: tokenizerSource, progress: progress,
                                                 resume: fm.fileExists(atPath: d.path))
            }
        }
        guard let ternary = try QuantizedModelDirectory.load(ternaryDir, as: Float.self) else {
            throw QuantizationError.badSpec(file: ternaryDir.path, reason: "has no quantization.json: not a ternary model")
        }

        guard ternary.spec.quantizedTensors == QuantizationSpec.defaultQuantizedTensors(teacher.table), ternary.model.table.totalCount == teacher.table.totalCount else {
            throw QuantizationError.badSpec(file: ternaryDir.path, reason: "does not quantize the teacher's tensors of the paper's policy (or has another shape)")
        }
        // The sizes at the base's latent weights (its exact zeros); a budget inside the teacher's range but outside
        // the base's is refused here.
        let candidates = SplitCandidate.of(ternary)
        let range = SplitSizeRange(ternary, candidates: candidates)
        let budget = try range.bytes(forMegabytes: options.budgetMegabytes)

        // 2. Sensitivities on a fixed probe objective.
        progress.note("adaptive-split 2/7: sensitivities of \(ternary.quantizedViews.count) matrices")
        let examples = try ProbeExamples(available: train.count, count: min(options.probeExamples, train.count), sampleSeed: options.probeSeed,
                                         batchSize: options.probeBatchSize)
        let rows = try sensitivities(ternaryDir: ternaryDir, examples: examples, train: train, options: options, table: dir("sensitivity.csv"),
                                     progress: progress)
        let gains = rows.map { options.gain == .measured ? $0.measuredGain : $0.curvatureGain }

        // 3. The selection.
        let choice = try SplitChoice.choose(options.selection, gainMethod: options.gain.rawValue, candidates: candidates, gains: gains,
                                            budgetBytes: budget, range: range, resolution: options.resolutionBytes, seed: options.selectionSeed)
        try writeJSON(choice, to: dir("selection.json"))
        progress.note(String(format: "adaptive-split 3/7: %@ selection splits %d of %d matrices, %.4f of %.4f MB planned",
                             options.selection.rawValue, choice.split.count, candidates.count,
                             Double(choice.plannedBytes) / 1_048_576, options.budgetMegabytes))

        // 4. The mixed ternary/binary model, trained.
        let mixedDir = dir("mixed")
        try trainingStep("mixed", "adaptive-split 4/7: mixed model (\(choice.split.count) ternary, \(candidates.count - choice.split.count) binary)",
                         epochs: options.mixedEpochs, into: mixedDir) { try ternary.mixed(keepingTernary: choice.split) }

        // 5. TWS of its ternary part, in float64, checked against the mixed model.
        let splitDir = dir("split")
        // Nothing to split: the all-binary model is its own final form. A resumed run reads the check it made.
        let relative = choice.split.isEmpty ? 0 : try steps.step("split", identity: options) { () throws -> SplitCheck in
            guard let mixed64 = try QuantizedModelDirectory.load(mixedDir, as: Double.self) else {
                throw QuantizationError.badSpec(file: mixedDir.path, reason: "has no quantization.json")
            }
            let (split64, _) = try mixed64.splitIntoBinary()
            let relative = try relativeLogitError(mixed64.model, split64.model, batches: examples.batches(train))
            progress.note(String(format: "adaptive-split 5/7: split the ternary part exactly (relative logit error %.2e in float64)", relative))
            try QuantizedModelDirectory.save(split64, to: splitDir, tokenizerSource: tokenizerSource)
            let metrics = try Evaluator.evaluate(split64.model, on: dev).metrics
            try TrainingSummary(task: train.task.name, primaryMetric: train.task.primaryMetric, best: metrics, bestStep: 0, final: metrics,
                                steps: 0, trainExamples: train.count, devExamples: dev.count, wallSeconds: 0, trainSeconds: 0,
                                options: FineTuneOptions()).write(to: splitDir)
            return SplitCheck(splitRelativeError: relative)
        }.splitRelativeError

        // 6. Binary fine-tuning of the split model.
        let finalDir = dir("final")
        try trainingStep("final", "adaptive-split 6/7: binary fine-tuning", epochs: options.fineTuneEpochs, into: finalDir) {
            let start = choice.split.isEmpty ? mixedDir : splitDir
            guard let binary = try QuantizedModelDirectory.load(start, as: Float.self) else {
                throw QuantizationError.badSpec(file: start.path, reason: "has no quantization.json")
            }
            return binary
        }

        // 7. Packed export, checked against the budget.
        guard let final = try QuantizedModelDirectory.load(finalDir, as: Float.self) else {
            throw QuantizationError.badSpec(file: finalDir.path, reason: "has no quantization.json")
        }
        let size = try PackedModel.export(final, to: dir("packed"), tokenizerSource: tokenizerSource)
        guard size.totalBytes <= budget else {
            throw QuantizationError.badSpec(file: dir("packed").path, reason: "the packed model takes \(size.totalBytes) bytes, above the budget's \(budget)")
        }
        progress.note(String(format: "adaptive-split 7/7: packed %.4f MB (budget %.4f MB)", size.megabytes, options.budgetMegabytes))

        func metric(_ d: URL) throws -> Double {
            let s = try JSONFormat.decoder().decode(TrainingSummary.self, from: Data(contentsOf: d.appendingPathComponent(TrainingSummary.fileName)))
            return s.best[s.primaryMetric] ?? .nan
        }
        let chosen = Set(choice.split)
        let result = AdaptiveSplitResult(
            options: options, gainDescription: options.gain.description, choice: choice,
            candidates: rows.map { .init(name: $0.name, splitBytes: $0.splitBytes, measuredGain: $0.measuredGain,
                                         curvatureGain: $0.curvatureGain, split: chosen.contains($0.name)) },
            rankCorrelation: SplitSensitivity.rankCorrelation(rows), splitRelativeError: relative,
            packedBytes: size.totalBytes, packedMegabytes: size.megabytes, primaryMetric: train.task.primaryMetric,
            ternaryMetric: try? metric(ternaryDir), mixedMetric: try metric(mixedDir),
            splitMetric: choice.split.isEmpty ? try metric(mixedDir) : try metric(splitDir), finalMetric: try metric(finalDir),
            teacherSha256: try SHA256.hex(file: tokenizerSource.appendingPathComponent(ModelDirectory.weightsFile)),
            ternarySha256: try SHA256.hex(file: ternaryDir.appendingPathComponent(ModelDirectory.weightsFile)),
            probeIndicesSha256: examples.indicesHash, trainExamples: train.count, devExamples: dev.count,
            trainDataSha256: train.fingerprint, devDataSha256: dev.fingerprint, threads: threads, version: version)
        try writeJSON(result, to: dir(AdaptiveSplitResult.fileName))
        try writeJSON(result, to: finalDir.appendingPathComponent(AdaptiveSplitResult.fileName))
        return result
    }

    /// The sensitivity table: `sensitivity.csv` in OUTPUT, computed (or continued) at the ternary base in the
    /// options' dtype. A table computed at another base or on other probe examples is refused (its provenance is
    /// `sensitivity.json`).
    static func sensitivities(ternaryDir: URL, examples: ProbeExamples, train: EncodedDataset, options: AdaptiveSplitOptions,
                              table: URL, progress: ProgressReporter) throws -> [SplitSensitivityRow] {
        let provenanceURL = table.deletingPathExtension().appendingPathExtension("json")
        let provenance = [
            "ternary_sha256": try SHA256.hex(file: ternaryDir.appendingPathComponent(ModelDirectory.weightsFile)),
            "probe_indices_sha256": examples.indicesHash, "trace_matvecs": String(options.traceMatvecs),
            "trace_seed": String(options.traceSeed), "dtype": options.dtype, "estimator": "hutch++",
            "objective": "mean task loss over the probe examples, eval mode, activation quantizers frozen",
        ]
        if FileManager.default.fileExists(atPath: provenanceURL.path) {
            let saved = try? JSONDecoder().decode([String: String].self, from: Data(contentsOf: provenanceURL))
            guard saved == provenance else {
                throw QuantizationError.badSpec(file: provenanceURL.path, reason: "was computed at another ternary model or with other probe settings; use a new --output")
            }
        } else {
            try writeJSON(provenance, to: provenanceURL)
        }
        func compute<T: BLASReal>(_: T.Type) throws -> [SplitSensitivityRow] {
            let probe = try ProbeModel<T>(directory: ternaryDir, label: "ternary")
            let objective = try LossObjective(model: probe.model, batches: examples.batches(train))
            return try SplitSensitivity.run(probe: probe, objective: objective, traceMatvecs: options.traceMatvecs, seed: options.traceSeed,
                                            table: table, progress: progress)
        }
        return options.dtype == "float64" ? try compute(Double.self) : try compute(Float.self)
    }

    /// max |a − b| / max |a| over the logits of every batch.
    static func relativeLogitError(_ a: BertModel<Double>, _ b: BertModel<Double>, batches: [(tokens: TokenBatch, targets: Targets)]) throws -> Double {
        var diff = 0.0, scale = 0.0
        for batch in batches {
            let la = try a.forward(batch.tokens).logits!, lb = try b.forward(batch.tokens).logits!
            for i in 0..<la.count { diff = max(diff, abs(la[i] - lb[i])); scale = max(scale, abs(la[i])) }
        }
        return scale > 0 ? diff / scale : diff
    }

    /// Saves the options on a fresh output; refuses a run whose options differ from those saved.
    static func checkOptions(_ options: AdaptiveSplitOptions, in output: URL) throws {
        let url = output.appendingPathComponent(optionsFile)
        if FileManager.default.fileExists(atPath: url.path) {
            let saved = try? JSONFormat.decoder().decode(AdaptiveSplitOptions.self, from: Data(contentsOf: url))
            guard saved == options else {
                throw QuantizationError.badSpec(file: url.path, reason: "records other options than this run's: continue with the same options or use a new --output")
            }
        } else {
            try writeJSON(options, to: url)
        }
    }

    static func writeJSON<V: Encodable>(_ value: V, to url: URL) throws {
        let encoder = JSONFormat.encoder()
        try ModelDirectory.atomicWrite(try encoder.encode(value), to: url)
    }
}
