import BERT
import Foundation
import Storage
import Numerics
import Text

/// Hyper-parameters of a fine-tuning run (defaults follow the official GLUE scripts where they apply).
public struct FineTuneOptions: Codable, Sendable, Equatable {
    public var epochs = 2
    public var batchSize = 32
    public var learningRate = 5e-5
    public var warmupFraction = 0.1
    public var weightDecay = 0.01
    public var maxGradNorm = 1.0
    public var biasCorrection = false
    public var seed: UInt64 = 42
    /// Evaluate on dev every N optimizer steps (and at the end of every epoch).
    public var evalEvery = 100
    public var evalBatchSize = 64
    /// Keep the model every N optimizer steps (and before the first) in `OUTPUT/snapshots/step-NNNNNN/`; nil: none.
    public var snapshotEvery: Int?
    /// Add a row to `train_log.csv` every N optimizer steps (its dev_metric empty); nil: rows at evaluations only.
    /// Every row's loss is the mean training loss since the previous row.
    public var logEvery: Int?
    /// Also evaluate on dev before the first step and every N steps, for the learning curve: the metric goes into that
    /// step's `train_log.csv` row and nowhere else (these evaluations never choose the kept model, and the run's
    /// model, optimizer and random streams are exactly those of a run without them); nil: none.
    public var curveEvery: Int?
    /// The learning-curve evaluations read only this many dev examples, the same ones for every model, replicate and
    /// step (`EncodedDataset.seededSubset(n, seed: 0)`), and `train_log.csv`'s dev_metric then holds only those
    /// (the recipe's own evaluations still read the whole dev set, into `metrics.json`); nil: the whole dev set.
    public var curveExamples: Int?
    /// true: no dev evaluation at the evaluation points, which only save there (the model, a `train_log.csv` row
    /// without dev_metric, the checkpoint); the last model is kept and `metrics.json` has no metrics. For a stage whose
    /// model nothing chooses on dev (stage 1 of distillation). nil: evaluate (and nothing is written to JSON).
    public var skipEvaluation: Bool?

    public init() {}

    var evaluates: Bool { skipEvaluation != true }

    /// Refuses the options a user sets out of range (one sentence naming the option).
    public func validate() throws {
        try OptionCheck.epochs(epochs)
        try OptionCheck.positive(batchSize, "--batch-size", max: 65_536)
        try OptionCheck.positive(evalEvery, "--eval-every")
        try OptionCheck.positive(logEvery, "--log-every")
        try OptionCheck.positive(curveEvery, "--curve-every")
        try OptionCheck.positive(curveExamples, "--curve-examples")
        try OptionCheck.learningRate(learningRate)
        try OptionCheck.number(warmupFraction, "--warmup", in: 0.0..<1.0)
        try OptionCheck.number(weightDecay, "--weight-decay", in: 0.0...1.0)
    }
}

/// What a finished run reports (also written to `metrics.json`).
public struct TrainingSummary: Codable, Sendable {
    public var task: String
    public var primaryMetric: String
    public var best: [String: Double]
    public var bestStep: Int
    public var final: [String: Double]
    public var steps: Int
    public var trainExamples: Int
    public var devExamples: Int
    public var wallSeconds: Double
    public var trainSeconds: Double
    public var options: FineTuneOptions
    /// What made it: the command line, the thread count (results do not depend on it: the kernels cut work by
    /// shape only) and the sha256 of the training and dev examples (`EncodedDataset.fingerprint`).
    public var command: [String]?
    public var threads: Int?
    public var trainDataSha256: String?
    public var devDataSha256: String?

    public init(task: String, primaryMetric: String, best: [String: Double], bestStep: Int, final: [String: Double], steps: Int,
                trainExamples: Int, devExamples: Int, wallSeconds: Double, trainSeconds: Double, options: FineTuneOptions,
                trainDataSha256: String? = nil, devDataSha256: String? = nil) {
        self.command = Provenance.command
        self.threads = Parallel.threads
        self.trainDataSha256 = trainDataSha256
        self.devDataSha256 = devDataSha256
        self.task = task
        self.primaryMetric = primaryMetric
        self.best = best
        self.bestStep = bestStep
        self.final = final
        self.steps = steps
        self.trainExamples = trainExamples
        self.devExamples = devExamples
        self.wallSeconds = wallSeconds
        self.trainSeconds = trainSeconds
        self.options = options
    }

