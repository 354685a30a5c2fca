import Numerics

/// D·A·D for a symmetric operator A and a diagonal D = diag(d): the curvature in coordinates u = D⁻¹w, whose unit
/// step moves weight i by dᵢ. Symmetric again, so every algorithm runs on it unchanged; its eigenvalues are those of
/// A only where D is a multiple of the identity. Zero entries are allowed here (they project those coordinates
/// out); the scale-invariant views refuse them with the tensor's name (`CurvatureScaling`).
public final class DiagonallyScaledOperator: LinearOperator {
    public let base: LinearOperator
    public let diagonal: [Double]
    public var dimension: Int { base.dimension }
    private let scaled: Buffer<Double>
    private var blockScaled = Buffer<Double>(count: 0)

    public init(_ base: LinearOperator, diagonal: [Double]) throws {
        guard diagonal.count == base.dimension else {
            throw CurvatureError.badRequest("a diagonal scaling needs \(base.dimension) entries, got \(diagonal.count)")
        }
        if let i = diagonal.firstIndex(where: { !$0.isFinite }) {
            throw CurvatureError.badScale("the diagonal scaling is not finite at entry \(i) (\(diagonal[i]))")
        }
        self.base = base
        self.diagonal = diagonal
        scaled = Buffer(count: base.dimension)
    }

    public func apply(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) throws {
        let n = dimension, s = scaled.pointer
        try diagonal.withUnsafeBufferPointer { dp in
            let d = dp.baseAddress!
            for i in 0..<n { s[i] = d[i] * x[i] }
            try base.apply(s, into: y)
            for i in 0..<n { y[i] *= d[i] }
        }
    }

    public var blockColumns: Int { base.blockColumns }

    /// D·A·D on k columns: the scaled block goes to the base operator's block apply.
    public func apply(block x: UnsafePointer<Double>, columns k: Int, into y: UnsafeMutablePointer<Double>) throws {
        let n = dimension
        guard k > 1 else { return try apply(x, into: y) }
        if blockScaled.count < k * n { blockScaled = Buffer(count: k * n) }
        let s = blockScaled.pointer
        try diagonal.withUnsafeBufferPointer { dp in
            let d = dp.baseAddress!
            for j in 0..<k { for i in 0..<n { s[j * n + i] = d[i] * x[j * n + i] } }
            try base.apply(block: s, columns: k, into: y)
            for j in 0..<k { for i in 0..<n { y[j * n + i] *= d[i] } }
        }
    }
}

extension LinearOperator {
    /// D·A·D with D = diag(`diagonal`).
    public func scaled(byDiagonal diagonal: [Double]) throws -> DiagonallyScaledOperator {
        try DiagonallyScaledOperator(self, diagonal: diagonal)
    }
}
