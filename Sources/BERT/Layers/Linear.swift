import Numerics

/// out (N, OC) = inp (N, C) · weightᵀ + bias;  weight (OC, C) as stored by PyTorch, bias (OC) optional.
@inline(__always)
func linearForward<T: BLASReal>(_ out: UnsafeMutablePointer<T>, _ inp: UnsafePointer<T>, _ weight: UnsafePointer<T>,
                                _ bias: UnsafePointer<T>?, rows n: Int, inFeatures c: Int, outFeatures oc: Int) {
    T.gemm(.none, .transpose, m: n, n: oc, k: c, alpha: 1, a: inp, lda: c, b: weight, ldb: c, beta: 0, c: out, ldc: oc)
    if let bias { T.kernelAddRowVector(out, bias, rows: n, cols: oc) }
}

/// dinp (N, C) += dout · weight;  dweight (OC, C) += doutᵀ · inp;  dbias (OC) += Σ_rows dout.
@inline(__always)
func linearBackward<T: BLASReal>(dinp: UnsafeMutablePointer<T>?, dweight: UnsafeMutablePointer<T>, dbias: UnsafeMutablePointer<T>?,
                                 dout: UnsafePointer<T>, inp: UnsafePointer<T>, weight: UnsafePointer<T>,
                                 rows n: Int, inFeatures c: Int, outFeatures oc: Int) {
    if let dinp {
        T.gemm(.none, .none, m: n, n: c, k: oc, alpha: 1, a: dout, lda: oc, b: weight, ldb: c, beta: 1, c: dinp, ldc: c)
    }
    T.gemm(.transpose, .none, m: oc, n: c, k: n, alpha: 1, a: dout, lda: oc, b: inp, ldb: c, beta: 1, c: dweight, ldc: c)
    if let dbias { T.kernelSumRows(dout, dbias, rows: n, cols: oc) }
}
