import XCTest
@testable import BERT
import Numerics

/// Central finite differences in Double against the hand-written backward, for every parameter of a tiny model.
final class ModelGradientCheckTests: XCTestCase {
    func testCrossEntropyGradientAllParameters() throws {
        let model = try makeTinyModel(Double.self)
        let batch = tinyBatch()
        var rng = SeededRNG(seed: 1)
        try model.lossAndGradient(batch, targets: .classes([0, 2, 1]), rng: &rng)
        try assertGradientsMatchFiniteDifferences(model) { m in
            let acts = try m.forward(batch)
            return try m.taskLoss(acts, targets: .classes([0, 2, 1]), wantGradient: false).0
        }
    }

    func testRegressionMSEWithGELUTanh() throws {
        let model = try makeTinyModel(Double.self, activation: "gelu_new", numLabels: 1)
        let batch = tinyBatch()
        var rng = SeededRNG(seed: 1)
        try model.lossAndGradient(batch, targets: .values([0.5, -1.25, 2]), rng: &rng)
        try assertGradientsMatchFiniteDifferences(model) { m in
            try m.taskLoss(m.forward(batch), targets: .values([0.5, -1.25, 2]), wantGradient: false).0
        }
    }

    func testTrainingModeDropoutWithReLU() throws {
        let model = try makeTinyModel(Double.self, activation: "relu", dropout: 0.2)
        let batch = tinyBatch()
        func loss(_ m: BertModel<Double>) throws -> Double {
            var rng = SeededRNG(seed: 99)   // the same masks on every evaluation
            return try m.taskLoss(m.forward(batch, training: true, rng: &rng), targets: .classes([1, 1, 0]), wantGradient: false).0
        }
        var rng = SeededRNG(seed: 99)
        try model.lossAndGradient(batch, targets: .classes([1, 1, 0]), training: true, rng: &rng)
        try assertGradientsMatchFiniteDifferences(model, loss: loss)
    }

    /// Seeds on every hidden state and on the attention scores (as distillation uses them) and on the pooled output.
    func testHiddenStateScoreAndPooledSeeds() throws {
        let model = try makeTinyModel(Double.self)
        let batch = tinyBatch()
        let c = model.config
        var rng = SeededRNG(seed: 5)
        let n = batch.tokenCount * c.hiddenSize
        let s = batch.batchSize * c.numAttentionHeads * batch.sequenceLength * batch.sequenceLength
        var hiddenSeeds: [Int: Buffer<Double>] = [:]
        var scoreSeeds: [Int: Buffer<Double>] = [:]
        for l in 0...c.numHiddenLayers {
            let b = Buffer<Double>(count: n); rng.fillNormal(b.pointer, count: n); hiddenSeeds[l] = b
        }
        for l in 0..<c.numHiddenLayers {
            let b = Buffer<Double>(count: s); rng.fillNormal(b.pointer, count: s)
            // masked keys carry a huge constant: no gradient flows there, and finite differences cannot see it.
            let t = batch.sequenceLength
            for i in 0..<s where batch.attentionMask[(i / (c.numAttentionHeads * t * t)) * t + i % t] == 0 { b[i] = 0 }
            scoreSeeds[l] = b
        }
        let pooledSeed = Buffer<Double>(count: batch.batchSize * c.hiddenSize)
        rng.fillNormal(pooledSeed.pointer, count: pooledSeed.count)

        func objective(_ m: BertModel<Double>) throws -> Double {
            let a = try m.forward(batch)
            var total = 0.0
            for (l, seed) in hiddenSeeds { total += Double.dot(n: n, x: seed.pointer, incx: 1, y: a.hiddenStates[l].pointer, incy: 1) }
            for (l, seed) in scoreSeeds {
                for i in 0..<s where seed[i] != 0 { total += seed[i] * a.attentionScores(l)[i] }
            }
            total += Double.dot(n: pooledSeed.count, x: pooledSeed.pointer, incx: 1, y: a.pooled!.pointer, incy: 1)
            return total
        }
        let acts = try model.forward(batch)
        model.zeroGradients()
        model.backward(acts, seeds: OutputGradients(pooled: pooledSeed, hiddenStates: hiddenSeeds, attentionScores: scoreSeeds))
        try assertGradientsMatchFiniteDifferences(model, loss: objective)
    }

    func testFloatAndDoubleAgree() throws {
        let md = try makeTinyModel(Double.self)
        let mf = try makeTinyModel(Float.self)
        let batch = tinyBatch()
        var rng = SeededRNG(seed: 1)
        let ld = try md.lossAndGradient(batch, targets: .classes([0, 2, 1]), rng: &rng)
        let lf = try mf.lossAndGradient(batch, targets: .classes([0, 2, 1]), rng: &rng)
        XCTAssertEqual(lf, ld, accuracy: 1e-5 * max(1, abs(ld)))
        var num = 0.0, den = 0.0
        for i in 0..<md.gradients.count {
            num += pow(Double(mf.gradients[i]) - md.gradients[i], 2)
            den += md.gradients[i] * md.gradients[i]
        }
        XCTAssertLessThan((num / den).squareRoot(), 1e-4)
    }

    func testBadInputsAreRejected() throws {
        let model = try makeTinyModel(Double.self)
        XCTAssertThrowsError(try model.forward(TokenBatch(sequences: [[2, 50, 3]]))) { e in
            XCTAssertEqual(e as? ModelError, .tokenOutOfRange(position: 1, id: 50, vocabSize: 50))
        }
        XCTAssertThrowsError(try model.forward(TokenBatch(sequences: [Array(repeating: 1, count: 17)])))
        var rng = SeededRNG(seed: 0)
        XCTAssertThrowsError(try model.lossAndGradient(tinyBatch(), targets: .classes([0, 3, 1]), rng: &rng))
    }
}
