import Numerics

/// A symmetric linear operator on ℝⁿ in Double: the curvature algorithms (Lanczos, power iteration, trace and
/// density estimators) see nothing else. Applying it may throw (a model's objective can fail, e.g. on a non-finite
/// loss). Budgets and results count applications ("matvecs"; for a Hessian, Hessian-vector products).
///
/// A block apply multiplies k vectors at once (Y = A·X); an operator with a native block path (a model's curvature:
/// one forward and backward for all k, every weight GEMM with k times the rows) does it cheaper per vector than k
/// applications, and `blockColumns` says how many columns it takes at once within its memory budget (1: one at a
/// time, the default). The algorithms hand it groups of that many vectors; every column's result is what `apply`
/// gives it, so the algorithms' results do not depend on the block size (up to the last bits of a GEMM).
public protocol LinearOperator: AnyObject {
    var dimension: Int { get }
    /// y (n) = A · x (n); x and y do not overlap.
    func apply(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) throws
    /// Y (n × k) = A · X (n × k), column j at offset j·n of each; X and Y do not overlap. Default: k applications.
    func apply(block x: UnsafePointer<Double>, columns k: Int, into y: UnsafeMutablePointer<Double>) throws
    /// How many columns a block apply takes in one pass (≥ 1); algorithms group their vectors by it.
    var blockColumns: Int { get }
}

extension LinearOperator {
    public func apply(block x: UnsafePointer<Double>, columns k: Int, into y: UnsafeMutablePointer<Double>) throws {
        for j in 0..<k { try apply(x + j * dimension, into: y + j * dimension) }
    }

    public var blockColumns: Int { 1 }

    /// A applied to a block of vectors given as arrays (each of `dimension` entries), in groups of `blockColumns`.
    public func apply(columns xs: [[Double]]) throws -> [[Double]] {
        let n = dimension, k = xs.count
        guard k > 0 else { return [] }
        let x = Buffer<Double>(count: n * k), y = Buffer<Double>(count: n * k)
        for (j, v) in xs.enumerated() {
            precondition(v.count == n, "apply: \(v.count) values for an operator of dimension \(n)")
            (x.pointer + j * n).update(from: v, count: n)
        }
        try apply(block: x.pointer, columns: k, into: y.pointer)
        return (0..<k).map { Array(UnsafeBufferPointer(start: y.pointer + $0 * n, count: n)) }
    }

    /// A applied to a vector given as an array (convenience for tests and small problems).
    public func apply(_ x: [Double]) throws -> [Double] {
        precondition(x.count == dimension, "apply: \(x.count) values for an operator of dimension \(dimension)")
        var y = [Double](repeating: 0, count: dimension)
        try x.withUnsafeBufferPointer { xp in try y.withUnsafeMutableBufferPointer { try apply(xp.baseAddress!, into: $0.baseAddress!) } }
        return y
    }

    /// Refuses an operator that is not a fixed function: two applications to the same seeded vector must agree to
    /// the last bit (dropout, shuffled batches or a quantizer that moved between calls would break this). Costs two
    /// matvecs.
    public func checkFixed(seed: UInt64) throws {
        var rng = SeededRNG(seed: seed, stream: 0xF12ED)
        let x = Buffer<Double>(count: dimension), y1 = Buffer<Double>(count: dimension), y2 = Buffer<Double>(count: dimension)
        rng.fillNormal(x.pointer, count: dimension)
        try apply(x.pointer, into: y1.pointer)
        try apply(x.pointer, into: y2.pointer)
        for i in 0..<dimension where y1[i].bitPattern != y2[i].bitPattern {
            throw CurvatureError.operatorNotFixed(index: i, first: y1[i], second: y2[i])
        }
    }
}

/// A dense symmetric matrix (n, n), row-major: for tests and small checks.
public final class DenseOperator: LinearOperator {
    public let dimension: Int
    public let matrix: [Double]

    public init(_ matrix: [Double], dimension n: Int) {
        precondition(matrix.count == n * n, "DenseOperator: \(matrix.count) entries for \(n)×\(n)")
        self.matrix = matrix
        dimension = n
    }

    public func apply(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) throws {
        matrix.withUnsafeBufferPointer { a in
            Double.gemv(.none, m: dimension, n: dimension, alpha: 1, a: a.baseAddress!, lda: dimension, x: x, incx: 1,
                        beta: 0, y: y, incy: 1)
        }
    }

    /// The operator's matrix built column by column from any operator (n matvecs): a dense oracle for small n.
    public static func materialize(_ op: LinearOperator) throws -> DenseOperator {
        let n = op.dimension
        var m = [Double](repeating: 0, count: n * n)
        let e = Buffer<Double>(count: n), col = Buffer<Double>(count: n)
        for j in 0..<n {
            e.zero(); e[j] = 1
            try op.apply(e.pointer, into: col.pointer)
            for i in 0..<n { m[i * n + j] = col[i] }
        }
        return DenseOperator(m, dimension: n)
    }
}

/// The Hessian of a split (TWS) model with respect to the pair of halves (ŵ₁, ŵ₂): the forward depends on ŵ₁ + ŵ₂
/// only, so this is [[H, H], [H, H]] with H the Hessian in the effective weights ŵ = ŵ₁ + ŵ₂. Its non-zero
/// eigenvalues are 2λ for every eigenvalue λ of H (eigenvectors (u, u)/√2), and the other half are 0: a split model
/// looks twice as sharp in this space. Offered as an explicit choice; the effective weights are the default.
public final class SplitPairOperator: LinearOperator {
    public let effective: LinearOperator
    public var dimension: Int { 2 * effective.dimension }
    private let sum: Buffer<Double>, product: Buffer<Double>

    public init(effective: LinearOperator) {
        self.effective = effective
        sum = Buffer(count: effective.dimension)
        product = Buffer(count: effective.dimension)
    }

    public func apply(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) throws {
        let n = effective.dimension
        for i in 0..<n { sum[i] = x[i] + x[n + i] }
        try effective.apply(sum.pointer, into: product.pointer)
        (y).update(from: product.pointer, count: n)
        (y + n).update(from: product.pointer, count: n)
    }
}
