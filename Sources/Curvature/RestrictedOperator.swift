import BERT
import Numerics

/// The block P·A·Pᵀ of a symmetric operator A on a subset of its coordinates (P selects `ranges`, in their order):
/// the curvature of a sub-selection, e.g. one tensor's block of a multi-tensor operator. Each application embeds x
/// in A's space with zeros elsewhere, applies A and keeps the subset.
public final class RestrictedOperator: LinearOperator {
    public let base: LinearOperator
    public let ranges: [Range<Int>]
    public let dimension: Int
    private let full: Buffer<Double>, image: Buffer<Double>
    private var blockFull = Buffer<Double>(count: 0), blockImage = Buffer<Double>(count: 0)

    public init(_ base: LinearOperator, ranges: [Range<Int>]) throws {
        var seen = [Bool](repeating: false, count: base.dimension)
        for r in ranges {
            guard r.lowerBound >= 0, r.upperBound <= base.dimension, !r.isEmpty else {
                throw CurvatureError.badSelection("the restriction's range \(r) is empty or outside 0..<\(base.dimension)")
            }
            for i in r {
                guard !seen[i] else { throw CurvatureError.badSelection("the restriction's ranges overlap at coordinate \(i)") }
                seen[i] = true
            }
        }
        guard !ranges.isEmpty else { throw CurvatureError.badSelection("the restriction selects no coordinate") }
        self.base = base
        self.ranges = ranges
        dimension = ranges.reduce(0) { $0 + $1.count }
        full = Buffer(count: base.dimension)
        image = Buffer(count: base.dimension)
    }

    public func apply(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) throws {
        full.zero()
        var k = 0
        for r in ranges {
            (full.pointer + r.lowerBound).update(from: x + k, count: r.count)
            k += r.count
        }
        try base.apply(full.pointer, into: image.pointer)
        k = 0
        for r in ranges {
            (y + k).update(from: image.pointer + r.lowerBound, count: r.count)
            k += r.count
        }
    }

    public var blockColumns: Int { base.blockColumns }

    /// P·A·Pᵀ on k columns: the embedded block goes to the base operator's block apply.
    public func apply(block x: UnsafePointer<Double>, columns k: Int, into y: UnsafeMutablePointer<Double>) throws {
        guard k > 1 else { return try apply(x, into: y) }
        let n = dimension, m = base.dimension
        if blockFull.count < k * m { blockFull = Buffer(count: k * m); blockImage = Buffer(count: k * m) }
        blockFull.zero()
        for j in 0..<k {
            var at = 0
            for r in ranges {
                (blockFull.pointer + j * m + r.lowerBound).update(from: x + j * n + at, count: r.count)
                at += r.count
            }
        }
        try base.apply(block: blockFull.pointer, columns: k, into: blockImage.pointer)
        for j in 0..<k {
            var at = 0
            for r in ranges {
                (y + j * n + at).update(from: blockImage.pointer + j * m + r.lowerBound, count: r.count)
                at += r.count
            }
        }
    }
}

extension LinearOperator {
    /// P·A·Pᵀ on the coordinates in `ranges`.
    public func restricted(to ranges: [Range<Int>]) throws -> RestrictedOperator {
        try RestrictedOperator(self, ranges: ranges)
    }
}

/// Where each tensor of a selection lies in the concatenated vector of an operator over it (in the selection's order).
public func coordinateRanges(of selection: [ParameterView], names: [String]) throws -> [Range<Int>] {
    var start = 0
    var where_: [String: Range<Int>] = [:]
    for v in selection {
        where_[v.name] = start..<(start + v.count)
        start += v.count
    }
    return try names.map { name in
        guard let r = where_[name] else { throw CurvatureError.badSelection("\(name) is not among the operator's tensors") }
        return r
    }
}