    public static let fileName = "metrics.json"

    /// Writes the summary as `directory/metrics.json` (pretty, sorted keys, atomically).
    public func write(to directory: URL) throws {
        try ModelDirectory.atomicWrite(try JSONFormat.file(self), to: directory.appendingPathComponent(TrainingSummary.fileName))
    }
}

/// Ways to change what the fine-tuner optimizes without copying its loop (distillation, quantized models).
public struct TrainingHooks<T: BLASReal> {
    /// Forward, loss and backward of one training batch into `model.gradients` (default: the model's task loss).
    public var lossAndGradient: ((TokenBatch, Targets, inout SeededRNG) throws -> Double)?
    /// Called after the optimizer step with that step's learning rate (e.g. to update the second halves of a split
    /// model and re-quantize).
    public var afterUpdate: ((Double) throws -> Void)?
    /// Called once with the run's optimizer, before the first step (e.g. for LAQ, which reads its second moment).
    public var optimizerCreated: ((BertAdam<T>) throws -> Void)?
    /// Writes the model to a directory (default: ModelDirectory.save of the model).
    public var saveModel: ((URL) throws -> Void)?
    /// Keep the best evaluation (true) or the last one (false) in the output directory.
    public var keepBest = true
    /// Writes the training state kept outside `model.parameters` and the optimizer (e.g. the second halves of a
    /// split model, other optimizers, activation quantizers) into `checkpoint-last/`, and reads it back on resume.
    public var saveState: ((URL) throws -> Void)?
    public var restoreState: ((URL) throws -> Void)?
    /// Whether `FineTuneOptions.curveEvery` may evaluate before the first step: false where a forward would change
    /// the run (LSQ steps initialise from the first batch they see).
    public var evaluatesAtStart = true

    public init() {}

    /// Hooks that keep state outside the model must say how to checkpoint it before a run can resume.
    var supportsResume: Bool { (afterUpdate == nil && saveModel == nil) || (saveState != nil && restoreState != nil) }
}

/// Where `FineTuneOptions.snapshotEvery` keeps its models inside a run's output directory: `snapshots/step-NNNNNN/`,
/// each written whole under a `.partial` name and renamed.
public enum TrainingSnapshot {
    public static let folder = "snapshots"
    public static func name(step: Int) -> String { String(format: "step-%06d", step) }
}

/// Where a run's resumable checkpoint lives in its output directory: `checkpoint-last/`, written whole into
/// `checkpoint-last.partial/` and swapped in; the previous one sits in `checkpoint-last.old/` for the instant of
/// the swap.
public enum TrainingCheckpoint {
    static let current = "checkpoint-last", partial = "checkpoint-last.partial", previous = "checkpoint-last.old"
    static let stateFile = "trainer_state.json"

    /// Whether a name in an output directory is a half-written checkpoint or snapshot a crash left (removed when the
    /// next run in that directory starts).
    public static func isLeftover(_ name: String) -> Bool {
        name == partial || (name.hasPrefix("step-") && name.hasSuffix(".partial"))
    }

    /// The checkpoint a resumed run in `output` continues from (`checkpoint-last/`, or `checkpoint-last.old/` when
    /// an interruption fell inside the swap), nil when there is none.
    public static func resumable(in output: URL) -> URL? {
        [current, previous].lazy.map { output.appendingPathComponent($0) }
            .first { FileManager.default.fileExists(atPath: $0.appendingPathComponent(stateFile).path) }
    }

