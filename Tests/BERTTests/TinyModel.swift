import BERT
import Numerics

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
