import Numerics

/// Everything one forward pass keeps for its backward pass, plus the outputs that distillation and analysis read.
/// Shapes: B = batch, T = sequence, C = hidden, I = intermediate, NH = heads; "B·T" rows and "(B, NH, T, T)" scores
/// are Σ L_b rows and Σ NH·L_b² scores when the batch is packed (`layout`).
public final class Activations<T: BLASReal> {
    public var batchSize: Int { batch.batchSize }
    public var sequenceLength: Int { batch.sequenceLength }
    /// The rows and score blocks of each sequence.
    public var layout: SequenceLayout { batch.layout }
    /// Every buffer below, allocated for a capacity and resized per batch.
    let pool: WorkspaceBuffers<T>
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
    private(set) var batch: TokenBatch

    /// Whether the quantized copies of activations exist (the model has an activation quantizer).
    let quantized: Bool
    /// The pooler's quantized input (B, C), when quantized.
    let clsRowsHat: Buffer<T>?

    /// Activations for `batch`, with room for any batch up to `capacity` (at least the batch's own shape).
    init(config c: BertConfig, batch: TokenBatch, training: Bool, pooler: Bool, classes: Int?, quantized: Bool = false,
         capacity: WorkspaceShape? = nil) {
        let h = c.hiddenSize
        let shape = WorkspaceShape(batch.layout, heads: c.numAttentionHeads)
        let pool = WorkspaceBuffers<T>(capacity: capacity.map { $0.union(shape) } ?? shape, shape: shape)
        self.pool = pool
        self.batch = batch
        self.training = training
        self.quantized = quantized
        hiddenStates = (0...c.numHiddenLayers).map { _ in pool.tokens(h) }
        let dropH = training && c.hiddenDropoutProb > 0, dropA = training && c.attentionProbsDropoutProb > 0
        layers = (0..<c.numHiddenLayers).map { _ in
            LayerActivations(pool, hidden: h, heads: c.allHeadSize, intermediate: c.intermediateSize,
                             hiddenDropout: dropH, attentionDropout: dropA, quantized: quantized)
        }
        additiveMask = pool.tokens(1)
        embeddingSum = pool.tokens(h)
        embeddingMean = pool.tokens(1)
        embeddingRstd = pool.tokens(1)
        embeddingNormed = pool.tokens(h)
        embeddingDropout = dropH ? pool.tokens(h) : nil
        clsRows = pool.sequences(h)
        clsRowsHat = quantized ? pool.sequences(h) : nil
        pooled = pooler ? pool.sequences(h) : nil
        pooledDropout = (classes != nil && dropH) ? pool.sequences(h) : nil
        pooledUsed = (classes != nil && dropH) ? pool.sequences(h) : nil
        logits = classes.map { pool.sequences($0) }
    }

    /// Whether these activations can take `batch` (mode, quantization and capacity).
    func canHold(_ batch: TokenBatch, heads: Int, training: Bool, quantized: Bool) -> Bool {
        training == self.training && quantized == self.quantized && WorkspaceShape(batch.layout, heads: heads).fits(in: pool.capacity)
    }

    /// Takes `batch` (which `canHold` accepted): every buffer is resized to its shape.
    func adopt(_ batch: TokenBatch, heads: Int) {
        pool.resize(to: WorkspaceShape(batch.layout, heads: heads))
        self.batch = batch
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

    init(_ pool: WorkspaceBuffers<T>, hidden h: Int, heads a: Int, intermediate i: Int, hiddenDropout: Bool, attentionDropout: Bool,
         quantized: Bool) {
        quantizedCopies = quantized ? QuantizedCopies(pool, hidden: h, heads: a, intermediate: i) : nil
        q = pool.tokens(a); k = pool.tokens(a); v = pool.tokens(a)
        scores = pool.scores(); probs = pool.scores()
        probsDropout = attentionDropout ? pool.scores() : nil
        probsUsed = attentionDropout ? pool.scores() : nil
        context = pool.tokens(a)
        attentionDense = pool.tokens(h)
        self.attentionDropout = hiddenDropout ? pool.tokens(h) : nil
        residual1 = pool.tokens(h); mean1 = pool.tokens(1); rstd1 = pool.tokens(1); normed1 = pool.tokens(h)
        ffnPre = pool.tokens(i); ffnAct = pool.tokens(i)
        ffnDense = pool.tokens(h)
        ffnDropout = hiddenDropout ? pool.tokens(h) : nil
        residual2 = pool.tokens(h); mean2 = pool.tokens(1); rstd2 = pool.tokens(1)
    }
}

/// The quantized activations of one layer (see `LayerActivations.quantizedCopies`).
final class QuantizedCopies<T: BLASReal> {
    let queryInput: Buffer<T>, keyInput: Buffer<T>, valueInput: Buffer<T>
    let q: Buffer<T>, k: Buffer<T>, v: Buffer<T>
    let probs: Buffer<T>
    let context: Buffer<T>, normed1: Buffer<T>, ffnAct: Buffer<T>

    init(_ pool: WorkspaceBuffers<T>, hidden h: Int, heads a: Int, intermediate i: Int) {
        queryInput = pool.tokens(h); keyInput = pool.tokens(h); valueInput = pool.tokens(h)
        q = pool.tokens(a); k = pool.tokens(a); v = pool.tokens(a)
        probs = pool.scores()
        context = pool.tokens(a); normed1 = pool.tokens(h); ffnAct = pool.tokens(i)
    }
}