    /// Deletes the checkpoints of a finished run in `output` (nothing resumes it any more). Each is first renamed to
    /// `partial`, a leftover name, so a kill midway leaves no half-deleted `checkpoint-last/` for a resume to read,
    /// only a leftover that the next run in `output` (or the next `remove`) deletes.
    public static func remove(in output: URL) throws {
        let fm = FileManager.default
        let doomed = output.appendingPathComponent(partial)
        for name in [current, previous] {
            let checkpoint = output.appendingPathComponent(name)
            if fm.fileExists(atPath: doomed.path) { try fm.removeItem(at: doomed) }
            if fm.fileExists(atPath: checkpoint.path) { try fm.moveItem(at: checkpoint, to: doomed) }
        }
        if fm.fileExists(atPath: doomed.path) { try fm.removeItem(at: doomed) }
    }
}

/// The state `checkpoint-last/` keeps so that a run can resume exactly where it was.
struct TrainerState: Codable {
    var step: Int
    var bestMetric: Double?
    var bestStep: Int
    var bestMetrics: [String: Double]
    var lastMetrics: [String: Double] = [:]
    var log: [TrainingLogRow]
    /// The training loss summed over the steps since the last evaluation and since the last log row (nil in
    /// checkpoints written before these were kept: zero), so that a resumed run logs what an uninterrupted one does.
    var evalWindow: LossWindow?
    var logWindow: LossWindow?
    var trainSeconds: Double
    var options: FineTuneOptions
    /// `EncodedDataset.fingerprint` of the training set and of the dev set: a resume on other data is refused.
    var trainData: String
    var devData: String
}

/// A sum of training losses over consecutive steps.
struct LossWindow: Codable, Equatable {
    var loss = 0.0
    var steps = 0
    var mean: Double { steps > 0 ? loss / Double(steps) : .nan }
}

/// Fine-tunes a model with a task loss: seeded shuffling and dropout, BertAdam, warm-up then linear decay,
/// evaluation every N steps, the best model (by the task's metric) kept in the output directory.
///
/// Output directory: the best model in HF layout (config.json, model.safetensors, tokenizer files), `metrics.json`,
/// `train_log.csv`, and `checkpoint-last/` (weights, optimizer moments, trainer state) for `resume`.
/// Dropout masks of step t come from stream t of the seed, so a resumed run is identical to an uninterrupted one.
public final class FineTuner<T: BLASReal> {
    public let model: BertModel<T>
    public let train: EncodedDataset
    public let dev: EncodedDataset
    public let options: FineTuneOptions
    public let output: URL
    public let tokenizerSource: URL?
    public let progress: ProgressReporter
    public var hooks: TrainingHooks<T>

    public init(model: BertModel<T>, train: EncodedDataset, dev: EncodedDataset, options: FineTuneOptions,
                output: URL, tokenizerSource: URL?, progress: ProgressReporter = ProgressReporter(),
                hooks: TrainingHooks<T> = TrainingHooks()) {
        self.hooks = hooks
        self.model = model
        self.train = train
        self.dev = dev
        self.options = options
        self.output = output
        self.tokenizerSource = tokenizerSource
        self.progress = progress
    }

    var checkpointDirectory: URL { output.appendingPathComponent(TrainingCheckpoint.current) }

    /// The random stream of the training forward of step `step` (0-based): dropout masks.
    public static func dropoutRNG(seed: UInt64, step: Int) -> SeededRNG {
        SeededRNG(seed: seed, stream: 0xD20F_0000_0000 + UInt64(step))
    }

