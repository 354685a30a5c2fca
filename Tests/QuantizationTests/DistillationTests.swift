import XCTest
import BERT
import Numerics
import Text
import Training
@testable import Quantization

final class DistillationTests: XCTestCase {
    let batch = TokenBatch(sequences: [[2, 11, 7, 3, 9, 4], [2, 5, 48, 3], [2, 30, 3, 21, 3]],
                           typeIds: [[0, 0, 0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0, 1, 1]])

    func randomModel(seed: UInt64, labels: Int = 3) throws -> BertModel<Double> {
        let config = BertConfig(vocabSize: 50, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 24,
                                hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, maxPositionEmbeddings: 16, numLabels: labels)
        let model = try BertModel<Double>(config: config)
        model.randomizeAllParameters(seed: seed)
        return model
    }

    /// Finite differences of each distillation loss w.r.t. 40 student parameters spread over the buffer.
    func checkGradient(_ objective: (Activations<Double>, Activations<Double>) -> (Double, OutputGradients<Double>)) throws {
        let teacher = try randomModel(seed: 1), student = try randomModel(seed: 2)
        let t = try teacher.forward(batch)
        let acts = try student.forward(batch)
        let (_, seeds) = objective(acts, t)
        student.zeroGradients()
        student.backward(acts, seeds: seeds)
        let g = student.gradients.array
        let h = 1e-6
        for k in 0..<40 {
            let i = (k * 7919) % student.parameters.count
            let saved = student.parameters[i]
            student.parameters[i] = saved + h
            let lp = objective(try student.forward(batch), t).0
            student.parameters[i] = saved - h
            let lm = objective(try student.forward(batch), t).0
            student.parameters[i] = saved
            let fd = (lp - lm) / (2 * h)
            XCTAssertEqual(g[i], fd, accuracy: 1e-7 * max(1, abs(fd)), "parameter \(i)")
        }
    }

    func testIntermediateLossGradient() throws {
        try checkGradient { s, t in DistillationLoss.intermediate(student: s, teacher: t, layers: 2) }
    }

    func testSoftCrossEntropyGradient() throws {
        try checkGradient { s, t in DistillationLoss.softCrossEntropy(student: s.logits!, teacher: t.logits!, classes: 3) }
    }

    func testSoftCrossEntropyOfIdenticalLogitsIsTheEntropy() {
        let logits = Buffer<Double>([0, 0])
        let (loss, _) = DistillationLoss.softCrossEntropy(student: logits, teacher: logits, classes: 2)
        XCTAssertEqual(loss, log(2) / 2, accuracy: 1e-15)   // mean over the 2 class entries
    }

    func testMaskedScoresAreIgnored() throws {
        let teacher = try randomModel(seed: 1)
        let a = try teacher.forward(batch)
        let (loss, seeds) = DistillationLoss.intermediate(student: a, teacher: a, layers: 2)
        XCTAssertEqual(loss, 0)
        XCTAssertTrue(seeds.attentionScores[0]!.array.allSatisfy { $0 == 0 })
    }
}

