import CBLAS
import Foundation

extension Double: BLASReal {
    public static var dtypeName: String { "F64" }

    @inline(__always)
    public static func gemmCall(_ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Double,
                                a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
                                beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int) {
        cblas_dgemm(CblasRowMajor, transA.cblas, transB.cblas, blasint(m), blasint(n), blasint(k), alpha,
                    a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }
    public static func gemv(_ trans: Transpose, m: Int, n: Int, alpha: Double, a: UnsafePointer<Double>, lda: Int,
                            x: UnsafePointer<Double>, incx: Int, beta: Double, y: UnsafeMutablePointer<Double>, incy: Int) {
        cblas_dgemv(CblasRowMajor, trans.cblas, blasint(m), blasint(n), alpha, a, blasint(lda), x, blasint(incx),
                    beta, y, blasint(incy))
    }
    public static func axpy(n: Int, alpha: Double, x: UnsafePointer<Double>, incx: Int, y: UnsafeMutablePointer<Double>, incy: Int) {
        cblas_daxpy(blasint(n), alpha, x, blasint(incx), y, blasint(incy))
    }
    public static func dot(n: Int, x: UnsafePointer<Double>, incx: Int, y: UnsafePointer<Double>, incy: Int) -> Double {
        cblas_ddot(blasint(n), x, blasint(incx), y, blasint(incy))
    }
    public static func nrm2(n: Int, x: UnsafePointer<Double>, incx: Int) -> Double {
        cblas_dnrm2(blasint(n), x, blasint(incx))
    }
    public static func scal(n: Int, alpha: Double, x: UnsafeMutablePointer<Double>, incx: Int) {
        cblas_dscal(blasint(n), alpha, x, blasint(incx))
    }

    public static func lapackSyevr(jobz: CChar, range: CChar, uplo: CChar, n: Int32, a: UnsafeMutablePointer<Double>, lda: Int32,
                                   vl: Double, vu: Double, il: Int32, iu: Int32, abstol: Double, m: UnsafeMutablePointer<Int32>,
                                   w: UnsafeMutablePointer<Double>, z: UnsafeMutablePointer<Double>?, ldz: Int32,
                                   isuppz: UnsafeMutablePointer<Int32>?) -> Int32 {
        LAPACKE_dsyevr(LAPACK_ROW_MAJOR, jobz, range, uplo, n, a, lda, vl, vu, il, iu, abstol, m, w, z, ldz, isuppz)
    }
    public static func lapackStemr(jobz: CChar, range: CChar, n: Int32, d: UnsafeMutablePointer<Double>, e: UnsafeMutablePointer<Double>,
                                   vl: Double, vu: Double, il: Int32, iu: Int32, m: UnsafeMutablePointer<Int32>,
                                   w: UnsafeMutablePointer<Double>, z: UnsafeMutablePointer<Double>?, ldz: Int32, nzc: Int32,
                                   isuppz: UnsafeMutablePointer<Int32>?, tryrac: UnsafeMutablePointer<Int32>) -> Int32 {
        LAPACKE_dstemr(LAPACK_ROW_MAJOR, jobz, range, n, d, e, vl, vu, il, iu, m, w, z, ldz, nzc, isuppz, tryrac)
    }

    @inline(__always) public static func elementaryExp(_ x: Double) -> Double { Foundation.exp(x) }
    @inline(__always) public static func elementaryErf(_ x: Double) -> Double { Foundation.erf(x) }
    @inline(__always) public static func elementaryTanh(_ x: Double) -> Double { Foundation.tanh(x) }
}