    /// Trains to the end (or, with `stopAfter`, returns nil after that many steps, as an interrupted run would,
    /// leaving `checkpoint-last/` to resume from).
    @discardableResult
    public func run(resume: Bool = false, stopAfter: Int? = nil) throws -> TrainingSummary? {
        guard train.count > 0 else { throw TrainingError.emptyDataset("the training set") }
        guard dev.count > 0 else { throw TrainingError.emptyDataset("the dev set") }
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let loop = try TrainingLoop(self, resume: resume)
        try hooks.optimizerCreated?(loop.optimizer)
        let wallStart = Date()
        loop.startWindows()
        progress.note("training: \(train.count) examples, \(loop.stepsPerEpoch) steps/epoch × \(options.epochs) epochs = \(loop.totalSteps) steps"
                      + (loop.state.step > 0 ? ", resuming at step \(loop.state.step)" : ""))
        if loop.state.step == 0, options.snapshotEvery != nil { try loop.saveSnapshot() }
        if loop.state.step == 0, options.curveEvery != nil, hooks.evaluatesAtStart { try loop.appendStartRow() }
        while loop.state.step < loop.totalSteps {
            let epoch = loop.state.step / loop.stepsPerEpoch
            let batches = train.shuffledBatches(batchSize: options.batchSize, seed: options.seed, epoch: epoch)
            for b in (loop.state.step % loop.stepsPerEpoch)..<batches.count {
                let lr = try loop.trainStep(batches[b], name: "batch \(b + 1) of \(batches.count) in epoch \(epoch + 1)", epoch: epoch)
                let endOfEpoch = b == batches.count - 1
                try loop.afterStep(lr: lr, epoch: epoch + 1, endOfEpoch: endOfEpoch)
                if let stop = stopAfter, loop.state.step >= stop {
                    try loop.checkpointBeforeStopping(endOfEpoch: endOfEpoch)
                    return nil
                }
            }
        }
        let summary = loop.summary(wallSeconds: Date().timeIntervalSince(wallStart))
        try summary.write(to: output)
        return summary
    }

    /// Writes the whole checkpoint into `checkpoint-last.partial/`, then swaps it in (the previous one is moved to
    /// `checkpoint-last.old/` for the instant of the swap), so an interruption never leaves a mixed checkpoint.
    fileprivate func saveCheckpoint(state: TrainerState, optimizer: BertAdam<T>) throws {
        let fm = FileManager.default
        let dir = output.appendingPathComponent(TrainingCheckpoint.partial)
        let old = output.appendingPathComponent(TrainingCheckpoint.previous)
        try? fm.removeItem(at: dir)
        do {
            try ModelDirectory.save(model, to: dir)
            var moments = SafetensorsWriter(metadata: ["step": String(optimizer.stepCount)])
            moments.add("exp_avg", shape: [optimizer.firstMoment.count], values: UnsafeBufferPointer(optimizer.firstMoment.buffer))
            moments.add("exp_avg_sq", shape: [optimizer.secondMoment.count], values: UnsafeBufferPointer(optimizer.secondMoment.buffer))
            try moments.write(to: dir.appendingPathComponent("optimizer.safetensors"))
            try hooks.saveState?(dir)
            try ModelDirectory.atomicWrite(try JSONFormat.file(state), to: dir.appendingPathComponent(TrainingCheckpoint.stateFile))
        } catch {
            // A write that fails (disk full, ...) leaves the previous checkpoint as it was and no half-written one.
            try? fm.removeItem(at: dir)
            throw error
        }
        try? fm.removeItem(at: old)
        if fm.fileExists(atPath: checkpointDirectory.path) { try fm.moveItem(at: checkpointDirectory, to: old) }
        try fm.moveItem(at: dir, to: checkpointDirectory)
        AtomicFile.syncDirectory(output)
        try? fm.removeItem(at: old)
    }

