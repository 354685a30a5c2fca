import Foundation
import Numerics

/// Shapes of one self-attention call: the batch's sequence layout (padded or packed), heads and head size.
struct AttentionShape {
    let layout: SequenceLayout, heads: Int, headDim: Int
    /// Row stride of q, k, v and the context: heads laid side by side (no permutes).
    var width: Int { heads * headDim }
    var scale: Double { 1 / Double(headDim).squareRoot() }
    /// (sequence, head) pairs: one score block each.
    var blocks: Int { layout.count * heads }
    /// Entries of the score buffers: Σ_b NH·L_b².
    var scoreCount: Int { layout.scoreCount(heads: heads) }

    /// Block bh = b·NH + h: sequence b, its length, its first q/k/v/context entry for head h, its first score entry.
    struct Block { let sequence: Int, length: Int, rows: Int, scores: Int }
    @inline(__always)
    func block(_ bh: Int) -> Block {
        let b = bh / heads, h = bh % heads
        return Block(sequence: b, length: layout.lengths[b], rows: layout.offsets[b] * width + h * headDim,
                     scores: layout.scoreOffset(b, head: h, heads: heads))
    }
}

/// scores (B, NH, T, T) = q·kᵀ/√HS + mask (kept: distillation reads them); probs = softmax(scores);
/// probsUsed = probs ⊙ dropoutMask when training. q, k (B, T, A), A = NH·HS; additiveMask (B, T): 0 for tokens,
/// a large negative value for padding (unused when the layout is packed).
func attentionProbabilities<T: BLASReal>(scores: UnsafeMutablePointer<T>, probs: UnsafeMutablePointer<T>,
                                         probsUsed: UnsafeMutablePointer<T>, dropoutMask: UnsafePointer<T>?,
                                         q: UnsafePointer<T>, k: UnsafePointer<T>, additiveMask: UnsafePointer<T>,
                                         shape s: AttentionShape) {
    let a = s.width, hs = s.headDim
    let scale = T(s.scale)
    Parallel.forBlasCalls(s.blocks) { bh in
        let blk = s.block(bh), tt = blk.length, off = blk.rows, po = blk.scores
        let sc = scores + po
        T.gemm(.none, .transpose, m: tt, n: tt, k: hs, alpha: scale, a: q + off, lda: a,
               b: k + off, ldb: a, beta: 0, c: sc, ldc: tt)
        if !s.layout.isPacked { T.kernelAddRowVector(sc, additiveMask + s.layout.offsets[blk.sequence], rows: tt, cols: tt) }
    }
    s.layout.forEachScoreBlock(heads: s.heads) { start, rows, cols in
        T.kernelSoftmaxRows(scores + start, probs + start, rows: rows, cols: cols)
    }
    if let dropoutMask { T.kernelMultiply(probs, dropoutMask, probsUsed, s.scoreCount) }
}

/// ctx (B, T, A) = p · v per head, p (B, NH, T, T).
func attentionContext<T: BLASReal>(_ ctx: UnsafeMutablePointer<T>, p: UnsafePointer<T>, v: UnsafePointer<T>, shape s: AttentionShape) {
    let a = s.width, hs = s.headDim
    Parallel.forBlasCalls(s.blocks) { bh in
        let blk = s.block(bh), tt = blk.length, off = blk.rows, po = blk.scores
        T.gemm(.none, .none, m: tt, n: hs, k: tt, alpha: 1, a: p + po, lda: tt, b: v + off, ldb: a,
               beta: 0, c: ctx + off, ldc: a)
    }
}

/// Backward of `attentionContext`: dp (B, NH, T, T) = dctx · vᵀ and dv (B, T, A) = pᵀ · dctx (both overwritten).
func attentionContextBackward<T: BLASReal>(dp: UnsafeMutablePointer<T>, dv: UnsafeMutablePointer<T>, dctx: UnsafePointer<T>,
                                           p: UnsafePointer<T>, v: UnsafePointer<T>, shape s: AttentionShape) {
    let a = s.width, hs = s.headDim
    Parallel.forBlasCalls(s.blocks) { bh in
        let blk = s.block(bh), tt = blk.length, off = blk.rows, po = blk.scores
        T.gemm(.none, .transpose, m: tt, n: tt, k: hs, alpha: 1, a: dctx + off, lda: a, b: v + off, ldb: a,
               beta: 0, c: dp + po, ldc: tt)
        T.gemm(.transpose, .none, m: tt, n: hs, k: tt, alpha: 1, a: p + po, lda: tt, b: dctx + off, ldb: a,
               beta: 0, c: dv + off, ldc: a)
    }
}

