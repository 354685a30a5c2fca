import XCTest
import BERT
import Numerics
import Storage
import Training
@testable import Quantization

/// The whole pipeline on a tiny model: teacher → ternary W2A8 (distilled) → split → binary W1A8 (distilled).
final class PipelineTests: XCTestCase {
    func testTeacherTernarySplitBinary() throws {
        let train = SyntheticTask.data(count: 320, seed: 1), dev = SyntheticTask.data(count: 96, seed: 2)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("bb-pipeline-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let quiet = ProgressReporter(enabled: false)

        // Teacher, in Double so that the split's equivalence can be checked to rounding.
        let config = BertConfig(vocabSize: 50, hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 64,
                                hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1, maxPositionEmbeddings: 16, numLabels: 2)
        let teacher = try BertModel<Double>(config: config)
        teacher.initializeWeights(seed: 1)
        var fine = FineTuneOptions()
        fine.epochs = 4; fine.batchSize = 16; fine.learningRate = 1e-3; fine.evalEvery = 1000; fine.seed = 3
        let teacherSummary = try XCTUnwrap(FineTuner(model: teacher, train: train, dev: dev, options: fine,
                                                     output: root.appendingPathComponent("teacher"), tokenizerSource: nil,
                                                     progress: quiet).run())
        XCTAssertGreaterThan(teacherSummary.best["accuracy"]!, 0.9)
        let bestTeacher = try ModelDirectory.load(root.appendingPathComponent("teacher"), as: Double.self)

        // Ternary student initialised from the teacher.
        let studentModel = try ModelDirectory.load(root.appendingPathComponent("teacher"), as: Double.self)
        let ternary = try QuantizedBertModel(model: studentModel, spec: QuantizationSpec(
            method: "twn", weightBits: 2, activationBits: 8,
            quantizedTensors: QuantizationSpec.defaultQuantizedTensors(studentModel.table)))
        var distill = DistillationOptions()
        distill.epochsPerStage = 2; distill.batchSize = 16; distill.learningRate = 5e-4; distill.evalEvery = 1000
        let ternarySummary = try DistillationPipeline.run(student: ternary, teacher: bestTeacher, train: train, dev: dev,
                                                          options: distill, output: root.appendingPathComponent("ternary"),
                                                          tokenizerSource: nil, progress: quiet)
        XCTAssertGreaterThan(ternarySummary.best["accuracy"]!, 0.85)

        // Split the kept ternary model: the binary model computes the same function.
        let keptTernary = try XCTUnwrap(QuantizedModelDirectory.load(root.appendingPathComponent("ternary"), as: Double.self))
        let before = try Evaluator.evaluate(keptTernary.model, on: dev)
        let (binary, coefficients) = try keptTernary.splitIntoBinary()
        XCTAssertTrue(coefficients.values.allSatisfy { $0.allSatisfy(\.exact) })
        let after = try Evaluator.evaluate(binary.model, on: dev)
        XCTAssertEqual(after.metrics["accuracy"]!, before.metrics["accuracy"]!)
        XCTAssertEqual(after.loss, before.loss, accuracy: 1e-10)

        // Binary fine-tuning with the same distillation keeps the accuracy.
        let binarySummary = try DistillationPipeline.run(student: binary, teacher: bestTeacher, train: train, dev: dev,
                                                         options: distill, output: root.appendingPathComponent("binary"),
                                                         tokenizerSource: nil, progress: quiet)
        XCTAssertGreaterThan(binarySummary.best["accuracy"]!, 0.85)
        let keptBinary = try XCTUnwrap(QuantizedModelDirectory.load(root.appendingPathComponent("binary"), as: Double.self))
        XCTAssertEqual(try Evaluator.evaluate(keptBinary.model, on: dev).metrics["accuracy"]!, binarySummary.best["accuracy"]!)
    }

    /// A split W1A8 student whose distillation is interrupted in stage 1 and again in stage 2, then resumed each
    /// time from a fresh process state, ends with exactly the weights, second halves, activation clips and metrics
    /// of an uninterrupted run.
    func testInterruptedDistillationResumesExactly() throws {
        let train = SyntheticTask.data(count: 96, seed: 1), dev = SyntheticTask.data(count: 32, seed: 2)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("bb-resume-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let quiet = ProgressReporter(enabled: false)
        let teacher = try randomTinyTeacher(seed: 4)
        func student(method: String, split: Bool) throws -> QuantizedBertModel<Double> {
            let base = try copy(of: teacher)
            let ternary = try QuantizedBertModel(model: base, spec: QuantizationSpec(
                method: method, weightBits: 2, activationBits: 8, quantizedTensors: QuantizationSpec.defaultQuantizedTensors(base.table)))
            return split ? try ternary.splitIntoBinary().0 : ternary
        }
        // TWS binary (second halves + their optimizer) and LAQ ternary (stored scales α).
        for (method, split) in [("twn", true), (QuantizationSpec.lossAwareMethod, false)] {
            try checkResume(root: root.appendingPathComponent(method), teacher: teacher, train: train, dev: dev, quiet: quiet) {
                try student(method: method, split: split)
            }
        }
    }

    /// `evaluateInitial` (quantize --epochs 0) saves exactly the starting point of a trained run: BWN W1A4, whose
    /// LSQ steps initialise from the first training batch, trained from the saved directory ends bit for bit where a
    /// run from the teacher does; the saved model reloads with the metrics it reported.
    func testNoTrainingSavesTheExactStartingPoint() throws {
        let train = SyntheticTask.data(count: 64, seed: 1), dev = SyntheticTask.data(count: 32, seed: 2)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("bb-initial-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let quiet = ProgressReporter(enabled: false)
        let teacher = try randomTinyTeacher(seed: 5)
        func binarized() throws -> QuantizedBertModel<Double> {
            let base = try copy(of: teacher)
            return try QuantizedBertModel(model: base, spec: QuantizationSpec(
                method: "bwn", weightBits: 1, activationBits: 4, quantizedTensors: QuantizationSpec.defaultQuantizedTensors(base.table)))
        }
        var options = DistillationOptions()
        options.epochsPerStage = 1; options.batchSize = 16; options.learningRate = 5e-4; options.evalEvery = 3

        let initial = try DistillationPipeline.evaluateInitial(student: try binarized(), train: train, dev: dev, options: options,
                                                               output: root.appendingPathComponent("initial"), tokenizerSource: nil)
        XCTAssertEqual(initial.steps, 0)
        let saved = try XCTUnwrap(QuantizedModelDirectory.load(root.appendingPathComponent("initial"), as: Double.self))
        XCTAssertFalse(saved.activationQuantizers!.needsInitialization, "the LSQ steps are saved initialised")
        XCTAssertEqual(try Evaluator.evaluate(saved.model, on: dev).metrics, initial.best)
        let metricsFile = try Data(contentsOf: root.appendingPathComponent("initial/metrics.json"))
        XCTAssertEqual(try JSONFormat.decoder().decode(TrainingSummary.self, from: metricsFile).best, initial.best)

        let direct = try binarized()
        let expected = try DistillationPipeline.run(student: direct, teacher: teacher, train: train, dev: dev, options: options,
                                                    output: root.appendingPathComponent("direct"), tokenizerSource: nil, progress: quiet)
        let fromSaved = try DistillationPipeline.run(student: saved, teacher: teacher, train: train, dev: dev, options: options,
                                                     output: root.appendingPathComponent("from-initial"), tokenizerSource: nil, progress: quiet)
        XCTAssertTrue(saved.model.parameters.array == direct.model.parameters.array, "the trained weights differ")
        XCTAssertEqual(saved.activationQuantizers!.serialized, direct.activationQuantizers!.serialized)
        XCTAssertEqual(fromSaved.best, expected.best)
        XCTAssertEqual(fromSaved.final, expected.final)
    }

    /// Without stage-1 evaluation the run trains the same weights and keeps the same best model; stage 1 logs no dev
    /// metric and reports none. A save at a snapshot's step links the snapshot's files instead of writing them again.
    func testSkippingStage1EvaluationChangesNoWeights() throws {
        let train = SyntheticTask.data(count: 64, seed: 1), dev = SyntheticTask.data(count: 32, seed: 2)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("bb-nostage1eval-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let quiet = ProgressReporter(enabled: false)
        let teacher = try randomTinyTeacher(seed: 6)
        func binarized() throws -> QuantizedBertModel<Double> {
            let base = try copy(of: teacher)
            return try QuantizedBertModel(model: base, spec: QuantizationSpec(
                method: "bwn", weightBits: 1, activationBits: 8, quantizedTensors: QuantizationSpec.defaultQuantizedTensors(base.table)))
        }
        var options = DistillationOptions()
        options.epochsPerStage = 1; options.batchSize = 16; options.learningRate = 5e-4; options.evalEvery = 1000
        options.snapshotEvery = 2
        let a = try binarized(), b = try binarized()
        let expected = try DistillationPipeline.run(student: a, teacher: teacher, train: train, dev: dev, options: options,
                                                    output: root.appendingPathComponent("a"), tokenizerSource: nil, progress: quiet)
        options.evaluateStage1 = false
        let summary = try DistillationPipeline.run(student: b, teacher: teacher, train: train, dev: dev, options: options,
                                                   output: root.appendingPathComponent("b"), tokenizerSource: nil, progress: quiet)
        XCTAssertEqual(a.model.parameters.array, b.model.parameters.array)
        XCTAssertEqual(summary.best, expected.best)
        XCTAssertEqual(summary.final, expected.final)
        let fm = FileManager.default
        for dir in ["a", "b", "a/stage1", "b/stage1"] {
            XCTAssertEqual(try Data(contentsOf: root.appendingPathComponent("\(dir)/model.safetensors")),
                           try Data(contentsOf: root.appendingPathComponent("a/\(dir.hasSuffix("stage1") ? "stage1/" : "")model.safetensors")))
            // The last snapshot (step 4) and the model saved at step 4 are one file.
            let saved = try fm.attributesOfItem(atPath: root.appendingPathComponent("\(dir)/model.safetensors").path)
            let snap = try fm.attributesOfItem(atPath: root.appendingPathComponent("\(dir)/snapshots/step-000004/model.safetensors").path)
            XCTAssertEqual(saved[.systemFileNumber] as? Int, snap[.systemFileNumber] as? Int, dir)
        }
        let log = try String(contentsOf: root.appendingPathComponent("b/stage1/train_log.csv"), encoding: .utf8)
        let row = log.split(separator: "\n")[1].split(separator: ",", omittingEmptySubsequences: false)
        XCTAssertEqual(row[0], "4")
        XCTAssertEqual(row[4], "")
        let stage1 = try JSONFormat.decoder().decode(TrainingSummary.self, from: Data(contentsOf: root.appendingPathComponent("b/stage1/metrics.json")))
        XCTAssertEqual(stage1.best, [:])
        XCTAssertEqual(stage1.options.skipEvaluation, true)
    }

    /// A 2-layer, 2-head, hidden-16 classifier with dropout and random weights (std 0.2).
    private func randomTinyTeacher(seed: UInt64) throws -> BertModel<Double> {
        let config = BertConfig(vocabSize: 50, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 32,
                                hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1, maxPositionEmbeddings: 16, numLabels: 2)
        let teacher = try BertModel<Double>(config: config)
        teacher.randomizeAllParameters(seed: seed, std: 0.2)
        return teacher
    }

    private func copy(of model: BertModel<Double>) throws -> BertModel<Double> {
        let base = try BertModel<Double>(config: model.config)
        base.parameters.copy(from: model.parameters)
        return base
    }

    private func checkResume(root: URL, teacher: BertModel<Double>, train: EncodedDataset, dev: EncodedDataset, quiet: ProgressReporter,
                             freshStudent: () throws -> QuantizedBertModel<Double>) throws {
        var options = DistillationOptions()
        options.epochsPerStage = 2; options.batchSize = 16; options.learningRate = 5e-4; options.evalEvery = 5

        let whole = try freshStudent()
        let expected = try XCTUnwrap(DistillationPipeline.runStages(
            student: whole, teacher: teacher, train: train, dev: dev, options: options, output: root.appendingPathComponent("whole"),
            tokenizerSource: nil, progress: quiet, resume: false, stopAfter: nil))

        let out = root.appendingPathComponent("resumed")
        XCTAssertNil(try DistillationPipeline.runStages(student: try freshStudent(), teacher: teacher, train: train, dev: dev,
                                                        options: options, output: out, tokenizerSource: nil, progress: quiet,
                                                        resume: false, stopAfter: (1, 7)))
        XCTAssertNil(try DistillationPipeline.runStages(student: try freshStudent(), teacher: teacher, train: train, dev: dev,
                                                        options: options, output: out, tokenizerSource: nil, progress: quiet,
                                                        resume: true, stopAfter: (2, 3)))
        let resumed = try freshStudent()
        let summary = try XCTUnwrap(DistillationPipeline.runStages(
            student: resumed, teacher: teacher, train: train, dev: dev, options: options, output: out,
            tokenizerSource: nil, progress: quiet, resume: true, stopAfter: nil))

        XCTAssertEqual(resumed.model.parameters.array, whole.model.parameters.array)
        XCTAssertEqual(resumed.secondHalf?.array, whole.secondHalf?.array)
        XCTAssertEqual(resumed.laqScales, whole.laqScales)
        XCTAssertEqual(resumed.activationQuantizers!.serialized, whole.activationQuantizers!.serialized)
        XCTAssertEqual(summary.best, expected.best)
        XCTAssertEqual(summary.bestStep, expected.bestStep)
        XCTAssertEqual(summary.final, expected.final)
    }

    /// The checkpoint files a quantized run adds: a round trip restores them; a missing, malformed or mismatched one
    /// is refused with an error that names the file.
    func testQuantizedTrainingStateRejectsBadFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bb-qstate-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let config = BertConfig(vocabSize: 30, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 16,
                                maxPositionEmbeddings: 8, numLabels: 2)
        func student(_ method: String, split: Bool) throws -> QuantizedBertModel<Double> {
            let base = try BertModel<Double>(config: config)
            base.randomizeAllParameters(seed: 5)
            let q = try QuantizedBertModel(model: base, spec: QuantizationSpec(
                method: method, weightBits: 2, activationBits: 8, quantizedTensors: QuantizationSpec.defaultQuantizedTensors(base.table)))
            return split ? try q.splitIntoBinary().0 : q
        }
        func expectError(naming file: String, _ body: () throws -> Void) {
            XCTAssertThrowsError(try body(), file) { XCTAssertTrue("\($0)".contains(file), "\($0)") }
        }

        let split = try student("twn", split: true)
        let optimizer = BertAdam<Double>(parameterCount: split.model.table.totalCount, groups: [.init(views: split.quantizedViews, weightDecay: 0)])
        try QuantizedTrainingState.save(student: split, secondOptimizer: optimizer, to: dir)
        let other = try student("twn", split: true)
        try QuantizedTrainingState.restore(student: other, secondOptimizer: optimizer, from: dir)
        XCTAssertEqual(other.secondHalf!.array, split.secondHalf!.array)

        let activations = dir.appendingPathComponent(QuantizedTrainingState.activationFile)
        try Data("{".utf8).write(to: activations)
        expectError(naming: QuantizedTrainingState.activationFile) {
            try QuantizedTrainingState.restore(student: other, secondOptimizer: optimizer, from: dir)
        }
        try FileManager.default.removeItem(at: activations)
        expectError(naming: QuantizedTrainingState.activationFile) {
            try QuantizedTrainingState.restore(student: other, secondOptimizer: optimizer, from: dir)
        }
        try FileManager.default.removeItem(at: dir.appendingPathComponent(QuantizedTrainingState.tensorsFile))
        expectError(naming: QuantizedTrainingState.tensorsFile) {
            try QuantizedTrainingState.restore(student: other, secondOptimizer: optimizer, from: dir)
        }

        let laq = try student(QuantizationSpec.lossAwareMethod, split: false)
        try QuantizedTrainingState.save(student: laq, secondOptimizer: nil, to: dir)
        try Data("[[1.0]]".utf8).write(to: dir.appendingPathComponent(QuantizedTrainingState.lossAwareFile))
        expectError(naming: QuantizedTrainingState.lossAwareFile) {
            try QuantizedTrainingState.restore(student: laq, secondOptimizer: nil, from: dir)
        }
    }
}