    fileprivate func restore(optimizer: BertAdam<T>, totalSteps: Int, trainData: String, devData: String) throws -> TrainerState {
        guard var dir = TrainingCheckpoint.resumable(in: output) else {
            throw TrainingError.resumeMismatch("no \(checkpointDirectory.appendingPathComponent(TrainingCheckpoint.stateFile).path)")
        }
        // A kill inside the swap leaves `checkpoint-last.old/`: beside a whole current checkpoint it is stale, alone it
        // is the checkpoint and takes the current name back (a resumed run that saves no checkpoint leaves neither).
        let fm = FileManager.default
        let previous = output.appendingPathComponent(TrainingCheckpoint.previous)
        if dir.lastPathComponent == TrainingCheckpoint.current {
            try? fm.removeItem(at: previous)
        } else {
            try? fm.removeItem(at: checkpointDirectory)
            try fm.moveItem(at: previous, to: checkpointDirectory)
            AtomicFile.syncDirectory(output)
            dir = checkpointDirectory
        }
        let stateURL = dir.appendingPathComponent(TrainingCheckpoint.stateFile)
        guard let data = try? Data(contentsOf: stateURL) else { throw TrainingError.resumeMismatch("cannot read \(stateURL.path)") }
        let state: TrainerState
        do { state = try JSONFormat.decoder().decode(TrainerState.self, from: data) } catch {
            throw TrainingError.resumeMismatch("\(stateURL.path) is torn or not a trainer state; delete \(dir.path) to start over")
        }
        guard state.options == options else {
            throw TrainingError.resumeMismatch("the options differ from those of the interrupted run (\(stateURL.path))")
        }
        guard state.trainData == trainData else {
            throw TrainingError.resumeMismatch("the training examples differ from those of the interrupted run (another task, --data, --limit, --subset or --max-length; \(stateURL.path))")
        }
        guard state.devData == devData else {
            throw TrainingError.resumeMismatch("the dev examples differ from those of the interrupted run (another task, --data or --max-length; \(stateURL.path))")
        }
        guard (0...totalSteps).contains(state.step), (0...state.step).contains(state.bestStep), state.trainSeconds.isFinite,
              state.trainSeconds >= 0 else {
            throw TrainingError.resumeMismatch("\(stateURL.path) is inconsistent (step \(state.step) of \(totalSteps), best step \(state.bestStep)); delete \(dir.path) to start over")
        }
        let saved = try ModelDirectory.load(dir, as: T.self)
        guard saved.table.totalCount == model.table.totalCount else { throw TrainingError.resumeMismatch("the model layout differs") }
        model.parameters.copy(from: saved.parameters)
        let moments = try SafetensorsFile(contentsOf: dir.appendingPathComponent("optimizer.safetensors"))
        try moments.copyValues("exp_avg", into: optimizer.firstMoment.pointer, count: optimizer.firstMoment.count)
        try moments.copyValues("exp_avg_sq", into: optimizer.secondMoment.pointer, count: optimizer.secondMoment.count)
        optimizer.restore(stepCount: state.step)
        try hooks.restoreState?(dir)
        return state
    }
}

/// One run of the fine-tuner's loop: its schedule and optimizer, the state a checkpoint keeps, and the open loss
/// windows (since the last evaluation and since the last log row). Each step of the loop is one method: a training
/// step, what follows it (snapshot, evaluation or log row), an evaluation keeping the best model, and the summary.
private final class TrainingLoop<T: BLASReal> {
    let tuner: FineTuner<T>
    let stepsPerEpoch: Int, totalSteps: Int
    let schedule: LinearWarmupSchedule
    let optimizer: BertAdam<T>
    let trainData: String, devData: String
    let metricName: String
    var state: TrainerState
    var window = LossWindow(), logWindow = LossWindow()
    var windowExamples = 0, logExamples = 0
    var windowStart = Date(), logStart = Date()
    /// The model directory a snapshot was last written to, and its step: a save of the same step links its files.
    var lastSnapshot: (step: Int, directory: URL)?

    var model: BertModel<T> { tuner.model }
    var options: FineTuneOptions { tuner.options }
    var hooks: TrainingHooks<T> { tuner.hooks }
    var output: URL { tuner.output }

