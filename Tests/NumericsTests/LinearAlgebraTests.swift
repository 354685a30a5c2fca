import XCTest
import Numerics

final class LinearAlgebraTests: XCTestCase {
    func testGemmAllTransposes() {
        // A (2,3), B (3,2): C = A·B
        let a: [Double] = [1, 2, 3, 4, 5, 6], b: [Double] = [7, 8, 9, 10, 11, 12]
        var c = [Double](repeating: 0, count: 4)
        Double.gemm(.none, .none, m: 2, n: 2, k: 3, alpha: 1, a: a, lda: 3, b: b, ldb: 2, beta: 0, c: &c, ldc: 2)
        XCTAssertEqual(c, [58, 64, 139, 154])
        // Aᵀ stored as (3,2), Bᵀ stored as (2,3)
        let at: [Double] = [1, 4, 2, 5, 3, 6], bt: [Double] = [7, 9, 11, 8, 10, 12]
        Double.gemm(.transpose, .transpose, m: 2, n: 2, k: 3, alpha: 1, a: at, lda: 2, b: bt, ldb: 3, beta: 0, c: &c, ldc: 2)
        XCTAssertEqual(c, [58, 64, 139, 154])
        var cf = [Float](repeating: 1, count: 4)
        Float.gemm(.none, .transpose, m: 2, n: 2, k: 3, alpha: 2, a: a.map(Float.init), lda: 3, b: bt.map(Float.init), ldb: 3,
                   beta: 1, c: &cf, ldc: 2)
        XCTAssertEqual(cf, [117, 129, 279, 309])
    }

    func testLevel1() {
        var y: [Double] = [1, 1, 1]
        Double.axpy(n: 3, alpha: 2, x: [1, 2, 3], incx: 1, y: &y, incy: 1)
        XCTAssertEqual(y, [3, 5, 7])
        XCTAssertEqual(Double.dot(n: 3, x: [1, 2, 3], incx: 1, y: y, incy: 1), 34)
        XCTAssertEqual(Double.nrm2(n: 2, x: [3, 4], incx: 1), 5, accuracy: 1e-15)
        Double.scal(n: 3, alpha: 0.5, x: &y, incx: 1)
        XCTAssertEqual(y, [1.5, 2.5, 3.5])
        var g = [Double](repeating: 0, count: 2)
        Double.gemv(.none, m: 2, n: 3, alpha: 1, a: [1, 2, 3, 4, 5, 6], lda: 3, x: [1, 1, 1], incx: 1, beta: 0, y: &g, incy: 1)
        XCTAssertEqual(g, [6, 15])
    }

    func testSymmetricEigen() throws {
        let a: [Double] = [2, 1, 0, 1, 2, 1, 0, 1, 2]
        let e = try LAPACK.symmetricEigen(a, n: 3)
        let r = 2.0.squareRoot()
        XCTAssertEqual(e.values[0], 2 - r, accuracy: 1e-12)
        XCTAssertEqual(e.values[1], 2, accuracy: 1e-12)
        XCTAssertEqual(e.values[2], 2 + r, accuracy: 1e-12)
        // A v = λ v for the top pair
        for i in 0..<3 {
            var av = 0.0
            for j in 0..<3 { av += a[i * 3 + j] * e.vector(2, component: j) }
            XCTAssertEqual(av, e.values[2] * e.vector(2, component: i), accuracy: 1e-12)
        }
    }

    func testTridiagonalEigenMatchesDense() throws {
        let d: [Double] = [4, 1, 3, 2, 5], off: [Double] = [1, -2, 0.5, 1.5]
        let t = try LAPACK.tridiagonalEigen(diagonal: d, offDiagonal: off)
        var dense = [Double](repeating: 0, count: 25)
        for i in 0..<5 { dense[i * 5 + i] = d[i] }
        for i in 0..<4 { dense[i * 5 + i + 1] = off[i]; dense[(i + 1) * 5 + i] = off[i] }
        let s = try LAPACK.symmetricEigen(dense, n: 5)
        for i in 0..<5 { XCTAssertEqual(t.values[i], s.values[i], accuracy: 1e-12) }
        // eigenvector columns have unit norm
        for j in 0..<5 {
            var nrm = 0.0
            for i in 0..<5 { nrm += t.vector(j, component: i) * t.vector(j, component: i) }
            XCTAssertEqual(nrm, 1, accuracy: 1e-12)
        }
        let f = try LAPACK.tridiagonalEigen(diagonal: d.map(Float.init), offDiagonal: off.map(Float.init))
        XCTAssertEqual(Double(f.values[4]), s.values[4], accuracy: 1e-5)
    }

    func testLAPACKErrorNamesRoutine() {
        XCTAssertEqual(LAPACKError.illegalArgument(routine: "dsyevr", index: -5).description, "dsyevr: argument 5 had an illegal value")
    }
}

final class ConversionKernelTests: XCTestCase {
    func testConversionsAndNonFiniteSearch() {
        let x: [Double] = [1.5, -2.25, 1e-40, 3]
        var f = [Float](repeating: 0, count: 4), back = [Double](repeating: 0, count: 4)
        Float.kernelFromDouble(x, &f, 4)
        Float.kernelToDouble(f, &back, 4)
        XCTAssertEqual(f, [1.5, -2.25, Float(1e-40), 3])
        XCTAssertEqual(back[0], 1.5)
        XCTAssertNil(Double.kernelFirstNonFinite(x, 4))
        for bad in [Double.nan, .infinity, -.infinity] {
            var y = x
            y[2] = bad
            XCTAssertEqual(Double.kernelFirstNonFinite(y, 4), 2)
        }
        XCTAssertNil(Float.kernelFirstNonFinite([Float.greatestFiniteMagnitude], 1))
        // The eight-lane scan and its tail: the first bad index wherever it lies, and none among huge finite values.
        for n in [7, 8, 9, 64, 1_003] {
            let big = [Float](repeating: .greatestFiniteMagnitude, count: n)
            XCTAssertNil(Float.kernelFirstNonFinite(big, n))
            for at in Set([0, n / 2, n - 1]) {
                for bad in [Float.nan, .infinity, -.infinity] {
                    var y = big
                    y[at] = bad
                    if at + 1 < n { y[n - 1] = .nan }
                    XCTAssertEqual(Float.kernelFirstNonFinite(y, n), at, "n \(n) at \(at)")
                    XCTAssertEqual(Double.kernelFirstNonFinite(y.map(Double.init), n), at, "n \(n) at \(at)")
                }
            }
        }
    }
}
