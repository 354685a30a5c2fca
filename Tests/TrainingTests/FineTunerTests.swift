import XCTest
import BERT
import Numerics
import Text
@testable import Training

final class FineTunerTests: XCTestCase {
    func syntheticData(count: Int, seed: UInt64) -> EncodedDataset { SyntheticTask.data(count: count, seed: seed) }

    func tinyModel(seed: UInt64 = 1) throws -> BertModel<Float> {
        let config = BertConfig(vocabSize: 50, hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 64,
                                hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1, maxPositionEmbeddings: 16, numLabels: 2)
        let model = try BertModel<Float>(config: config)
        model.initializeWeights(seed: seed)
        return model
    }

    func temporaryDirectory(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bb-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func options() -> FineTuneOptions {
        var o = FineTuneOptions()
        o.epochs = 4
        o.batchSize = 16
        o.learningRate = 1e-3
        o.evalEvery = 20
        o.seed = 3
        return o
    }

    func testLossFallsAndAccuracyRises() throws {
        let model = try tinyModel()
        let train = syntheticData(count: 320, seed: 1), dev = syntheticData(count: 96, seed: 2)
        let before = try Evaluator.evaluate(model, on: dev)
        let out = temporaryDirectory("finetune")
        let summary = try XCTUnwrap(FineTuner(model: model, train: train, dev: dev, options: options(), output: out,
                                              tokenizerSource: nil, progress: ProgressReporter(enabled: false)).run())
        XCTAssertGreaterThan(summary.best["accuracy"]!, 0.9)
        XCTAssertGreaterThan(summary.best["accuracy"]!, before.metrics["accuracy"]! + 0.2)
        // The training log's loss falls.
        let csv = try String(contentsOf: out.appendingPathComponent("train_log.csv"), encoding: .utf8)
        let losses = csv.split(separator: "\n").dropFirst().map { Double($0.split(separator: ",")[2])! }
        XCTAssertLessThan(losses.last!, losses.first! * 0.5)
        // The saved best model reproduces the best metric.
        let best = try ModelDirectory.load(out, as: Float.self)
        XCTAssertEqual(try Evaluator.evaluate(best, on: dev).metrics["accuracy"]!, summary.best["accuracy"]!, accuracy: 1e-12)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("metrics.json").path))
    }

    func testResumedRunEqualsUninterruptedRun() throws {
        let train = syntheticData(count: 96, seed: 1), dev = syntheticData(count: 32, seed: 2)
        var o = options()
        o.epochs = 2
        o.evalEvery = 5
        let a = try tinyModel(), outA = temporaryDirectory("a")
        try FineTuner(model: a, train: train, dev: dev, options: o, output: outA, tokenizerSource: nil,
                      progress: ProgressReporter(enabled: false)).run()
        let b = try tinyModel(), outB = temporaryDirectory("b")
        let interrupted = try FineTuner(model: b, train: train, dev: dev, options: o, output: outB, tokenizerSource: nil,
                                        progress: ProgressReporter(enabled: false)).run(stopAfter: 7)
        XCTAssertNil(interrupted)
        let c = try tinyModel(seed: 99)   // a fresh process: weights come from the checkpoint
        try FineTuner(model: c, train: train, dev: dev, options: o, output: outB, tokenizerSource: nil,
                      progress: ProgressReporter(enabled: false)).run(resume: true)
        XCTAssertEqual(a.parameters.array, c.parameters.array)
    }

    /// `logEvery` adds rows; every row's loss is the mean since the previous row of any kind; a run interrupted inside
    /// both windows resumes to the same log.
    func testLogEveryRowsAndResumedLog() throws {
        let train = syntheticData(count: 96, seed: 1), dev = syntheticData(count: 32, seed: 2)
        var o = options()
        o.epochs = 2        // 6 steps per epoch
        o.evalEvery = 5     // evaluations at 5, 6, 10, 12
        o.logEvery = 3      // log rows at 3 and 9
        func rows(_ out: URL) throws -> [[String]] {
            let csv = try String(contentsOf: out.appendingPathComponent("train_log.csv"), encoding: .utf8)
            // examples_per_s is a timing: left out.
            return csv.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).dropLast().map(String.init) }
        }
        func run(_ model: BertModel<Float>, _ out: URL, losses: UnsafeMutablePointer<[Double]>?, resume: Bool = false,
                 stopAfter: Int? = nil) throws -> TrainingSummary? {
            var hooks = TrainingHooks<Float>()
            hooks.lossAndGradient = { tokens, targets, rng in
                let loss = try model.lossAndGradient(tokens, targets: targets, training: true, rng: &rng)
                losses?.pointee.append(loss)
                return loss
            }
            return try FineTuner(model: model, train: train, dev: dev, options: o, output: out, tokenizerSource: nil,
                                 progress: ProgressReporter(enabled: false), hooks: hooks).run(resume: resume, stopAfter: stopAfter)
        }
        var losses: [Double] = []
        let outA = temporaryDirectory("log-a")
        _ = try run(try tinyModel(), outA, losses: &losses)
        let a = try rows(outA)
        XCTAssertEqual(a.map { $0[0] }, ["3", "5", "6", "9", "10", "12"])
        XCTAssertEqual(a.map { $0[4].isEmpty }, [true, false, false, true, false, false])
        func mean(_ r: ClosedRange<Int>) -> String { String(format: "%.6f", losses[(r.lowerBound - 1)...(r.upperBound - 1)].reduce(0, +) / Double(r.count)) }
        XCTAssertEqual(a.map { $0[2] }, [mean(1...3), mean(4...5), mean(6...6), mean(7...9), mean(10...10), mean(11...12)])

        for stop in [4, 9] {
            let outB = temporaryDirectory("log-b\(stop)")
            XCTAssertNil(try run(try tinyModel(), outB, losses: nil, stopAfter: stop))
            _ = try run(try tinyModel(seed: 99), outB, losses: nil, resume: true)
            XCTAssertEqual(try rows(outB), a, "stopped after \(stop)")
        }

        // A kill inside the checkpoint swap leaves checkpoint-last.old/: stale beside checkpoint-last/ (removed on
        // resume), or the only checkpoint (renamed back); either way the run ends as the uninterrupted one.
        let fm = FileManager.default
        for alone in [false, true] {
            let outC = temporaryDirectory("swap-\(alone)")
            XCTAssertNil(try run(try tinyModel(), outC, losses: nil, stopAfter: 9))
            let current = outC.appendingPathComponent("checkpoint-last"), old = outC.appendingPathComponent("checkpoint-last.old")
            if alone { try fm.moveItem(at: current, to: old) } else { try fm.copyItem(at: current, to: old) }
            _ = try run(try tinyModel(seed: 99), outC, losses: nil, resume: true)
            XCTAssertEqual(try rows(outC), a, "checkpoint-last.old \(alone ? "alone" : "beside checkpoint-last")")
            XCTAssertFalse(fm.fileExists(atPath: old.path))
            XCTAssertTrue(fm.fileExists(atPath: current.path))
        }
    }

    /// `curveEvery` adds a dev evaluation before the first step and every N steps to the log, and nothing else: the
    /// kept model, the metrics and the trained weights are those of the run without it, also when stage-1-like runs
    /// skip their own evaluations; an interrupted run resumes to the same log.
    func testCurveEvaluationsChangeNothingButTheLog() throws {
        let train = syntheticData(count: 96, seed: 1), dev = syntheticData(count: 32, seed: 2)
        for skip in [false, true] {
            var o = options()
            o.epochs = 2        // 6 steps per epoch
            o.evalEvery = 5     // evaluations at 5, 6, 10, 12
            o.skipEvaluation = skip ? true : nil
            let plain = try tinyModel(), outPlain = temporaryDirectory("plain")
            let p = try XCTUnwrap(try FineTuner(model: plain, train: train, dev: dev, options: o, output: outPlain, tokenizerSource: nil,
                                                progress: ProgressReporter(enabled: false)).run())
            o.curveEvery = 4    // curve evaluations at 0, 4, 8 and 12
            let curved = try tinyModel(), outCurve = temporaryDirectory("curve")
            let c = try XCTUnwrap(try FineTuner(model: curved, train: train, dev: dev, options: o, output: outCurve, tokenizerSource: nil,
                                                progress: ProgressReporter(enabled: false)).run())
            XCTAssertEqual(plain.parameters.array, curved.parameters.array)
            XCTAssertEqual(p.best, c.best); XCTAssertEqual(p.bestStep, c.bestStep); XCTAssertEqual(p.final, c.final)
            XCTAssertEqual(try Data(contentsOf: outPlain.appendingPathComponent("model.safetensors")),
                           try Data(contentsOf: outCurve.appendingPathComponent("model.safetensors")))
            let log = try String(contentsOf: outCurve.appendingPathComponent("train_log.csv"), encoding: .utf8)
            let rows = log.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            XCTAssertEqual(rows.map { $0[0] }, ["0", "4", "5", "6", "8", "10", "12"])
            XCTAssertEqual(rows[0][2], "nan")
            let metric = Dictionary(uniqueKeysWithValues: rows.map { ($0[0], $0[4]) })
            for step in ["0", "4", "8", "12"] { XCTAssertFalse(metric[step]!.isEmpty, "step \(step), skip \(skip)") }
            XCTAssertEqual(metric["5"]!.isEmpty, skip)
            // The start row holds the initial model's accuracy.
            let initial = try Evaluator.evaluate(try tinyModel(), on: dev).metrics["accuracy"]!
            XCTAssertEqual(Double(metric["0"]!)!, initial, accuracy: 1e-6)
            // Interrupted after the curve evaluation at 4 and after the one at 8: the same log when resumed.
            for stop in [4, 9] {
                let outB = temporaryDirectory("curve-b\(stop)")
                XCTAssertNil(try FineTuner(model: try tinyModel(), train: train, dev: dev, options: o, output: outB, tokenizerSource: nil,
                                           progress: ProgressReporter(enabled: false)).run(stopAfter: stop))
                try FineTuner(model: try tinyModel(seed: 99), train: train, dev: dev, options: o, output: outB, tokenizerSource: nil,
                              progress: ProgressReporter(enabled: false)).run(resume: true)
                let resumed = try String(contentsOf: outB.appendingPathComponent("train_log.csv"), encoding: .utf8)
                func timeless(_ t: String) -> [String] { t.split(separator: "\n").map { $0.split(separator: ",").dropLast().joined(separator: ",") } }
                XCTAssertEqual(timeless(resumed), timeless(log), "stopped after \(stop), skip \(skip)")
            }
        }
    }

    /// `curveExamples` makes the curve evaluations read a fixed seeded draw of dev: every dev_metric in the log is
    /// that draw's metric (also at a step the recipe evaluates on the whole dev set, which keeps choosing and
    /// reporting), and the run is otherwise the same bytes.
    func testCurveEvaluationsOnADevDrawChangeNothingElse() throws {
        let train = syntheticData(count: 96, seed: 1), dev = syntheticData(count: 32, seed: 2)
        var o = options()
        o.epochs = 1        // 6 steps
        o.evalEvery = 3     // evaluations at 3 and 6
        o.curveEvery = 2    // curve evaluations at 0, 2, 4 and 6
        let whole = try tinyModel(), outWhole = temporaryDirectory("curve-whole")
        let w = try XCTUnwrap(try FineTuner(model: whole, train: train, dev: dev, options: o, output: outWhole, tokenizerSource: nil,
                                            progress: ProgressReporter(enabled: false)).run())
        o.curveExamples = 12
        let drawn = try tinyModel(), outDrawn = temporaryDirectory("curve-drawn")
        let d = try XCTUnwrap(try FineTuner(model: drawn, train: train, dev: dev, options: o, output: outDrawn, tokenizerSource: nil,
                                            progress: ProgressReporter(enabled: false)).run())
        XCTAssertEqual(whole.parameters.array, drawn.parameters.array)
        XCTAssertEqual(w.best, d.best); XCTAssertEqual(w.bestStep, d.bestStep); XCTAssertEqual(w.final, d.final)
        XCTAssertEqual(d.devExamples, 32)
        let log = try String(contentsOf: outDrawn.appendingPathComponent("train_log.csv"), encoding: .utf8)
        let rows = log.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(rows.map { $0[0] }, ["0", "2", "3", "4", "6"])
        let metric = Dictionary(uniqueKeysWithValues: rows.map { ($0[0], $0[4]) })
        XCTAssertTrue(metric["3"]!.isEmpty, "an evaluation step that is no curve step logs no metric")
        // Step 0: the initial model on the draw, not on the whole dev set.
        let draw = dev.seededSubset(12, seed: 0)
        XCTAssertEqual(draw.count, 12)
        XCTAssertEqual(Double(metric["0"]!)!, try Evaluator.evaluate(try tinyModel(), on: draw).metrics["accuracy"]!, accuracy: 1e-6)
        // Step 6 (the last, a recipe evaluation too): the trained model on the draw.
        XCTAssertEqual(Double(metric["6"]!)!, try Evaluator.evaluate(drawn, on: draw).metrics["accuracy"]!, accuracy: 1e-6)
        // A draw as large as dev is the whole dev set: the log of the run without curveExamples.
        o.curveExamples = 32
        let outAll = temporaryDirectory("curve-all")
        try FineTuner(model: try tinyModel(), train: train, dev: dev, options: o, output: outAll, tokenizerSource: nil,
                      progress: ProgressReporter(enabled: false)).run()
        func timeless(_ u: URL) throws -> [String] {
            try String(contentsOf: u.appendingPathComponent("train_log.csv"), encoding: .utf8)
                .split(separator: "\n").map { $0.split(separator: ",").dropLast().joined(separator: ",") }
        }
        XCTAssertEqual(try timeless(outAll), try timeless(outWhole))
    }

    func testScheduleMatchesBERT() {
        let s = LinearWarmupSchedule(peak: 1e-4, totalSteps: 100, warmupFraction: 0.1)
        XCTAssertEqual(s.rate(at: 0), 0)
        XCTAssertEqual(s.rate(at: 5), 5e-5, accuracy: 1e-15)
        XCTAssertEqual(s.rate(at: 10), 1e-4, accuracy: 1e-15)
        XCTAssertEqual(s.rate(at: 55), 5e-5, accuracy: 1e-15)
        XCTAssertEqual(s.rate(at: 100), 0)
    }

    /// One BertAdam step by hand: clipping per tensor, no bias correction, decoupled decay, no decay on biases.
    func testBertAdamStepByHand() throws {
        let config = BertConfig(vocabSize: 4, hiddenSize: 2, numHiddenLayers: 1, numAttentionHeads: 1, intermediateSize: 2,
                                maxPositionEmbeddings: 4, numLabels: 2)
        let model = try BertModel<Double>(config: config)
        for i in 0..<model.parameters.count { model.parameters[i] = 0.5; model.gradients[i] = 0.1 }
        let w = model.table.view("classifier.weight"), b = model.table.view("classifier.bias")
        for i in w.range { model.gradients[i] = 3 }        // norm 6 > 1: clipped to unit norm
        let adam = BertAdam(model: model, weightDecay: 0.01)
        adam.step(parameters: model.parameters, gradients: model.gradients, lr: 0.1)
        // Bias (no clipping, norm 0.1·√2): m = 0.01, v = 1e-5 → update = 0.01/(√1e-5 + 1e-6) ≈ 3.1613
        let g = 0.1, m = 0.1 * g, v = 0.001 * g * g
        XCTAssertEqual(model.parameters[b.offset], 0.5 - 0.1 * (m / (v.squareRoot() + 1e-6)), accuracy: 1e-12)
        // Weight: g clipped to 3·(1/(6+1e-6)), plus decay 0.01·0.5
        let gc = 3 * (1 / (6 + 1e-6)), mw = 0.1 * gc, vw = 0.001 * gc * gc
        XCTAssertEqual(model.parameters[w.offset], 0.5 - 0.1 * (mw / (vw.squareRoot() + 1e-6) + 0.01 * 0.5), accuracy: 1e-12)
    }

    /// Removing a finished run's checkpoints deletes the current and the previous one and a leftover from a removal
    /// that was killed midway, and nothing else; with none there it does nothing.
    func testRemovingCheckpointsLeavesOnlyTheModel() throws {
        let dir = temporaryDirectory("remove-checkpoints")
        let fm = FileManager.default
        for name in [TrainingCheckpoint.current, TrainingCheckpoint.previous, TrainingCheckpoint.partial] {
            try fm.createDirectory(at: dir.appendingPathComponent(name), withIntermediateDirectories: true)
            try Data("x".utf8).write(to: dir.appendingPathComponent(name).appendingPathComponent(TrainingCheckpoint.stateFile))
        }
        try Data("weights".utf8).write(to: dir.appendingPathComponent("model.safetensors"))
        XCTAssertNotNil(TrainingCheckpoint.resumable(in: dir))
        try TrainingCheckpoint.remove(in: dir)
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: dir.path), ["model.safetensors"])
        XCTAssertNil(TrainingCheckpoint.resumable(in: dir))
        try TrainingCheckpoint.remove(in: dir)
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: dir.path), ["model.safetensors"])
    }
}

