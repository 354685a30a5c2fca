import BERT
import Numerics
import XCTest

/// A tiny BERT (2 layers, hidden 16, 2 heads, vocab 50) with non-trivial random weights, for gradient checks.
func makeTinyModel<T: BLASReal>(_ type: T.Type, activation: String = "gelu", numLabels: Int? = 3, dropout: Double = 0,
                                seed: UInt64 = 7) throws -> BertModel<T> {
    let config = BertConfig(vocabSize: 50, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 24,
                            hiddenAct: activation, hiddenDropoutProb: dropout, attentionProbsDropoutProb: dropout,
                            maxPositionEmbeddings: 16, typeVocabSize: 2, layerNormEps: 1e-12, numLabels: numLabels)
    let model = try BertModel<T>(config: config)
    model.randomizeAllParameters(seed: seed)
    return model
}

/// 3 sequences of length 6: one full, two padded; token types 0 then 1.
func tinyBatch() -> TokenBatch {
    TokenBatch(sequences: [[2, 11, 7, 3, 9, 4], [2, 5, 48, 3], [2, 30, 3, 21, 3]],
               typeIds: [[0, 0, 0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0, 1, 1]])
}

/// Compares the analytic gradient with central differences tensor by tensor (norm-wise relative error).
func assertGradientsMatchFiniteDifferences(_ model: BertModel<Double>, tolerance: Double = 1e-6,
                                           loss: (BertModel<Double>) throws -> Double, file: StaticString = #filePath,
                                           line: UInt = #line) throws {
    let analytic = model.gradients.array
    let h = 1e-5
    for view in model.table.views {
        var diff2 = 0.0, ref2 = 0.0
        for i in view.range {
            let saved = model.parameters[i]
            model.parameters[i] = saved + h
            let lp = try loss(model)
            model.parameters[i] = saved - h
            let lm = try loss(model)
            model.parameters[i] = saved
            let fd = (lp - lm) / (2 * h)
            diff2 += (fd - analytic[i]) * (fd - analytic[i])
            ref2 += fd * fd
        }
        // The key bias has an exactly zero gradient (softmax is invariant to a per-row shift), so its finite
        // differences are pure rounding noise (1e-11 to 1e-9): the denominator has a floor of 1e-3.
        let rel = diff2.squareRoot() / max(ref2.squareRoot(), 1e-3)
        XCTAssertLessThanOrEqual(rel, tolerance, "\(view.name): relative error \(rel)", file: file, line: line)
    }
}