/// Backward of `attentionProbabilities`: dprobsUsed (B, NH, T, T) in, turned in place into d(scores);
/// dscoresExtra, if given, is an extra gradient on the exposed scores (distillation); dq, dk (B, T, A) overwritten.
func attentionScoresBackward<T: BLASReal>(dq: UnsafeMutablePointer<T>, dk: UnsafeMutablePointer<T>, dprobs: UnsafeMutablePointer<T>,
                                          probs: UnsafePointer<T>, dropoutMask: UnsafePointer<T>?, dscoresExtra: UnsafePointer<T>?,
                                          q: UnsafePointer<T>, k: UnsafePointer<T>, shape s: AttentionShape) {
    let a = s.width, hs = s.headDim
    let scale = T(s.scale)
    let n = s.scoreCount
    if let dropoutMask { T.kernelMultiply(dprobs, dropoutMask, dprobs, n) }
    s.layout.forEachScoreBlock(heads: s.heads) { start, rows, cols in
        T.kernelSoftmaxRowsBackward(probs + start, dprobs + start, dprobs + start, rows: rows, cols: cols)
    }
    if let dscoresExtra { T.kernelAdd(dprobs, dscoresExtra, dprobs, n) }
    // dq = dscores · k · scale ;  dk = dscoresᵀ · q · scale
    Parallel.forBlasCalls(s.blocks) { bh in
        let blk = s.block(bh), tt = blk.length, off = blk.rows, po = blk.scores
        let ds = UnsafePointer(dprobs + po)
        T.gemm(.none, .none, m: tt, n: hs, k: tt, alpha: scale, a: ds, lda: tt, b: k + off, ldb: a, beta: 0, c: dq + off, ldc: a)
        T.gemm(.transpose, .none, m: tt, n: hs, k: tt, alpha: scale, a: ds, lda: tt, b: q + off, ldb: a, beta: 0, c: dk + off, ldc: a)
    }
}

/// Tangent of `attentionProbabilities` (eval mode): tprobs (B, NH, T, T) = p ⊙ (ts − Σ_j p_j ts_j) per row with
/// ts = scale·(tq·kᵀ + q·tkᵀ); nil tangents are zero. Masked keys have p = 0 and get no tangent.
func attentionProbabilitiesTangent<T: BLASReal>(tprobs: UnsafeMutablePointer<T>, probs: UnsafePointer<T>,
                                                q: UnsafePointer<T>, tq: UnsafePointer<T>?, k: UnsafePointer<T>,
                                                tk: UnsafePointer<T>?, shape s: AttentionShape) {
    let a = s.width, hs = s.headDim
    let scale = T(s.scale)
    let count = s.scoreCount
    guard tq != nil || tk != nil else { memset(tprobs, 0, count * MemoryLayout<T>.stride); return }
    Parallel.forBlasCalls(s.blocks) { bh in
        let blk = s.block(bh), tt = blk.length, off = blk.rows, po = blk.scores
        let ts = tprobs + po
        var beta: T = 0
        if let tq {
            T.gemm(.none, .transpose, m: tt, n: tt, k: hs, alpha: scale, a: tq + off, lda: a, b: k + off, ldb: a, beta: 0, c: ts, ldc: tt)
            beta = 1
        }
        if let tk {
            T.gemm(.none, .transpose, m: tt, n: tt, k: hs, alpha: scale, a: q + off, lda: a, b: tk + off, ldb: a, beta: beta, c: ts, ldc: tt)
        }
    }
    s.layout.forEachScoreBlock(heads: s.heads) { start, rows, cols in
        softmaxTangentRows(probs + start, tprobs + start, rows: rows, cols: cols)
    }
}

/// In place: t (rows, cols) ← y ⊙ (t − Σ_j y_j t_j) per row (the tangent of a row softmax y, given the inputs' tangent).
@_specialize(where T == Float)
@_specialize(where T == Double)
func softmaxTangentRows<T: BLASReal>(_ y: UnsafePointer<T>, _ t: UnsafeMutablePointer<T>, rows: Int, cols: Int) {
    Parallel.forSlices(rows, workPerItem: cols * 4) { lo, hi in
        for r in lo..<hi {
            let yr = y + r * cols, tr = t + r * cols
            var s: T = 0
            for j in 0..<cols { s += yr[j] * tr[j] }
            for j in 0..<cols { tr[j] = yr[j] * (tr[j] - s) }
        }
    }
}

