import BERT
import Foundation
import Numerics
import Storage
import Training

/// Hyper-parameters of two-stage distillation (per stage: its own optimizer, warm-up and schedule).
public struct DistillationOptions: Codable, Sendable, Equatable {
    public var epochsPerStage = 2
    public var batchSize = 32
    /// LR of stage 2; stage 1 uses `stage1LearningRateScale` × LR (2.5 in the official scripts).
    public var learningRate = 5e-5
    public var stage1LearningRateScale = 2.5
    public var seed: UInt64 = 42
    public var evalEvery = 100
    /// Keep the student every N steps of each stage (`OUTPUT/stage1/snapshots/`, `OUTPUT/snapshots/`); nil: none.
    public var snapshotEvery: Int?
    /// Log the mean training loss every N steps of each stage (`FineTuneOptions.logEvery`); nil: at evaluations only.
    public var logEvery: Int?
    /// Evaluate on dev before the first step and every N steps of each stage for the learning curve only
    /// (`FineTuneOptions.curveEvery`: never chooses, never changes the run; stage 1 too); nil: none.
    public var curveEvery: Int?
    /// Dev examples the learning-curve evaluations read (`FineTuneOptions.curveExamples`); nil: all.
    public var curveExamples: Int?
    /// Evaluate stage 1 on dev at its evaluation points (its dev metric is reported, never used to choose: stage 1
    /// keeps its last state). False skips those evaluations, as the official scripts do; stage 1 still saves its
    /// model, log rows and checkpoint there.
    public var evaluateStage1 = true
    public var warmupFraction = 0.1
    public var weightDecay = 0.01
    /// Skip stage 1 (intermediate-layer distillation), e.g. when teacher and student differ in shape.
    public var skipStage1 = false
    /// Peak learning rate of the activation quantizers' clip values / LSQ steps (their own group, no decay),
    /// following the same warm-up and decay as the weights.
    public var activationLearningRate = 1e-4

    public init() {}

    /// Refuses the options a user sets out of range (one sentence naming the option; `epochs` names the epochs).
    public func validate(epochs: String = "--epochs") throws {
        try OptionCheck.epochs(epochsPerStage, epochs, allowZero: true)
        try OptionCheck.positive(batchSize, "--batch-size", max: 65_536)
        try OptionCheck.positive(evalEvery, "--eval-every")
        try OptionCheck.positive(logEvery, "--log-every")
        try OptionCheck.positive(curveEvery, "--curve-every")
        try OptionCheck.positive(curveExamples, "--curve-examples")
        try OptionCheck.learningRate(learningRate)
        if let snapshotEvery, snapshotEvery <= 0 { throw OptionError("--save-every must be positive, not \(snapshotEvery)") }
    }

    func fineTuneOptions(stage: Int) -> FineTuneOptions {
        var o = FineTuneOptions()
        o.epochs = epochsPerStage
        o.batchSize = batchSize
        o.learningRate = stage == 1 ? learningRate * stage1LearningRateScale : learningRate
        o.seed = seed &+ UInt64(stage)
        o.evalEvery = evalEvery
        o.snapshotEvery = snapshotEvery
        o.logEvery = logEvery
        o.curveEvery = curveEvery
        o.curveExamples = curveExamples
        if stage == 1 && !evaluateStage1 { o.skipEvaluation = true }
        o.warmupFraction = warmupFraction
        o.weightDecay = weightDecay
        return o
    }
}

/// Quantization-aware training of a student by two-stage distillation from a full-precision teacher:
/// stage 1 matches attention scores and hidden states (output/stage1 keeps the last state), stage 2 matches the
/// logits (soft cross-entropy; MSE for regression) and keeps the best dev checkpoint in `output`.
public enum DistillationPipeline {
    /// Runs both stages. With `resume`, continues an interrupted run in `output` with the same options: a finished
    /// stage 1 (OUTPUT/stage1/metrics.json) is loaded instead of re-run, an unfinished stage continues from its
    /// `checkpoint-last/` exactly (same bytes as an uninterrupted run for the same thread count). With `teacherCache`,
    /// the teacher's targets of a batch are read from it when another run stored them, and stored otherwise (same
    /// bytes either way).
    public static func run<T: BLASReal>(student: QuantizedBertModel<T>, teacher: BertModel<T>, train: EncodedDataset,
                                        dev: EncodedDataset, options: DistillationOptions, output: URL, tokenizerSource: URL?,
                                        progress: ProgressReporter = ProgressReporter(), resume: Bool = false,
                                        teacherCache: TeacherCache<T>? = nil) throws -> TrainingSummary {
        try runStages(student: student, teacher: teacher, train: train, dev: dev, options: options, output: output,
                      tokenizerSource: tokenizerSource, progress: progress, resume: resume, stopAfter: nil, teacherCache: teacherCache)!
    }

