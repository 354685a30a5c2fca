import Numerics

/// Σ cₖ·Aₖ over symmetric operators of one dimension: sums and scalar multiples (one term). Each application costs
/// one matvec of every term.
public final class LinearCombination: LinearOperator {
    public let terms: [(coefficient: Double, operator: LinearOperator)]
    public let dimension: Int
    private let image: Buffer<Double>
    private var blockImage = Buffer<Double>(count: 0)

    public init(_ terms: [(coefficient: Double, operator: LinearOperator)]) throws {
        guard let first = terms.first else { throw CurvatureError.badRequest("a linear combination needs at least one operator") }
        for (c, op) in terms {
            guard op.dimension == first.operator.dimension else {
                throw CurvatureError.badRequest("operators of dimensions \(first.operator.dimension) and \(op.dimension) cannot be added")
            }
            guard c.isFinite else { throw CurvatureError.badRequest("a linear combination's coefficient must be finite, got \(c)") }
        }
        self.terms = terms
        dimension = first.operator.dimension
        image = Buffer(count: dimension)
    }

    public func apply(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) throws {
        let n = dimension
        for (k, term) in terms.enumerated() {
            if k == 0 {
                try term.operator.apply(x, into: y)
                if term.coefficient != 1 { Double.scal(n: n, alpha: term.coefficient, x: y, incx: 1) }
            } else {
                try term.operator.apply(x, into: image.pointer)
                Double.axpy(n: n, alpha: term.coefficient, x: image.pointer, incx: 1, y: y, incy: 1)
            }
        }
    }

    /// The smallest of the terms' (each term's block apply runs in turn and holds its own workspace).
    public var blockColumns: Int { terms.map(\.operator.blockColumns).min() ?? 1 }

    /// Σ cₖ·Aₖ on k columns: each term's block apply, combined column by column as `apply` does.
    public func apply(block x: UnsafePointer<Double>, columns k: Int, into y: UnsafeMutablePointer<Double>) throws {
        guard k > 1 else { return try apply(x, into: y) }
        let n = dimension
        if blockImage.count < k * n { blockImage = Buffer(count: k * n) }
        for (t, term) in terms.enumerated() {
            if t == 0 {
                try term.operator.apply(block: x, columns: k, into: y)
                if term.coefficient != 1 { Double.scal(n: k * n, alpha: term.coefficient, x: y, incx: 1) }
            } else {
                try term.operator.apply(block: x, columns: k, into: blockImage.pointer)
                Double.axpy(n: k * n, alpha: term.coefficient, x: blockImage.pointer, incx: 1, y: y, incy: 1)
            }
        }
    }
}

// Methods rather than operator overloads: a global `+` on existentials would enter every arithmetic expression's
// overload set in the modules that import this one.
extension LinearOperator {
    /// c·A.
    public func multiplied(by c: Double) throws -> LinearCombination { try LinearCombination([(c, self)]) }

    /// A + c·B (c = 1: the sum; c = −1: the difference).
    public func adding(_ other: LinearOperator, times c: Double = 1) throws -> LinearCombination {
        try LinearCombination([(1, self), (c, other)])
    }
}