final class NonFiniteLossTests: XCTestCase {
    /// A diverging run (lr 1e30) stops at the first non-finite value, naming it, and nothing it leaves holds a NaN:
    /// the best model and the checkpoint it names both load (loading refuses non-finite weights).
    func testDivergenceStopsAndSavesNoNonFiniteModel() throws {
        let config = BertConfig(vocabSize: 50, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 32,
                                maxPositionEmbeddings: 16, numLabels: 2)
        let model = try BertModel<Float>(config: config)
        model.initializeWeights(seed: 1)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("bb-diverge-\(getpid())")
        defer { try? FileManager.default.removeItem(at: out) }
        let data = SyntheticTask.data(count: 64, seed: 1)
        var options = FineTuneOptions()
        options.learningRate = 1e30
        options.batchSize = 8
        options.evalEvery = 1
        options.epochs = 3
        var caught: Error?
        XCTAssertThrowsError(try FineTuner(model: model, train: data, dev: data, options: options, output: out,
                                           tokenizerSource: nil, progress: ProgressReporter(enabled: false)).run()) { caught = $0 }
        guard case let TrainingError.nonFinite(what, step, batch, last)? = caught as? TrainingError else { return XCTFail("\(String(describing: caught))") }
        XCTAssertFalse(what.isEmpty)
        XCTAssertGreaterThan(step, 0)
        XCTAssertFalse(batch.isEmpty)
        if let last { XCTAssertNoThrow(try ModelDirectory.load(URL(fileURLWithPath: last), as: Float.self), "\(what)") }
        if FileManager.default.fileExists(atPath: out.appendingPathComponent("model.safetensors").path) {
            XCTAssertNoThrow(try ModelDirectory.load(out, as: Float.self))
        }
    }

    func testNaNLossStopsWithAClearError() throws {
        let config = BertConfig(vocabSize: 50, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 32,
                                maxPositionEmbeddings: 16, numLabels: 2)
        let model = try BertModel<Float>(config: config)
        model.initializeWeights(seed: 1)
        model.pointer("classifier.bias")[0] = .nan
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("bb-nan-\(getpid())")
        defer { try? FileManager.default.removeItem(at: out) }
        let data = SyntheticTask.data(count: 32, seed: 1)
        XCTAssertThrowsError(try FineTuner(model: model, train: data, dev: data, options: FineTuneOptions(), output: out,
                                           tokenizerSource: nil, progress: ProgressReporter(enabled: false)).run()) { error in
            XCTAssertEqual(error as? TrainingError, .nonFinite(what: "the loss", step: 1, batch: "batch 1 of 1 in epoch 1", lastGoodCheckpoint: nil))
            XCTAssertTrue("\(error)".contains("step 1"))
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("model.safetensors").path), "no NaN model saved")
        }
    }

}