    /// No training: the student as initialised (post-training quantization of the teacher, or the `--init` model)
    /// is saved to `output` with its dev metrics in `metrics.json` (0 steps). LSQ steps, which initialise from the
    /// first batch they see, first see the first training batch of the first stage, in training mode with that step's
    /// dropout, as in `run`: the saved model is exactly where `run` with the same options starts.
    public static func evaluateInitial<T: BLASReal>(student: QuantizedBertModel<T>, train: EncodedDataset, dev: EncodedDataset,
                                                    options: DistillationOptions, output: URL, tokenizerSource: URL?) throws -> TrainingSummary {
        guard train.count > 0 else { throw TrainingError.emptyDataset("the training set") }
        guard dev.count > 0 else { throw TrainingError.emptyDataset("the dev set") }
        let start = Date()
        let first = options.fineTuneOptions(stage: options.skipStage1 ? 2 : 1)
        if student.activationQuantizers?.needsInitialization == true {
            let (tokens, _) = train.batch(train.shuffledBatches(batchSize: first.batchSize, seed: first.seed, epoch: 0)[0])
            var rng = FineTuner<T>.dropoutRNG(seed: first.seed, step: 0)
            _ = try student.model.forward(tokens, training: true, rng: &rng)
        }
        let result = try Evaluator.evaluate(student.model, on: dev)
        try QuantizedModelDirectory.save(student, to: output, tokenizerSource: tokenizerSource)
        let summary = TrainingSummary(task: train.task.name, primaryMetric: train.task.primaryMetric, best: result.metrics,
                                      bestStep: 0, final: result.metrics, steps: 0, trainExamples: train.count,
                                      devExamples: dev.count, wallSeconds: Date().timeIntervalSince(start), trainSeconds: 0,
                                      options: first)
        try summary.write(to: output)
        return summary
    }

    /// Where stage 1 keeps its last state, metrics, log and checkpoint, inside the run's output.
    public static func stage1Folder(of output: URL) -> URL { output.appendingPathComponent("stage1") }

    /// Deletes both stages' checkpoints of a finished run in `output` (`TrainingCheckpoint.remove`).
    public static func removeCheckpoints(in output: URL) throws {
        try TrainingCheckpoint.remove(in: output)
        try TrainingCheckpoint.remove(in: stage1Folder(of: output))
    }

    /// Whether `output` holds anything a resumed run continues from: a finished stage 1 or a checkpoint of either stage.
    public static func hasProgress(in output: URL, skipStage1: Bool) -> Bool {
        let stage1 = stage1Folder(of: output)
        if !skipStage1 && (FileManager.default.fileExists(atPath: stage1.appendingPathComponent(TrainingSummary.fileName).path)
                           || TrainingCheckpoint.resumable(in: stage1) != nil) { return true }
        return TrainingCheckpoint.resumable(in: output) != nil
    }

    /// `run`, or nil after `stopAfter.step` steps of stage `stopAfter.stage` (as an interruption would; for tests).
    static func runStages<T: BLASReal>(student: QuantizedBertModel<T>, teacher: BertModel<T>, train: EncodedDataset,
                                       dev: EncodedDataset, options: DistillationOptions, output: URL, tokenizerSource: URL?,
                                       progress: ProgressReporter, resume: Bool, stopAfter: (stage: Int, step: Int)?,
                                       teacherCache: TeacherCache<T>? = nil) throws -> TrainingSummary? {
        let s = student.model.config, t = teacher.config
        guard s.numHiddenLayers == t.numHiddenLayers, s.numAttentionHeads == t.numAttentionHeads, s.hiddenSize == t.hiddenSize else {
            throw QuantizationError.badSpec(file: "teacher", reason: "teacher and student differ in layers, heads or hidden size")
        }
        let fm = FileManager.default
        func hasCheckpoint(_ dir: URL) -> Bool { TrainingCheckpoint.resumable(in: dir) != nil }
        if !options.skipStage1 {
            let stage1 = stage1Folder(of: output)
            if resume && fm.fileExists(atPath: stage1.appendingPathComponent(TrainingSummary.fileName).path) {
                progress.note("stage 1: finished earlier, loading its last state from \(stage1.path)")
                try student.restore(from: stage1)
            } else {
                progress.note("stage 1: attention-score and hidden-state distillation")
                let done = try stage(1, student: student, teacher: teacher, train: train, dev: dev, options: options,
                                     output: stage1, tokenizerSource: tokenizerSource, progress: progress,
                                     resume: resume && hasCheckpoint(stage1), stopAfter: stopAfter?.stage == 1 ? stopAfter?.step : nil,
                                     teacherCache: teacherCache)
                if done == nil { return nil }
            }
        }
        progress.note("stage 2: prediction-layer distillation")
        return try stage(2, student: student, teacher: teacher, train: train, dev: dev, options: options,
                         output: output, tokenizerSource: tokenizerSource, progress: progress,
                         resume: resume && hasCheckpoint(output), stopAfter: stopAfter?.stage == 2 ? stopAfter?.step : nil,
                         teacherCache: teacherCache)
    }

