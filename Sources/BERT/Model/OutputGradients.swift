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
    let tokens: Int, scoreCount: Int
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

    init(tokens n: Int, batch b: Int, hidden h: Int, heads a: Int, intermediate i: Int, scoreCount s: Int) {
        tokens = n
        scoreCount = s
        dOut = Buffer(count: n * h); dIn = Buffer(count: n * h)
        dRes = Buffer(count: n * h); dNormed1 = Buffer(count: n * h)
        dContext = Buffer(count: n * a); dq = Buffer(count: n * a); dk = Buffer(count: n * a); dv = Buffer(count: n * a)
        dFfnAct = Buffer(count: n * i); dFfnPre = Buffer(count: n * i)
        dScores = Buffer(count: s)
        scratchA = Buffer(count: n * max(h, a, i)); scratchB = Buffer(count: n * max(h, a, i)); dScoresCopy = Buffer(count: s)
        dPooled = Buffer(count: b * h); dPooledPre = Buffer(count: b * h)
        sink = Buffer(count: h)
    }
}