    /// A fresh run, or the interrupted one's state and optimizer restored from its checkpoint.
    init(_ tuner: FineTuner<T>, resume: Bool) throws {
        self.tuner = tuner
        let options = tuner.options
        stepsPerEpoch = (tuner.train.count + options.batchSize - 1) / options.batchSize
        totalSteps = stepsPerEpoch * options.epochs
        schedule = LinearWarmupSchedule(peak: options.learningRate, totalSteps: totalSteps, warmupFraction: options.warmupFraction)
        optimizer = BertAdam(model: tuner.model, weightDecay: options.weightDecay, maxGradNorm: options.maxGradNorm,
                             biasCorrection: options.biasCorrection)
        trainData = tuner.train.fingerprint
        devData = tuner.dev.fingerprint
        metricName = tuner.train.task.primaryMetric
        state = TrainerState(step: 0, bestMetric: nil, bestStep: 0, bestMetrics: [:], log: [], trainSeconds: 0, options: options,
                             trainData: trainData, devData: devData)
        if resume {
            guard tuner.hooks.supportsResume else { throw TrainingError.resumeMismatch("this kind of run cannot be resumed yet") }
            state = try tuner.restore(optimizer: optimizer, totalSteps: totalSteps, trainData: trainData, devData: devData)
        }
    }

    /// Opens the loss windows where the state left them (a resumed run continues the interrupted one's).
    func startWindows() {
        window = state.evalWindow ?? LossWindow()
        logWindow = state.logWindow ?? LossWindow()
        windowStart = Date(); logStart = Date()
    }

    /// Where a numerical fault leaves the user: the checkpoint to resume from, else the best model.
    func lastGood() -> String? {
        if let dir = TrainingCheckpoint.resumable(in: output) { return dir.path }
        return FileManager.default.fileExists(atPath: output.appendingPathComponent(ModelDirectory.weightsFile).path) ? output.path : nil
    }

    func requireFiniteWeights(step: Int, batch: String) throws {
        if let i = T.kernelFirstNonFinite(model.parameters.pointer, model.parameters.count) {
            let name = model.table.view(containing: i)?.name ?? "?"
            throw TrainingError.nonFinite(what: "the weights (\(name))", step: step, batch: batch, lastGoodCheckpoint: lastGood())
        }
    }

    /// Forward, backward and optimizer step on one batch (refusing a non-finite loss or gradient), counted in both
    /// loss windows; returns the step's learning rate.
    func trainStep(_ batch: [Int], name: String, epoch: Int) throws -> Double {
        let t0 = Date()
        let step = state.step
        let (tokens, targets) = tuner.train.batch(batch)
        var rng = FineTuner<T>.dropoutRNG(seed: options.seed, step: step)
        let loss = try hooks.lossAndGradient.map { try $0(tokens, targets, &rng) }
            ?? model.lossAndGradient(tokens, targets: targets, training: true, rng: &rng)
        if !loss.isFinite {
            throw TrainingError.nonFinite(what: "the loss", step: step + 1, batch: name, lastGoodCheckpoint: lastGood())
        }
        if let i = T.kernelFirstNonFinite(model.gradients.pointer, model.gradients.count) {
            let tensor = model.table.view(containing: i)?.name ?? "?"
            throw TrainingError.nonFinite(what: "the gradient of \(tensor)", step: step + 1, batch: name, lastGoodCheckpoint: lastGood())
        }
        let lr = schedule.rate(at: step)
        optimizer.step(parameters: model.parameters, gradients: model.gradients, lr: lr)
        try hooks.afterUpdate?(lr)
        state.step = step + 1
        state.trainSeconds += Date().timeIntervalSince(t0)
        window.loss += loss; window.steps += 1; windowExamples += batch.count
        logWindow.loss += loss; logWindow.steps += 1; logExamples += batch.count
        state.evalWindow = window; state.logWindow = logWindow
        let rate = Double(windowExamples) / max(1e-9, Date().timeIntervalSince(windowStart))
        tuner.progress.step(state.step, of: totalSteps, epoch: epoch + 1, loss: window.mean, lr: lr, examplesPerSecond: rate)
        return lr
    }

