import CBLAS

extension Float: BLASReal {
    public static var dtypeName: String { "F32" }

    @inline(__always)
    public static func gemmCall(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float,
                                a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                                beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas, blasint(m), blasint(n), blasint(k), alpha,
                    a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    public static func gemv(_ trans: Transpose, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                            x: UnsafePointer<Float>, incx: Int, beta: Float, y: UnsafeMutablePointer<Float>, incy: Int) {
        cblas_sgemv(CblasRowMajor, trans.cblas, blasint(m), blasint(n), alpha, a, blasint(lda), x, blasint(incx),
                    beta, y, blasint(incy))
    }
    public static func axpy(n: Int, alpha: Float, x: UnsafePointer<Float>, incx: Int, y: UnsafeMutablePointer<Float>, incy: Int) {
        cblas_saxpy(blasint(n), alpha, x, blasint(incx), y, blasint(incy))
    }
    public static func dot(n: Int, x: UnsafePointer<Float>, incx: Int, y: UnsafePointer<Float>, incy: Int) -> Float {
        cblas_sdot(blasint(n), x, blasint(incx), y, blasint(incy))
    }
    public static func nrm2(n: Int, x: UnsafePointer<Float>, incx: Int) -> Float {
        cblas_snrm2(blasint(n), x, blasint(incx))
    }
    public static func scal(n: Int, alpha: Float, x: UnsafeMutablePointer<Float>, incx: Int) {
        cblas_sscal(blasint(n), alpha, x, blasint(incx))
    }

    public static func lapackSyevr(jobz: CChar, range: CChar, uplo: CChar, n: Int32, a: UnsafeMutablePointer<Float>, lda: Int32,
                                   vl: Float, vu: Float, il: Int32, iu: Int32, abstol: Float, m: UnsafeMutablePointer<Int32>,
                                   w: UnsafeMutablePointer<Float>, z: UnsafeMutablePointer<Float>?, ldz: Int32,
                                   isuppz: UnsafeMutablePointer<Int32>?) -> Int32 {
        LAPACKE_ssyevr(LAPACK_ROW_MAJOR, jobz, range, uplo, n, a, lda, vl, vu, il, iu, abstol, m, w, z, ldz, isuppz)
    }
    public static func lapackStemr(jobz: CChar, range: CChar, n: Int32, d: UnsafeMutablePointer<Float>, e: UnsafeMutablePointer<Float>,
                                   vl: Float, vu: Float, il: Int32, iu: Int32, m: UnsafeMutablePointer<Int32>,
                                   w: UnsafeMutablePointer<Float>, z: UnsafeMutablePointer<Float>?, ldz: Int32, nzc: Int32,
                                   isuppz: UnsafeMutablePointer<Int32>?, tryrac: UnsafeMutablePointer<Int32>) -> Int32 {
        LAPACKE_sstemr(LAPACK_ROW_MAJOR, jobz, range, n, d, e, vl, vu, il, iu, m, w, z, ldz, nzc, isuppz, tryrac)
    }

    @inline(__always) public static func elementaryExp(_ x: Float) -> Float { expFast(x) }
    @inline(__always) public static func elementaryErf(_ x: Float) -> Float { erfFast(x) }
    @inline(__always) public static func elementaryTanh(_ x: Float) -> Float { tanhFast(x) }
}