/// Tangent of `attentionContext`: tctx (B, T, A) = tp · v + p · tv per head; nil tangents are zero.
func attentionContextTangent<T: BLASReal>(_ tctx: UnsafeMutablePointer<T>, p: UnsafePointer<T>, tp: UnsafePointer<T>?,
                                          v: UnsafePointer<T>, tv: UnsafePointer<T>?, shape s: AttentionShape) {
    let a = s.width, hs = s.headDim
    Parallel.forBlasCalls(s.blocks) { bh in
        let blk = s.block(bh), tt = blk.length, off = blk.rows, po = blk.scores
        var beta: T = 0
        if let tp {
            T.gemm(.none, .none, m: tt, n: hs, k: tt, alpha: 1, a: tp + po, lda: tt, b: v + off, ldb: a, beta: 0, c: tctx + off, ldc: a)
            beta = 1
        }
        if let tv {
            T.gemm(.none, .none, m: tt, n: hs, k: tt, alpha: 1, a: p + po, lda: tt, b: tv + off, ldb: a, beta: beta, c: tctx + off, ldc: a)
            beta = 1
        }
        if beta == 0 { for i in 0..<tt { memset(tctx + off + i * a, 0, hs * MemoryLayout<T>.stride) } }
    }
}

/// `attentionContextBackward` and its R-operator: dp = dctx·vᵀ, dv = pᵀ·dctx (overwritten; nil: not computed, the
/// caller has them), and their tangents rdp = rdctx·vᵀ + dctx·tvᵀ, rdv = tpᵀ·dctx + pᵀ·rdctx (overwritten); nil
/// tangents are zero. Without `wantProbs` dp and rdp are not computed (nothing below needs them).
func attentionContextBackwardR<T: BLASReal>(dp: UnsafeMutablePointer<T>?, dv: UnsafeMutablePointer<T>?,
                                            rdp: UnsafeMutablePointer<T>, rdv: UnsafeMutablePointer<T>, wantProbs: Bool = true,
                                            dctx: UnsafePointer<T>, rdctx: UnsafePointer<T>, p: UnsafePointer<T>, tp: UnsafePointer<T>?,
                                            v: UnsafePointer<T>, tv: UnsafePointer<T>?, shape s: AttentionShape) {
    let a = s.width, hs = s.headDim
    Parallel.forBlasCalls(s.blocks) { bh in
        let blk = s.block(bh), tt = blk.length, off = blk.rows, po = blk.scores
        if wantProbs {
            if let dp { T.gemm(.none, .transpose, m: tt, n: tt, k: hs, alpha: 1, a: dctx + off, lda: a, b: v + off, ldb: a, beta: 0, c: dp + po, ldc: tt) }
            T.gemm(.none, .transpose, m: tt, n: tt, k: hs, alpha: 1, a: rdctx + off, lda: a, b: v + off, ldb: a, beta: 0, c: rdp + po, ldc: tt)
            if let tv {
                T.gemm(.none, .transpose, m: tt, n: tt, k: hs, alpha: 1, a: dctx + off, lda: a, b: tv + off, ldb: a, beta: 1, c: rdp + po, ldc: tt)
            }
        }
        if let dv { T.gemm(.transpose, .none, m: tt, n: hs, k: tt, alpha: 1, a: p + po, lda: tt, b: dctx + off, ldb: a, beta: 0, c: dv + off, ldc: a) }
        T.gemm(.transpose, .none, m: tt, n: hs, k: tt, alpha: 1, a: p + po, lda: tt, b: rdctx + off, ldb: a, beta: 0, c: rdv + off, ldc: a)
        if let tp {
            T.gemm(.transpose, .none, m: tt, n: hs, k: tt, alpha: 1, a: tp + po, lda: tt, b: dctx + off, ldb: a, beta: 1, c: rdv + off, ldc: a)
        }
    }
}