    /// What follows a step: the snapshot it is due, then an evaluation (every `evalEvery` steps and at the end of an
    /// epoch) or else a log row (every `logEvery` steps).
    func afterStep(lr: Double, epoch: Int, endOfEpoch: Bool) throws {
        let step = state.step
        if let every = options.snapshotEvery, step % every == 0 || step == totalSteps { try saveSnapshot() }
        let curve = options.curveEvery.map { step % $0 == 0 } ?? false
        if step % options.evalEvery == 0 || endOfEpoch {
            try evaluateAndKeepBest(epoch: epoch, curve: curve)
            windowExamples = 0; logExamples = 0; windowStart = Date(); logStart = windowStart
        } else if curve || options.logEvery.map({ step % $0 == 0 }) == true {
            try appendLogRow(lr: lr, epoch: epoch, curve: curve)
        }
    }

    /// A `train_log.csv` row between evaluations: the mean loss since the previous row, and the dev metric of a
    /// learning-curve evaluation when `curve` (else none).
    func appendLogRow(lr: Double, epoch: Int, curve: Bool) throws {
        let elapsed = Date().timeIntervalSince(logStart)
        let metric = curve ? try curveMetric() : nil
        state.log.append(TrainingLogRow(step: state.step, epoch: epoch, loss: logWindow.mean, lr: lr, devMetric: metric,
                                        examplesPerSecond: elapsed > 0 ? Double(logExamples) / elapsed : 0))
        logWindow = LossWindow(); state.logWindow = logWindow
        logExamples = 0; logStart = Date()
        if curve { windowExamples = 0; windowStart = logStart }
        try TrainingLog.write(state.log, to: output.appendingPathComponent(TrainingLog.fileName))
    }

    /// The learning curve's row before the first step: the initial model's dev metric, no training loss yet (nan).
    func appendStartRow() throws {
        state.log.append(TrainingLogRow(step: 0, epoch: 1, loss: nil, lr: 0, devMetric: try curveMetric(), examplesPerSecond: 0))
        try TrainingLog.write(state.log, to: output.appendingPathComponent(TrainingLog.fileName))
        windowStart = Date(); logStart = windowStart
    }

    /// Whether learning-curve evaluations read a subset of dev (`curveExamples` below its size).
    var curveSubset: Bool { options.curveExamples.map { $0 < tuner.dev.count } ?? false }

    /// What learning-curve evaluations read: the seeded subset, or the whole dev set.
    lazy var curveDev: EncodedDataset = curveSubset ? tuner.dev.seededSubset(options.curveExamples!, seed: 0) : tuner.dev

    /// A learning-curve evaluation: the task metric on dev (or its curve subset), which nothing else reads.
    func curveMetric() throws -> Double {
        try requireFiniteWeights(step: state.step, batch: "before evaluating")
        let result = try Evaluator.evaluate(model, on: curveDev, batchSize: options.evalBatchSize)
        return result.metrics[metricName] ?? .nan
    }

    /// Evaluates on dev (unless the run skips evaluation), logs the row, keeps the model when it is the best so far
    /// (or always, without `keepBest`), closes both loss windows and saves the checkpoint and the log.
    func evaluateAndKeepBest(epoch: Int, curve: Bool = false) throws {
        let step = state.step
        // Nothing non-finite is ever saved, as best or as checkpoint.
        try requireFiniteWeights(step: step, batch: "before evaluating")
        let result = options.evaluates ? try Evaluator.evaluate(model, on: tuner.dev, batchSize: options.evalBatchSize) : nil
        if let result, !result.loss.isFinite {
            throw TrainingError.nonFinite(what: "the dev loss", step: step, batch: "evaluation", lastGoodCheckpoint: lastGood())
        }
        let metric = result.map { $0.metrics[metricName] ?? .nan }
        state.lastMetrics = result?.metrics ?? [:]
        let elapsed = Date().timeIntervalSince(windowStart)
        // A run that skips evaluation still logs a learning-curve evaluation due here (it chooses nothing). With a
        // curve subset the column holds the curve's metric alone, never the whole dev set's: one kind of number.
        let logged: Double?
        if curveSubset { logged = curve ? try curveMetric() : nil } else { logged = try metric ?? (curve ? curveMetric() : nil) }
        state.log.append(TrainingLogRow(step: step, epoch: epoch, loss: logWindow.mean,
                                        lr: schedule.rate(at: max(0, step - 1)), devMetric: logged,
                                        examplesPerSecond: elapsed > 0 ? Double(windowExamples) / elapsed : 0))
        var note = result.map { String(format: "eval step %d (epoch %d): dev %@ %.4f, dev loss %.4f", step, epoch, metricName, metric!, $0.loss) }
            ?? String(format: "step %d (epoch %d): no dev evaluation", step, epoch)
        if !hooks.keepBest || metric == nil || (state.bestMetric.map({ metric! > $0 }) ?? true) {
            try keep(metric: metric, metrics: result?.metrics ?? [:])
            note += hooks.keepBest && metric != nil ? " (best so far, saved)" : " (saved)"
        }
        tuner.progress.note(note)
        window = LossWindow(); logWindow = LossWindow()
        state.evalWindow = window; state.logWindow = logWindow
        if hooks.supportsResume { try tuner.saveCheckpoint(state: state, optimizer: optimizer) }
        try TrainingLog.write(state.log, to: output.appendingPathComponent(TrainingLog.fileName))
    }

