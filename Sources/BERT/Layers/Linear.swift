import Foundation
import Numerics

/// out (N, OC) = inp (N, C) · weightᵀ + bias;  weight (OC, C) as stored by PyTorch, bias (OC) optional.
@inline(__always)
func linearForward<T: BLASReal>(_ out: UnsafeMutablePointer<T>, _ inp: UnsafePointer<T>, _ weight: UnsafePointer<T>,
                                _ bias: UnsafePointer<T>?, rows n: Int, inFeatures c: Int, outFeatures oc: Int) {
    T.gemm(.none, .transpose, m: n, n: oc, k: c, alpha: 1, a: inp, lda: c, b: weight, ldb: c, beta: 0, c: out, ldc: oc)
    if let bias { T.kernelAddRowVector(out, bias, rows: n, cols: oc) }
}

/// dinp (N, C) += dout · weight;  dweight (OC, C) += doutᵀ · inp;  dbias (OC) += Σ_rows dout (each skipped when nil).
@inline(__always)
func linearBackward<T: BLASReal>(dinp: UnsafeMutablePointer<T>?, dweight: UnsafeMutablePointer<T>?, dbias: UnsafeMutablePointer<T>?,
                                 dout: UnsafePointer<T>, inp: UnsafePointer<T>, weight: UnsafePointer<T>,
                                 rows n: Int, inFeatures c: Int, outFeatures oc: Int) {
    // The two GEMMs run as one pool of blocks (same bits as one after the other): with Q, K, V and the attention
    // output, dweight is three large blocks that two threads could not share evenly on their own.
    var calls: [GemmArguments<T>] = []
    if let dinp {
        calls.append(GemmArguments(.none, .none, m: n, n: c, k: oc, alpha: 1, a: dout, lda: oc, b: weight, ldb: c, beta: 1, c: dinp, ldc: c))
    }
    if let dweight {
        calls.append(GemmArguments(.transpose, .none, m: oc, n: c, k: n, alpha: 1, a: dout, lda: oc, b: inp, ldb: c, beta: 1, c: dweight, ldc: c))
    }
    T.gemms(calls)
    if let dbias { T.kernelSumRows(dout, dbias, rows: n, cols: oc) }
}

/// Tangent of `linearForward` (forward mode): tout (N, OC) = tinp · weightᵀ + inp · tweightᵀ + tbias, each term
/// skipped when its tangent is nil (all nil: tout = 0).
@inline(__always)
func linearTangent<T: BLASReal>(_ tout: UnsafeMutablePointer<T>, tinp: UnsafePointer<T>?, inp: UnsafePointer<T>,
                                weight: UnsafePointer<T>, tweight: UnsafePointer<T>?, tbias: UnsafePointer<T>?,
                                rows n: Int, inFeatures c: Int, outFeatures oc: Int) {
    var beta: T = 0
    if let tinp {
        T.gemm(.none, .transpose, m: n, n: oc, k: c, alpha: 1, a: tinp, lda: c, b: weight, ldb: c, beta: 0, c: tout, ldc: oc)
        beta = 1
    }
    if let tweight {
        T.gemm(.none, .transpose, m: n, n: oc, k: c, alpha: 1, a: inp, lda: c, b: tweight, ldb: c, beta: beta, c: tout, ldc: oc)
        beta = 1
    }
    if beta == 0 { memset(tout, 0, n * oc * MemoryLayout<T>.stride) }
    if let tbias { T.kernelAddRowVector(tout, tbias, rows: n, cols: oc) }
}

/// R-operator of `linearBackward` (Pearlmutter): the tangent of the backward pass, given dout and its tangent rdout,
/// inp and its tangent tinp, weight and its tangent tweight (nil tangents are zero):
/// rdinp (N, C) += rdout · weight + dout · tweight;  rdweight (OC, C) += rdoutᵀ · inp + doutᵀ · tinp;
/// rdbias (OC) += Σ_rows rdout. A nil output is skipped.
@inline(__always)
func linearBackwardR<T: BLASReal>(rdinp: UnsafeMutablePointer<T>?, rdweight: UnsafeMutablePointer<T>?, rdbias: UnsafeMutablePointer<T>?,
                                  dout: UnsafePointer<T>, rdout: UnsafePointer<T>, inp: UnsafePointer<T>, tinp: UnsafePointer<T>?,
                                  weight: UnsafePointer<T>, tweight: UnsafePointer<T>?,
                                  rows n: Int, inFeatures c: Int, outFeatures oc: Int) {
    if let rdinp {
        T.gemm(.none, .none, m: n, n: c, k: oc, alpha: 1, a: rdout, lda: oc, b: weight, ldb: c, beta: 1, c: rdinp, ldc: c)
        if let tweight {
            T.gemm(.none, .none, m: n, n: c, k: oc, alpha: 1, a: dout, lda: oc, b: tweight, ldb: c, beta: 1, c: rdinp, ldc: c)
        }
    }
    if let rdweight {
        T.gemm(.transpose, .none, m: oc, n: c, k: n, alpha: 1, a: rdout, lda: oc, b: inp, ldb: c, beta: 1, c: rdweight, ldc: c)
        if let tinp {
            T.gemm(.transpose, .none, m: oc, n: c, k: n, alpha: 1, a: dout, lda: oc, b: tinp, ldb: c, beta: 1, c: rdweight, ldc: c)
        }
    }
    if let rdbias { T.kernelSumRows(rdout, rdbias, rows: n, cols: oc) }
}
