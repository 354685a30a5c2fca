import Numerics

/// Gradients of a loss with respect to the outputs a forward pass exposes; the seeds of `backward`.
/// Any subset may be given: a task loss seeds `logits`, distillation seeds hidden states and attention scores.
public struct OutputGradients<T: BLASReal> {
    /// (B, labels)
    public var logits: Buffer<T>?
    /// (B, C), before the classifier's dropout
    public var pooled: Buffer<T>?
    /// l → (B, T, C) for hidden_states.l, l = 0…L
    public var hiddenStates: [Int: Buffer<T>]
    /// l → (B, NH, T, T) for the pre-softmax scores of layer l
    public var attentionScores: [Int: Buffer<T>]

    public init(logits: Buffer<T>? = nil, pooled: Buffer<T>? = nil, hiddenStates: [Int: Buffer<T>] = [:],
                attentionScores: [Int: Buffer<T>] = [:]) {
        self.logits = logits
        self.pooled = pooled
        self.hiddenStates = hiddenStates
        self.attentionScores = attentionScores
    }
}

/// Scratch buffers for one backward pass, reused across calls of the same shape.
final class BackwardWorkspace<T: BLASReal> {
    let pool: WorkspaceBuffers<T>
    let dOut: Buffer<T>, dIn: Buffer<T>                    // (B·T, C) gradient flowing down the residual stream
    let dRes: Buffer<T>, dNormed1: Buffer<T>
    let dContext: Buffer<T>, dq: Buffer<T>, dk: Buffer<T>, dv: Buffer<T>    // (B·T, A)
    let dFfnAct: Buffer<T>, dFfnPre: Buffer<T>             // (B·T, I)
    let dScores: Buffer<T>                                 // (B, NH, T, T)
    /// Scratch for gradients of quantized copies: (B·T, max(C, A, I)) twice and one more (B, NH, T, T).
    let scratchA: Buffer<T>, scratchB: Buffer<T>, dScoresCopy: Buffer<T>
    let dPooled: Buffer<T>, dPooledPre: Buffer<T>          // (B, C)
    /// Discard target (C) for LayerNorm parameter gradients nobody asked for.
    let sink: Buffer<T>

    /// Scratch with room for `capacity` (the activations' capacity), sized for `shape`.
    init(capacity: WorkspaceShape, shape: WorkspaceShape, hidden h: Int, heads a: Int, intermediate i: Int) {
        let pool = WorkspaceBuffers<T>(capacity: capacity, shape: shape)
        self.pool = pool
        dOut = pool.tokens(h); dIn = pool.tokens(h)
        dRes = pool.tokens(h); dNormed1 = pool.tokens(h)
        dContext = pool.tokens(a); dq = pool.tokens(a); dk = pool.tokens(a); dv = pool.tokens(a)
        dFfnAct = pool.tokens(i); dFfnPre = pool.tokens(i)
        dScores = pool.scores()
        scratchA = pool.tokens(max(h, a, i)); scratchB = pool.tokens(max(h, a, i)); dScoresCopy = pool.scores()
        dPooled = pool.sequences(h); dPooledPre = pool.sequences(h)
        sink = pool.fixed(h)
    }
}

extension BackwardWorkspace {
    /// Whether this scratch can serve `acts` (`columns` copies of its shape, for a block curvature product); if so it
    /// is resized to that shape.
    func adopt(_ acts: Activations<T>, columns: Int = 1) -> Bool {
        let shape = acts.pool.shape.columns(columns)
        guard shape.fits(in: pool.capacity) else { return false }
        pool.resize(to: shape)
        return true
    }
}
