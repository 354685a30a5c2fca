import Numerics

/// Shapes of one self-attention call.
struct AttentionShape {
    let batch: Int, seq: Int, heads: Int, headDim: Int
    /// Row stride of q, k, v and the context: heads laid side by side (no permutes).
    var width: Int { heads * headDim }
    var scale: Double { 1 / Double(headDim).squareRoot() }
}

/// scores (B, NH, T, T) = q·kᵀ/√HS + mask (kept: distillation reads them); probs = softmax(scores);
/// probsUsed = probs ⊙ dropoutMask when training. q, k (B, T, A), A = NH·HS; additiveMask (B, T): 0 for tokens,
/// a large negative value for padding.
func attentionProbabilities<T: BLASReal>(scores: UnsafeMutablePointer<T>, probs: UnsafeMutablePointer<T>,
                                         probsUsed: UnsafeMutablePointer<T>, dropoutMask: UnsafePointer<T>?,
                                         q: UnsafePointer<T>, k: UnsafePointer<T>, additiveMask: UnsafePointer<T>,
                                         shape s: AttentionShape) {
    let tt = s.seq, a = s.width, hs = s.headDim
    let scale = T(s.scale)
    Parallel.forBlasCalls(s.batch * s.heads) { bh in
        let b = bh / s.heads, h = bh % s.heads
        let sc = scores + bh * tt * tt
        T.gemm(.none, .transpose, m: tt, n: tt, k: hs, alpha: scale, a: q + b * tt * a + h * hs, lda: a,
               b: k + b * tt * a + h * hs, ldb: a, beta: 0, c: sc, ldc: tt)
        T.kernelAddRowVector(sc, additiveMask + b * tt, rows: tt, cols: tt)
    }
    T.kernelSoftmaxRows(scores, probs, rows: s.batch * s.heads * tt, cols: tt)
    if let dropoutMask { T.kernelMultiply(probs, dropoutMask, probsUsed, s.batch * s.heads * tt * tt) }
}

/// ctx (B, T, A) = p · v per head, p (B, NH, T, T).
func attentionContext<T: BLASReal>(_ ctx: UnsafeMutablePointer<T>, p: UnsafePointer<T>, v: UnsafePointer<T>, shape s: AttentionShape) {
    let tt = s.seq, a = s.width, hs = s.headDim
    Parallel.forBlasCalls(s.batch * s.heads) { bh in
        let b = bh / s.heads, h = bh % s.heads
        T.gemm(.none, .none, m: tt, n: hs, k: tt, alpha: 1, a: p + bh * tt * tt, lda: tt, b: v + b * tt * a + h * hs, ldb: a,
               beta: 0, c: ctx + b * tt * a + h * hs, ldc: a)
    }
}

/// Backward of `attentionContext`: dp (B, NH, T, T) = dctx · vᵀ and dv (B, T, A) = pᵀ · dctx (both overwritten).
func attentionContextBackward<T: BLASReal>(dp: UnsafeMutablePointer<T>, dv: UnsafeMutablePointer<T>, dctx: UnsafePointer<T>,
                                           p: UnsafePointer<T>, v: UnsafePointer<T>, shape s: AttentionShape) {
    let tt = s.seq, a = s.width, hs = s.headDim
    Parallel.forBlasCalls(s.batch * s.heads) { bh in
        let b = bh / s.heads, h = bh % s.heads
        let off = b * tt * a + h * hs
        T.gemm(.none, .transpose, m: tt, n: tt, k: hs, alpha: 1, a: dctx + off, lda: a, b: v + off, ldb: a,
               beta: 0, c: dp + bh * tt * tt, ldc: tt)
        T.gemm(.transpose, .none, m: tt, n: hs, k: tt, alpha: 1, a: p + bh * tt * tt, lda: tt, b: dctx + off, ldb: a,
               beta: 0, c: dv + off, ldc: a)
    }
}

/// Backward of `attentionProbabilities`: dprobsUsed (B, NH, T, T) in, turned in place into d(scores);
/// dscoresExtra, if given, is an extra gradient on the exposed scores (distillation); dq, dk (B, T, A) overwritten.
func attentionScoresBackward<T: BLASReal>(dq: UnsafeMutablePointer<T>, dk: UnsafeMutablePointer<T>, dprobs: UnsafeMutablePointer<T>,
                                          probs: UnsafePointer<T>, dropoutMask: UnsafePointer<T>?, dscoresExtra: UnsafePointer<T>?,
                                          q: UnsafePointer<T>, k: UnsafePointer<T>, shape s: AttentionShape) {
    let tt = s.seq, a = s.width, hs = s.headDim
    let scale = T(s.scale)
    let n = s.batch * s.heads * tt * tt
    if let dropoutMask { T.kernelMultiply(dprobs, dropoutMask, dprobs, n) }
    T.kernelSoftmaxRowsBackward(probs, dprobs, dprobs, rows: s.batch * s.heads * tt, cols: tt)
    if let dscoresExtra { T.kernelAdd(dprobs, dscoresExtra, dprobs, n) }
    // dq = dscores · k · scale ;  dk = dscoresᵀ · q · scale
    Parallel.forBlasCalls(s.batch * s.heads) { bh in
        let b = bh / s.heads, h = bh % s.heads
        let off = b * tt * a + h * hs
        let ds = UnsafePointer(dprobs + bh * tt * tt)
        T.gemm(.none, .none, m: tt, n: hs, k: tt, alpha: scale, a: ds, lda: tt, b: k + off, ldb: a, beta: 0, c: dq + off, ldc: a)
        T.gemm(.transpose, .none, m: tt, n: hs, k: tt, alpha: scale, a: ds, lda: tt, b: q + off, ldb: a, beta: 0, c: dk + off, ldc: a)
    }
}