/// `attentionScoresBackward` (eval mode) and its R-operator. In: dprobs (B, NH, T, T), unchanged, and its tangent
/// rdprobs, turned in place into the tangent of d(scores): tp ⊙ (dprobs − Σ p·dprobs) + p ⊙ (rdprobs − Σ (tp·dprobs + p·rdprobs)).
/// `dscores` holds d(scores) = p ⊙ (dprobs − Σ p·dprobs): written here with the plain dq = scale·ds·k and dk = scale·dsᵀ·q
/// when `dq` and `dk` are given (overwritten), read as it is when they are nil (an earlier call wrote it).
/// Out (overwritten): rdq = scale·(rds·k + ds·tk), rdk = scale·(rdsᵀ·q + dsᵀ·tq).
func attentionScoresBackwardR<T: BLASReal>(dq: UnsafeMutablePointer<T>?, dk: UnsafeMutablePointer<T>?,
                                           rdq: UnsafeMutablePointer<T>, rdk: UnsafeMutablePointer<T>,
                                           dprobs: UnsafePointer<T>, dscores: UnsafeMutablePointer<T>, rdprobs: UnsafeMutablePointer<T>,
                                           probs: UnsafePointer<T>, tprobs: UnsafePointer<T>?,
                                           q: UnsafePointer<T>, tq: UnsafePointer<T>?, k: UnsafePointer<T>, tk: UnsafePointer<T>?,
                                           shape s: AttentionShape) {
    precondition((dq == nil) == (dk == nil), "attentionScoresBackwardR: dq and dk go together")
    let a = s.width, hs = s.headDim
    let scale = T(s.scale)
    let plain = dq != nil
    s.layout.forEachScoreBlock(heads: s.heads) { start, rows, cols in
        softmaxBackwardRRows(probs + start, tprobs.map { $0 + start }, dprobs + start, plain ? dscores + start : nil, rdprobs + start,
                             rows: rows, cols: cols)
    }
    Parallel.forBlasCalls(s.blocks) { bh in
        let blk = s.block(bh), tt = blk.length, off = blk.rows, po = blk.scores
        let ds = UnsafePointer(dscores + po), rds = UnsafePointer(rdprobs + po)
        if let dq, let dk {
            T.gemm(.none, .none, m: tt, n: hs, k: tt, alpha: scale, a: ds, lda: tt, b: k + off, ldb: a, beta: 0, c: dq + off, ldc: a)
            T.gemm(.transpose, .none, m: tt, n: hs, k: tt, alpha: scale, a: ds, lda: tt, b: q + off, ldb: a, beta: 0, c: dk + off, ldc: a)
        }
        T.gemm(.none, .none, m: tt, n: hs, k: tt, alpha: scale, a: rds, lda: tt, b: k + off, ldb: a, beta: 0, c: rdq + off, ldc: a)
        T.gemm(.transpose, .none, m: tt, n: hs, k: tt, alpha: scale, a: rds, lda: tt, b: q + off, ldb: a, beta: 0, c: rdk + off, ldc: a)
        if let tk {
            T.gemm(.none, .none, m: tt, n: hs, k: tt, alpha: scale, a: ds, lda: tt, b: tk + off, ldb: a, beta: 1, c: rdq + off, ldc: a)
        }
        if let tq {
            T.gemm(.transpose, .none, m: tt, n: hs, k: tt, alpha: scale, a: ds, lda: tt, b: tq + off, ldb: a, beta: 1, c: rdk + off, ldc: a)
        }
    }
}

/// Row softmax backward and its R-operator: ds ← y ⊙ (d − Σ y·d) (nil: skipped); rd ← ty ⊙ (d − Σ y·d) + y ⊙ (rd − Σ (ty·d + y·rd))
/// in place. d itself is only read (ds may be d: in place).
@_specialize(where T == Float)
@_specialize(where T == Double)
func softmaxBackwardRRows<T: BLASReal>(_ y: UnsafePointer<T>, _ ty: UnsafePointer<T>?, _ d: UnsafePointer<T>, _ ds: UnsafeMutablePointer<T>?,
                                       _ rd: UnsafeMutablePointer<T>, rows: Int, cols: Int) {
    Parallel.forSlices(rows, workPerItem: cols * 8) { lo, hi in
        for r in lo..<hi {
            let yr = y + r * cols, dr = d + r * cols, rdr = rd + r * cols
            var s1: T = 0, s2: T = 0
            for j in 0..<cols {
                s1 += yr[j] * dr[j]
                s2 += yr[j] * rdr[j]
                if let ty { s2 += ty[r * cols + j] * dr[j] }
            }
            for j in 0..<cols {
                let centred = dr[j] - s1
                var rv = yr[j] * (rdr[j] - s2)
                if let ty { rv += ty[r * cols + j] * centred }
                rdr[j] = rv
                ds?[r * cols + j] = yr[j] * centred
            }
        }
    }
}