    static func stage<T: BLASReal>(_ number: Int, student: QuantizedBertModel<T>, teacher: BertModel<T>, train: EncodedDataset,
                                   dev: EncodedDataset, options: DistillationOptions, output: URL, tokenizerSource: URL?,
                                   progress: ProgressReporter, resume: Bool, stopAfter: Int?,
                                   teacherCache: TeacherCache<T>? = nil) throws -> TrainingSummary? {
        let model = student.model
        student.activationQuantizers?.resetOptimizer()
        let layers = model.config.numHiddenLayers
        let regression = train.task.isRegression
        // The second halves of a split model get their own optimizer over the same gradients.
        let secondOptimizer: BertAdam<T>? = student.secondHalf.map { _ in
            BertAdam<T>(parameterCount: model.table.totalCount,
                        groups: [.init(views: student.splitViews, weightDecay: options.weightDecay),
                                 .init(views: student.splitBiasViews, weightDecay: 0)])
        }
        var hooks = TrainingHooks<T>()
        hooks.keepBest = number == 2
        hooks.evaluatesAtStart = student.activationQuantizers?.needsInitialization != true
        // LAQ refits α after every step with d = √v + ε from the student's optimizer (this stage's, created by the
        // fine-tuner); the split halves' optimizer never applies (LAQ models are not split).
        let curvature = OptimizerBox<T>()
        if student.quantizer == .lossAwareTernary { hooks.optimizerCreated = { curvature.optimizer = $0 } }
        let kind = TeacherTargets<T>.Kind(stage: number)
        hooks.lossAndGradient = { batch, _, rng in
            let targets = try teacherCache.map { try $0.targets(kind, for: batch) { try teacher.forward(batch) } }
                ?? TeacherTargets(kind, of: try teacher.forward(batch), layers: layers)
            let studentActs = try model.forward(batch, training: true, rng: &rng)
            let (loss, seeds): (Double, OutputGradients<T>)
            if number == 1 {
                (loss, seeds) = DistillationLoss.intermediate(student: studentActs, teacher: targets, layers: layers)
            } else if regression {
                (loss, seeds) = DistillationLoss.logitMSE(student: studentActs.logits!, teacher: targets.logits!)
            } else {
                (loss, seeds) = DistillationLoss.softCrossEntropy(student: studentActs.logits!, teacher: targets.logits!,
                                                                  classes: model.classes!)
            }
            model.zeroGradients()
            model.backward(studentActs, seeds: seeds)
            return loss
        }
        let peak = options.fineTuneOptions(stage: number).learningRate
        hooks.afterUpdate = { lr in
            if let opt = secondOptimizer, let w2 = student.secondHalf {
                opt.step(parameters: w2, gradients: model.gradients, lr: lr)
            }
            student.activationQuantizers?.step(lr: options.activationLearningRate * lr / peak)
            if let opt = curvature.optimizer {
                // BertAdam's denominator: √(v/c₂) + ε; c₂ = 1 without bias correction (the default).
                guard !opt.biasCorrection else {
                    throw QuantizationError.badSpec(file: "options", reason: "LAQ reads BertAdam's √v + ε; bias correction is not supported")
                }
                student.fitLossAwareScales(secondMoment: opt.secondMoment.pointer, epsilon: opt.epsilon)
            }
            student.refresh()
        }
        hooks.saveModel = { url in try QuantizedModelDirectory.save(student, to: url, tokenizerSource: tokenizerSource) }
        hooks.saveState = { dir in try QuantizedTrainingState.save(student: student, secondOptimizer: secondOptimizer, to: dir) }
        hooks.restoreState = { dir in try QuantizedTrainingState.restore(student: student, secondOptimizer: secondOptimizer, from: dir) }
        let summary = try FineTuner(model: model, train: train, dev: dev, options: options.fineTuneOptions(stage: number),
                                    output: output, tokenizerSource: tokenizerSource, progress: progress, hooks: hooks)
            .run(resume: resume, stopAfter: stopAfter)
        if let teacherCache { progress.note("stage \(number): \(teacherCache.summary)") }
        return summary
    }
}

/// Holds the optimizer a `TrainingHooks.optimizerCreated` hook receives, for the other hooks of the same run.
final class OptimizerBox<T: BLASReal> {
    var optimizer: BertAdam<T>?
}
