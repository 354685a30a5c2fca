/// Failures reported by LAPACK (`info` ≠ 0) with the routine that failed.
public enum LAPACKError: Error, CustomStringConvertible, Equatable {
    case illegalArgument(routine: String, index: Int32)
    case failedToConverge(routine: String, info: Int32)

    public var description: String {
        switch self {
        case let .illegalArgument(routine, index):
            return "\(routine): argument \(-index) had an illegal value"
        case let .failedToConverge(routine, info):
            return "\(routine): internal error or failure to converge (info = \(info))"
        }
    }
}

/// Eigen-decomposition results: eigenvalues ascending; `vectors` row-major (n, count), column j pairs with values[j].
public struct SymmetricEigen<T: BLASReal> {
    public var values: [T]
    public var vectors: [T]
    public var dimension: Int
    public var count: Int { values.count }

    /// Component i of eigenvector j.
    public func vector(_ j: Int, component i: Int) -> T { vectors[i * count + j] }
}

public enum LAPACK {
    @inline(__always) static func check(_ info: Int32, _ routine: String) throws {
        if info < 0 { throw LAPACKError.illegalArgument(routine: routine, index: info) }
        if info > 0 { throw LAPACKError.failedToConverge(routine: routine, info: info) }
    }

    /// All eigenvalues (and optionally eigenvectors) of a symmetric matrix `a` (n, n), row-major (?syevr).
    public static func symmetricEigen<T: BLASReal>(_ a: [T], n: Int, vectors wantVectors: Bool = true) throws -> SymmetricEigen<T> {
        precondition(a.count == n * n, "symmetricEigen: matrix must be n*n")
        if n == 0 { return SymmetricEigen(values: [], vectors: [], dimension: 0) }
        var a = a
        var w = [T](repeating: 0, count: n)
        var z = [T](repeating: 0, count: wantVectors ? n * n : 1)
        var isuppz = [Int32](repeating: 0, count: 2 * n)
        var m: Int32 = 0
        let info = a.withUnsafeMutableBufferPointer { ap in
            w.withUnsafeMutableBufferPointer { wp in
                z.withUnsafeMutableBufferPointer { zp in
                    isuppz.withUnsafeMutableBufferPointer { ip in
                        T.lapackSyevr(jobz: wantVectors ? 86 : 78, range: 65, uplo: 85, n: Int32(n), a: ap.baseAddress!,
                                      lda: Int32(n), vl: 0, vu: 0, il: 0, iu: 0, abstol: 0, m: &m, w: wp.baseAddress!,
                                      z: zp.baseAddress!, ldz: Int32(wantVectors ? n : 1), isuppz: ip.baseAddress!)
                    }
                }
            }
        }
        try check(info, T.self == Float.self ? "ssyevr" : "dsyevr")
        return SymmetricEigen(values: Array(w.prefix(Int(m))), vectors: wantVectors ? z : [], dimension: n)
    }

    /// All eigenpairs of the symmetric tridiagonal matrix with diagonal `d` (n) and off-diagonal `e` (n−1) (?stemr).
    public static func tridiagonalEigen<T: BLASReal>(diagonal d: [T], offDiagonal e: [T], vectors wantVectors: Bool = true) throws -> SymmetricEigen<T> {
        let n = d.count
        precondition(e.count == max(0, n - 1), "tridiagonalEigen: off-diagonal must have n-1 entries")
        if n == 0 { return SymmetricEigen(values: [], vectors: [], dimension: 0) }
        var d = d
        var e = e + [0]  // ?stemr uses e[n-1] as workspace
        var w = [T](repeating: 0, count: n)
        var z = [T](repeating: 0, count: wantVectors ? n * n : 1)
        var isuppz = [Int32](repeating: 0, count: 2 * n)
        var m: Int32 = 0
        var tryrac: Int32 = 1
        let info = d.withUnsafeMutableBufferPointer { dp in
            e.withUnsafeMutableBufferPointer { ep in
                w.withUnsafeMutableBufferPointer { wp in
                    z.withUnsafeMutableBufferPointer { zp in
                        isuppz.withUnsafeMutableBufferPointer { ip in
                            T.lapackStemr(jobz: wantVectors ? 86 : 78, range: 65, n: Int32(n), d: dp.baseAddress!, e: ep.baseAddress!,
                                          vl: 0, vu: 0, il: 0, iu: 0, m: &m, w: wp.baseAddress!, z: zp.baseAddress!,
                                          ldz: Int32(wantVectors ? n : 1), nzc: Int32(n), isuppz: ip.baseAddress!, tryrac: &tryrac)
                        }
                    }
                }
            }
        }
        try check(info, T.self == Float.self ? "sstemr" : "dstemr")
        return SymmetricEigen(values: Array(w.prefix(Int(m))), vectors: wantVectors ? z : [], dimension: n)
    }
}
