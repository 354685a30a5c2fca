/// The arguments of one `gemm`: C (m,n) = alpha · op(A) (m,k) · op(B) (k,n) + beta · C, row-major.
public struct GemmArguments<T: BLASReal> {
    public var transA: Transpose, transB: Transpose
    public var m: Int, n: Int, k: Int
    public var alpha: T
    public var a: UnsafePointer<T>, lda: Int
    public var b: UnsafePointer<T>, ldb: Int
    public var beta: T
    public var c: UnsafeMutablePointer<T>, ldc: Int

    public init(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: T,
                a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int, beta: T, c: UnsafeMutablePointer<T>, ldc: Int) {
        self.transA = transA; self.transB = transB
        self.m = m; self.n = n; self.k = k
        self.alpha = alpha; self.a = a; self.lda = lda; self.b = b; self.ldb = ldb
        self.beta = beta; self.c = c; self.ldc = ldc
    }
}

extension BLASReal {
    /// GEMMs whose outputs do not overlap, run as one pool of `GemmSplitter` blocks: every output gets the bits of
    /// `gemm` on its own (each block is the same BLAS call), while the threads stay busy across the GEMMs — e.g. a
    /// linear layer's input gradient (many small blocks) beside its weight gradient (a few large ones).
    public static func gemms(_ calls: [GemmArguments<Self>]) {
        let plans = calls.map { GemmSplitter.Plan(m: $0.m, n: $0.n, k: $0.k) }
        GemmSplitter.runTogether(plans) { g, i in
            let x = calls[g]
            GemmSplitter.runBlock(plans[g], i, x.transA, x.transB, m: x.m, n: x.n, a: x.a, lda: x.lda, b: x.b, ldb: x.ldb,
                                  c: x.c, ldc: x.ldc) { m, n, a, b, c in
                gemmCall(x.transA, x.transB, m: m, n: n, k: x.k, alpha: x.alpha, a: a, lda: x.lda, b: b, ldb: x.ldb,
                         beta: x.beta, c: c, ldc: x.ldc)
            }
        }
    }
}
