import Numerics

/// Shapes of one self-attention call.
struct AttentionShape {
    let batch: Int, seq: Int, heads: Int, headDim: Int
    var hidden: Int { heads * headDim }
    var scale: Double { 1 / Double(headDim).squareRoot() }
}

/// Scaled dot-product attention over heads laid side by side in the hidden dimension (no permutes).
/// q, k, v (B, T, C) with C = NH·HS; mask (B, T) additive, 0 for tokens and a large negative value for padding;
/// scores (B, NH, T, T) = q·kᵀ/√HS + mask (kept: distillation reads them); probs (B, NH, T, T) = softmax(scores);
/// probsUsed = probs ⊙ dropoutMask when training (else probs); ctx (B, T, C) = probsUsed · v.
func attentionForward<T: BLASReal>(scores: UnsafeMutablePointer<T>, probs: UnsafeMutablePointer<T>, probsUsed: UnsafeMutablePointer<T>,
                                   dropoutMask: UnsafePointer<T>?, ctx: UnsafeMutablePointer<T>,
                                   q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>,
                                   additiveMask: UnsafePointer<T>, shape s: AttentionShape) {
    let tt = s.seq, c = s.hidden, hs = s.headDim
    let scale = T(s.scale)
    Parallel.forBlasCalls(s.batch * s.heads) { bh in
        let b = bh / s.heads, h = bh % s.heads
        let qb = q + b * tt * c + h * hs, kb = k + b * tt * c + h * hs
        let sc = scores + bh * tt * tt
        T.gemm(.none, .transpose, m: tt, n: tt, k: hs, alpha: scale, a: qb, lda: c, b: kb, ldb: c, beta: 0, c: sc, ldc: tt)
        T.kernelAddRowVector(sc, additiveMask + b * tt, rows: tt, cols: tt)
    }
    let n = s.batch * s.heads * tt * tt
    T.kernelSoftmaxRows(scores, probs, rows: s.batch * s.heads * tt, cols: tt)
    if let dropoutMask { T.kernelMultiply(probs, dropoutMask, probsUsed, n) }
    Parallel.forBlasCalls(s.batch * s.heads) { bh in
        let b = bh / s.heads, h = bh % s.heads
        let p = UnsafePointer(probsUsed + bh * tt * tt)
        T.gemm(.none, .none, m: tt, n: hs, k: tt, alpha: 1, a: p, lda: tt, b: v + b * tt * c + h * hs, ldb: c,
               beta: 0, c: ctx + b * tt * c + h * hs, ldc: c)
    }
}

/// Backward of `attentionForward`. dctx (B, T, C) in; dq, dk, dv (B, T, C) overwritten;
/// dscoresExtra (B, NH, T, T), if given, is an extra gradient on the exposed scores (distillation).
/// work (B, NH, T, T) is scratch.
func attentionBackward<T: BLASReal>(dq: UnsafeMutablePointer<T>, dk: UnsafeMutablePointer<T>, dv: UnsafeMutablePointer<T>,
                                    dctx: UnsafePointer<T>, dscoresExtra: UnsafePointer<T>?,
                                    q: UnsafePointer<T>, k: UnsafePointer<T>, v: UnsafePointer<T>,
                                    probs: UnsafePointer<T>, probsUsed: UnsafePointer<T>, dropoutMask: UnsafePointer<T>?,
                                    work: UnsafeMutablePointer<T>, shape s: AttentionShape) {
    let tt = s.seq, c = s.hidden, hs = s.headDim
    let scale = T(s.scale)
    // d(probsUsed) = dctx · vᵀ ;  dv = probsUsedᵀ · dctx
    Parallel.forBlasCalls(s.batch * s.heads) { bh in
        let b = bh / s.heads, h = bh % s.heads
        let off = b * tt * c + h * hs
        T.gemm(.none, .transpose, m: tt, n: tt, k: hs, alpha: 1, a: dctx + off, lda: c, b: v + off, ldb: c,
               beta: 0, c: work + bh * tt * tt, ldc: tt)
        T.gemm(.transpose, .none, m: tt, n: hs, k: tt, alpha: 1, a: probsUsed + bh * tt * tt, lda: tt, b: dctx + off, ldb: c,
               beta: 0, c: dv + off, ldc: c)
    }
    let n = s.batch * s.heads * tt * tt
    if let dropoutMask { T.kernelMultiply(work, dropoutMask, work, n) }
    T.kernelSoftmaxRowsBackward(probs, work, work, rows: s.batch * s.heads * tt, cols: tt)
    if let dscoresExtra { T.kernelAdd(work, dscoresExtra, work, n) }
    // dq = dscores · k · scale ;  dk = dscoresᵀ · q · scale
    Parallel.forBlasCalls(s.batch * s.heads) { bh in
        let b = bh / s.heads, h = bh % s.heads
        let off = b * tt * c + h * hs
        let ds = UnsafePointer(work + bh * tt * tt)
        T.gemm(.none, .none, m: tt, n: hs, k: tt, alpha: scale, a: ds, lda: tt, b: k + off, ldb: c, beta: 0, c: dq + off, ldc: c)
        T.gemm(.transpose, .none, m: tt, n: hs, k: tt, alpha: scale, a: ds, lda: tt, b: q + off, ldb: c, beta: 0, c: dk + off, ldc: c)
    }
}