    /// Records the current step as the best and writes its model into the output directory (linking the snapshot of
    /// the same step when there is one: the same bytes, written once).
    func keep(metric: Double?, metrics: [String: Double]) throws {
        let step = state.step
        state.bestMetric = metric
        state.bestStep = step
        state.bestMetrics = metrics
        if let snapshot = lastSnapshot, snapshot.step == step, hooks.saveModel != nil,
           AtomicFile.linkFiles(from: snapshot.directory, into: output) {
            // The snapshot of this step holds the same bytes `saveModel` would write: its files are linked.
        } else if let save = hooks.saveModel {
            try save(output)
        } else {
            try ModelDirectory.save(model, to: output, tokenizerSource: tuner.tokenizerSource,
                                    metadata: ["step": String(step)].merging(metric.map { [metricName: String($0)] } ?? [:]) { a, _ in a })
        }
    }

    /// Keeps the current model in `snapshots/step-NNNNNN/`, written whole under a `.partial` name and renamed.
    func saveSnapshot() throws {
        let step = state.step
        let dir = output.appendingPathComponent(TrainingSnapshot.folder)
        let final = dir.appendingPathComponent(TrainingSnapshot.name(step: step))
        let partial = dir.appendingPathComponent(TrainingSnapshot.name(step: step) + ".partial")
        let fm = FileManager.default
        try? fm.removeItem(at: partial)
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        if let save = hooks.saveModel { try save(partial) } else {
            try ModelDirectory.save(model, to: partial, tokenizerSource: tuner.tokenizerSource, metadata: ["step": String(step)])
        }
        try? fm.removeItem(at: final)
        try fm.moveItem(at: partial, to: final)
        lastSnapshot = (step, final)
    }

    /// Before `stopAfter` returns: the checkpoint to resume from, unless this step's evaluation just saved one.
    func checkpointBeforeStopping(endOfEpoch: Bool) throws {
        guard state.step % options.evalEvery != 0 && !endOfEpoch, hooks.supportsResume else { return }
        try requireFiniteWeights(step: state.step, batch: "before saving the checkpoint")
        try tuner.saveCheckpoint(state: state, optimizer: optimizer)
    }

    /// The finished run's summary: the best and the last evaluation (the model in memory is the last one, evaluated
    /// at the end of the last epoch; the output directory holds the best).
    func summary(wallSeconds: Double) -> TrainingSummary {
        TrainingSummary(task: tuner.train.task.name, primaryMetric: metricName, best: state.bestMetrics,
                        bestStep: state.bestStep, final: state.lastMetrics, steps: state.step, trainExamples: tuner.train.count,
                        devExamples: tuner.dev.count, wallSeconds: wallSeconds,
                        trainSeconds: state.trainSeconds, options: options,
                        trainDataSha256: trainData, devDataSha256: devData)
    }
}
