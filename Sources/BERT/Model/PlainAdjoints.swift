import Numerics

/// The adjoints of the ordinary backward pass that the tangent of the backward pass (the R-backward of a curvature
/// product) reads: they depend on the forward, the targets, the loss's scale, the selection (where the pass stops)
/// and the product (a Gauss–Newton pass has a zero adjoint), never on the direction. Either aliases of the backward
/// scratch, overwritten layer by layer (one product), or kept per layer (`owned`), so that the next product on the
/// same forward skips the plain backward: `key` says what they were computed for (nil: nothing valid).
final class PlainAdjoints<T: BLASReal> {
    /// What the adjoints were computed for: the forward (`BertModel.forwardCount` right after it) at which weights, and
    /// the seed and extent of the backward pass.
    struct Key: Equatable {
        let forward: Int
        let weights: ObjectIdentifier
        let targets: Targets
        let scale: Double
        let selected: Set<Int>
        let product: CurvatureProduct
    }

    /// One layer's adjoints (B·T rows; scores (B, NH, T, T)): of residual2 (the output LayerNorm's input), of normed1
    /// (the FFN's input and the residual), of the FFN's activation and pre-activation, of residual1, of the context and of
    /// q, k, v (after the quantizers' masks), of the attention probabilities (masked) and of the scores.
    struct Layer {
        let dResidual2: Buffer<T>, dNormed1: Buffer<T>, dFfnAct: Buffer<T>, dFfnPre: Buffer<T>, dResidual1: Buffer<T>
        let dContext: Buffer<T>, dq: Buffer<T>, dk: Buffer<T>, dv: Buffer<T>
        let dProbs: Buffer<T>, dScores: Buffer<T>
    }

    /// Own storage when kept; nil for aliases of a backward scratch.
    let pool: WorkspaceBuffers<T>?
    /// d(hidden_states.l), l = 0…L.
    let hidden: [Buffer<T>]
    let layers: [Layer]
    /// The head's: the classifier's input (the pooled output) and the pooler's pre-activation, (B, C).
    let dPooled: Buffer<T>, dPooledPre: Buffer<T>
    /// The loss's adjoint seed on the logits (scaled; zero for a Gauss–Newton pass): kept, or the pass's own.
    var dLogits: Buffer<T>?
    var key: Key?

    var owned: Bool { pool != nil }

    /// Aliases of `ws`: the hidden adjoints alternate between its dOut (hidden_states.L) and dIn, every layer uses the
    /// same buffers (the two residual adjoints are one: the first is read before the second is written).
    init(aliasing ws: BackwardWorkspace<T>, layers count: Int) {
        pool = nil
        hidden = (0...count).map { (count - $0) % 2 == 0 ? ws.dOut : ws.dIn }
        let layer = Layer(dResidual2: ws.dRes, dNormed1: ws.dNormed1, dFfnAct: ws.dFfnAct, dFfnPre: ws.dFfnPre, dResidual1: ws.dRes,
                          dContext: ws.dContext, dq: ws.dq, dk: ws.dk, dv: ws.dv, dProbs: ws.dScores, dScores: ws.dScoresCopy)
        layers = Array(repeating: layer, count: count)
        dPooled = ws.dPooled
        dPooledPre = ws.dPooledPre
    }

    /// Own buffers for every layer, with room for `capacity`, sized for `shape`.
    init(config c: BertConfig, capacity: WorkspaceShape, shape: WorkspaceShape) {
        let pool = WorkspaceBuffers<T>(capacity: capacity, shape: shape)
        self.pool = pool
        let h = c.hiddenSize, a = c.allHeadSize, i = c.intermediateSize
        hidden = (0...c.numHiddenLayers).map { _ in pool.tokens(h) }
        layers = (0..<c.numHiddenLayers).map { _ in
            Layer(dResidual2: pool.tokens(h), dNormed1: pool.tokens(h), dFfnAct: pool.tokens(i), dFfnPre: pool.tokens(i),
                  dResidual1: pool.tokens(h), dContext: pool.tokens(a), dq: pool.tokens(a), dk: pool.tokens(a), dv: pool.tokens(a),
                  dProbs: pool.scores(), dScores: pool.scores())
        }
        dPooled = pool.sequences(h)
        dPooledPre = pool.sequences(h)
    }

    /// Values kept per token, per score entry and per sequence (the layout of the owned buffers).
    static func counts(_ c: BertConfig) -> (tokens: Int, scores: Int, sequences: Int) {
        let h = c.hiddenSize, a = c.allHeadSize, i = c.intermediateSize, L = c.numHiddenLayers
        return ((L + 1) * h + L * (3 * h + 2 * i + 4 * a), 2 * L, 2 * h)
    }

    /// Whether these (owned) buffers can hold the adjoints of `acts`; if so they are resized to its shape.
    func adopt(_ acts: Activations<T>) -> Bool {
        guard let pool, acts.pool.shape.fits(in: pool.capacity) else { return false }
        pool.resize(to: acts.pool.shape)
        return true
    }
}

extension BertModel {
    /// Bytes the plain adjoints a one-batch curvature product keeps between products (`keepAdjoints`) take for
    /// `batch`, beside the forward's activations.
    public func keptAdjointBytes(for batch: TokenBatch) -> Int {
        let shape = WorkspaceShape(batch.layout, heads: config.numAttentionHeads)
        let per = PlainAdjoints<T>.counts(config)
        let perSequence = per.sequences + (classes ?? 0)  // and the seed on the logits
        return (per.tokens * shape.tokens + per.scores * shape.scores + perSequence * shape.sequences) * MemoryLayout<T>.stride
    }
}
