import Numerics

/// Everything one forward pass keeps for its backward pass, plus the outputs that distillation and analysis read.
/// Shapes: B = batch, T = sequence, C = hidden, I = intermediate, NH = heads.
public final class Activations<T: BLASReal> {
    public let batchSize: Int, sequenceLength: Int
    public let training: Bool
    /// hidden_states.0 … hidden_states.L, each (B, T, C); 0 is the embeddings' output.
    public let hiddenStates: [Buffer<T>]
    public let layers: [LayerActivations<T>]
    /// (B, T) additive attention mask.
    let additiveMask: Buffer<T>
    // embeddings
    let embeddingSum: Buffer<T>, embeddingMean: Buffer<T>, embeddingRstd: Buffer<T>, embeddingNormed: Buffer<T>
    let embeddingDropout: Buffer<T>?
    // head: pooled (B, C) = tanh(W · h[:, 0] + b); logits (B, labels)
    let clsRows: Buffer<T>
    public let pooled: Buffer<T>?
    let pooledDropout: Buffer<T>?, pooledUsed: Buffer<T>?
    public let logits: Buffer<T>?
    var batch: TokenBatch

    /// Whether the quantized copies of activations exist (the model has an activation quantizer).
    let quantized: Bool
    /// The pooler's quantized input (B, C), when quantized.
    let clsRowsHat: Buffer<T>?

    init(config c: BertConfig, batch: TokenBatch, training: Bool, pooler: Bool, classes: Int?, quantized: Bool = false) {
        let b = batch.batchSize, t = batch.sequenceLength, h = c.hiddenSize, n = b * t
        self.batch = batch
        batchSize = b
        sequenceLength = t
        self.training = training
        self.quantized = quantized
        hiddenStates = (0...c.numHiddenLayers).map { _ in Buffer(count: n * h) }
        let dropH = training && c.hiddenDropoutProb > 0, dropA = training && c.attentionProbsDropoutProb > 0
        layers = (0..<c.numHiddenLayers).map { _ in
            LayerActivations(tokens: n, hidden: h, heads: c.allHeadSize, intermediate: c.intermediateSize,
                             scoreCount: b * c.numAttentionHeads * t * t, hiddenDropout: dropH, attentionDropout: dropA,
                             quantized: quantized)
        }
        additiveMask = Buffer(count: n)
        embeddingSum = Buffer(count: n * h)
        embeddingMean = Buffer(count: n)
        embeddingRstd = Buffer(count: n)
        embeddingNormed = Buffer(count: n * h)
        embeddingDropout = dropH ? Buffer(count: n * h) : nil
        clsRows = Buffer(count: b * h)
        clsRowsHat = quantized ? Buffer(count: b * h) : nil
        pooled = pooler ? Buffer(count: b * h) : nil
        pooledDropout = (classes != nil && dropH) ? Buffer(count: b * h) : nil
        pooledUsed = (classes != nil && dropH) ? Buffer(count: b * h) : nil
        logits = classes.map { Buffer(count: b * $0) }
    }

    func fits(_ batch: TokenBatch, training: Bool, quantized: Bool) -> Bool {
        batch.batchSize == batchSize && batch.sequenceLength == sequenceLength && training == self.training
            && quantized == self.quantized
    }

    /// Pre-softmax attention scores of layer l, (B, NH, T, T): q·kᵀ/√d + mask (padding keys hold a large negative value).
    public func attentionScores(_ l: Int) -> Buffer<T> { layers[l].scores }
    /// Attention probabilities of layer l, (B, NH, T, T), before dropout.
    public func attentionProbs(_ l: Int) -> Buffer<T> { layers[l].probs }
}

/// One Transformer layer's saved tensors.
public final class LayerActivations<T: BLASReal> {
    let q: Buffer<T>, k: Buffer<T>, v: Buffer<T>           // (B·T, A), A = heads × head size (= C unless sliced)
    let scores: Buffer<T>, probs: Buffer<T>                 // (B, NH, T, T)
    let probsDropout: Buffer<T>?, probsUsed: Buffer<T>?
    let context: Buffer<T>                                  // (B·T, A)
    let attentionDense: Buffer<T>                           // (B·T, C) before dropout
    let attentionDropout: Buffer<T>?
    let residual1: Buffer<T>, mean1: Buffer<T>, rstd1: Buffer<T>, normed1: Buffer<T>
    let ffnPre: Buffer<T>, ffnAct: Buffer<T>                // (B·T, I)
    let ffnDense: Buffer<T>                                 // (B·T, C) before dropout
    let ffnDropout: Buffer<T>?
    let residual2: Buffer<T>, mean2: Buffer<T>, rstd2: Buffer<T>
    /// Quantized copies (only with an activation quantizer): the inputs of Q, K, V (B·T, C) each, q̂ k̂ v̂ (B·T, A),
    /// the quantized probabilities (B, NH, T, T), and the inputs of the attention output (B·T, A), FFN intermediate
    /// (B·T, C) and FFN output (B·T, I) layers.
    let quantizedCopies: QuantizedCopies<T>?

    init(tokens n: Int, hidden h: Int, heads a: Int, intermediate i: Int, scoreCount s: Int, hiddenDropout: Bool, attentionDropout: Bool,
         quantized: Bool) {
        quantizedCopies = quantized ? QuantizedCopies(tokens: n, hidden: h, heads: a, intermediate: i, scoreCount: s) : nil
        q = Buffer(count: n * a); k = Buffer(count: n * a); v = Buffer(count: n * a)
        scores = Buffer(count: s); probs = Buffer(count: s)
        probsDropout = attentionDropout ? Buffer(count: s) : nil
        probsUsed = attentionDropout ? Buffer(count: s) : nil
        context = Buffer(count: n * a)
        attentionDense = Buffer(count: n * h)
        self.attentionDropout = hiddenDropout ? Buffer(count: n * h) : nil
        residual1 = Buffer(count: n * h); mean1 = Buffer(count: n); rstd1 = Buffer(count: n); normed1 = Buffer(count: n * h)
        ffnPre = Buffer(count: n * i); ffnAct = Buffer(count: n * i)
        ffnDense = Buffer(count: n * h)
        ffnDropout = hiddenDropout ? Buffer(count: n * h) : nil
        residual2 = Buffer(count: n * h); mean2 = Buffer(count: n); rstd2 = Buffer(count: n)
    }
}

/// The quantized activations of one layer (see `LayerActivations.quantizedCopies`).
final class QuantizedCopies<T: BLASReal> {
    let queryInput: Buffer<T>, keyInput: Buffer<T>, valueInput: Buffer<T>
    let q: Buffer<T>, k: Buffer<T>, v: Buffer<T>
    let probs: Buffer<T>
    let context: Buffer<T>, normed1: Buffer<T>, ffnAct: Buffer<T>

    init(tokens n: Int, hidden h: Int, heads a: Int, intermediate i: Int, scoreCount s: Int) {
        queryInput = Buffer(count: n * h); keyInput = Buffer(count: n * h); valueInput = Buffer(count: n * h)
        q = Buffer(count: n * a); k = Buffer(count: n * a); v = Buffer(count: n * a)
        probs = Buffer(count: s)
        context = Buffer(count: n * a); normed1 = Buffer(count: n * h); ffnAct = Buffer(count: n * i)
    }
}
