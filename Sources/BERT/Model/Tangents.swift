import Numerics

/// The forward-mode tangents of one eval forward pass along a weight direction (the R-operator's first half), laid
/// out like `Activations`. Shapes: B = batch, T = sequence, C = hidden, A = heads × head size, I = intermediate.
final class Tangents<T: BLASReal> {
    let pool: WorkspaceBuffers<T>
    /// Tangent of hidden_states.l (B·T, C), l = 0…L.
    let hiddenStates: [Buffer<T>]
    let layers: [LayerTangents<T>]
    let embeddingSum: Buffer<T>                      // (B·T, C)
    let clsRows: Buffer<T>, clsRowsHat: Buffer<T>?   // (B, C)
    let pooled: Buffer<T>                            // (B, C)
    let logits: Buffer<T>?                           // (B, K)

    let quantized: Bool

    /// Tangents with room for `capacity` (the activations' capacity), sized for `shape`.
    init(config c: BertConfig, capacity: WorkspaceShape, shape: WorkspaceShape, classes: Int?, quantized: Bool) {
        let h = c.hiddenSize
        let pool = WorkspaceBuffers<T>(capacity: capacity, shape: shape)
        self.pool = pool
        self.quantized = quantized
        hiddenStates = (0...c.numHiddenLayers).map { _ in pool.tokens(h) }
        layers = (0..<c.numHiddenLayers).map { _ in
            LayerTangents(pool, hidden: h, heads: c.allHeadSize, intermediate: c.intermediateSize, quantized: quantized)
        }
        embeddingSum = pool.tokens(h)
        clsRows = pool.sequences(h); clsRowsHat = quantized ? pool.sequences(h) : nil
        pooled = pool.sequences(h)
        logits = classes.map { pool.sequences($0) }
    }

    /// Whether these tangents can serve `columns` directions of `acts` at once (direction-major); if so they are
    /// resized to that shape.
    func adopt(_ acts: Activations<T>, columns: Int = 1) -> Bool {
        let shape = acts.pool.shape.columns(columns)
        guard acts.quantized == quantized, shape.fits(in: pool.capacity) else { return false }
        pool.resize(to: shape)
        return true
    }
}

/// One layer's tangents; the quantized copies' tangents are m ⊙ (the input's tangent), m the quantizer's
/// straight-through mask. Without an activation quantizer the `...Hat` buffers are nil (the consumer reads the tangent itself).
final class LayerTangents<T: BLASReal> {
    let q: Buffer<T>, k: Buffer<T>, v: Buffer<T>, context: Buffer<T>            // (B·T, A)
    let probs: Buffer<T>                                                        // (B, NH, T, T)
    let residual1: Buffer<T>, normed1: Buffer<T>, residual2: Buffer<T>          // (B·T, C)
    let ffnPre: Buffer<T>, ffnAct: Buffer<T>                                    // (B·T, I)
    let queryInputHat: Buffer<T>?, keyInputHat: Buffer<T>?, valueInputHat: Buffer<T>?, normed1Hat: Buffer<T>?   // (B·T, C)
    let qHat: Buffer<T>?, kHat: Buffer<T>?, vHat: Buffer<T>?, contextHat: Buffer<T>?                           // (B·T, A)
    let probsHat: Buffer<T>?                                                    // (B, NH, T, T)
    let ffnActHat: Buffer<T>?                                                   // (B·T, I)

    init(_ pool: WorkspaceBuffers<T>, hidden h: Int, heads a: Int, intermediate i: Int, quantized: Bool) {
        func make(_ count: () -> Buffer<T>) -> Buffer<T>? { quantized ? count() : nil }
        q = pool.tokens(a); k = pool.tokens(a); v = pool.tokens(a); context = pool.tokens(a)
        probs = pool.scores()
        residual1 = pool.tokens(h); normed1 = pool.tokens(h); residual2 = pool.tokens(h)
        ffnPre = pool.tokens(i); ffnAct = pool.tokens(i)
        queryInputHat = make { pool.tokens(h) }; keyInputHat = make { pool.tokens(h) }; valueInputHat = make { pool.tokens(h) }; normed1Hat = make { pool.tokens(h) }
        qHat = make { pool.tokens(a) }; kHat = make { pool.tokens(a) }; vHat = make { pool.tokens(a) }; contextHat = make { pool.tokens(a) }
        probsHat = make { pool.scores() }
        ffnActHat = make { pool.tokens(i) }
    }
}

extension BertModel {
    /// Bytes one more column of a block curvature product (`curvatureBlockProduct`) needs on `batch`: its tangents
    /// and adjoint tangents (the layouts of `Tangents` and `BackwardWorkspace`) and its direction and product in the
    /// parameter layout. The forward, the plain backward and the weights are shared by every column.
    public func curvatureColumnBytes(for batch: TokenBatch) -> Int {
        let c = config, h = c.hiddenSize, a = c.allHeadSize, i = c.intermediateSize, L = c.numHiddenLayers
        let shape = WorkspaceShape(batch.layout, heads: c.numAttentionHeads)
        let quantized = activationQuantizer != nil
        // Tangents: hidden states, the embedding sum and per layer q, k, v, context, two residuals, normed1, the FFN's two.
        var perToken = (L + 2) * h + L * (4 * a + 3 * h + 2 * i)
        var perScore = L
        var perSequence = 2 * h + (classes ?? 0)
        if quantized {
            perToken += L * (4 * h + 4 * a + i)
            perScore += L
            perSequence += h
        }
        // The R-backward's scratch (`BackwardWorkspace`).
        perToken += 4 * h + 4 * a + 2 * i + 2 * max(h, a, i)
        perScore += 2
        perSequence += 2 * h + (classes ?? 0)
        let values = perToken * shape.tokens + perScore * shape.scores + perSequence * shape.sequences + 2 * table.totalCount
        return values * MemoryLayout<T>.stride
    }
}
