import Foundation
import Numerics
import Storage

/// A stochastic estimate of tr(A) with its standard error.
public struct TraceEstimate: Codable, Sendable {
    public var estimator: TraceEstimator.Method
    public var estimate: Double
    /// Standard error of `estimate` (Hutchinson: sample std / √probes; Hutch++: that of its residual part, the
    /// low-rank part being exact given its sketch).
    public var standardError: Double
    public var probes: Int
    public var matvecs: Int
    public var seconds: Double
    /// Hutch++: tr(QᵀAQ) of the sketch (the rest is the Hutchinson estimate of the deflated residual).
    public var lowRankPart: Double?

    enum CodingKeys: String, CodingKey {
        case estimator, estimate, standardError = "standard_error", probes, matvecs, seconds, lowRankPart = "low_rank_part"
    }
}

/// Hutchinson (Rademacher probes) and Hutch++ (Meyer, Musco, Musco & Woodruff 2021) trace estimators. Both take a
/// budget in matvecs; for a spectrum that decays, Hutch++ has the smaller error at equal matvecs.
public enum TraceEstimator {
    public enum Method: String, Codable, Sendable, CaseIterable {
        case hutchinson
        case hutchpp
    }

    public static func estimate(_ op: LinearOperator, method: Method, matvecs budget: Int, seed: UInt64) throws -> TraceEstimate {
        switch method {
        case .hutchinson: return try hutchinson(op, probes: budget, seed: seed)
        case .hutchpp: return try hutchPlusPlus(op, matvecs: budget, seed: seed)
        }
    }

    /// tr(A) ≈ mean of zᵀAz over `probes` Rademacher vectors z, applied in blocks of the operator's `blockColumns`
    /// (the probes are drawn in the same order whatever the block size).
    public static func hutchinson(_ op: LinearOperator, probes: Int, seed: UInt64) throws -> TraceEstimate {
        guard probes >= 2 else { throw CurvatureError.badRequest("Hutchinson needs at least 2 probes for a standard error, got \(probes)") }
        let clock = Date()
        let n = op.dimension
        var rng = SeededRNG(seed: seed, stream: 0x7ACE)
        var samples: [Double] = []
        try forEachBlock(op, count: probes, fill: { z, _ in rng.fillRademacher(z, count: n) }) { p, z, az in
            let s = Double.dot(n: n, x: z, incx: 1, y: az, incy: 1)
            guard s.isFinite else { throw CurvatureError.nonFinite(what: "zᵀAz of probe \(p)", batch: nil) }
            samples.append(s)
        }
        let (mean, se) = meanAndStandardError(samples)
        return TraceEstimate(estimator: .hutchinson, estimate: mean, standardError: se, probes: probes, matvecs: probes,
                             seconds: Date().timeIntervalSince(clock), lowRankPart: nil)
    }

    /// Applies `op` to `count` vectors in blocks of its `blockColumns`: `fill(x, i)` writes vector i (in order), then
    /// `use(i, x, Ax)` sees each product in order.
    static func forEachBlock(_ op: LinearOperator, count: Int, fill: (UnsafeMutablePointer<Double>, Int) throws -> Void,
                             use: (Int, UnsafeMutablePointer<Double>, UnsafePointer<Double>) throws -> Void) throws {
        let n = op.dimension, g = max(1, min(op.blockColumns, count))
        let x = Buffer<Double>(count: g * n), ax = Buffer<Double>(count: g * n)
        var done = 0
        while done < count {
            let m = min(g, count - done)
            for j in 0..<m { try fill(x.pointer + j * n, done + j) }
            try op.apply(block: x.pointer, columns: m, into: ax.pointer)
            for j in 0..<m { try use(done + j, x.pointer + j * n, ax.pointer + j * n) }
            done += m
        }
    }

    /// Refuses a Hutch++ sketch (m/3 vectors of `dimension` entries) that the machine cannot hold.
    public static func requireHutchPlusPlusMemory(dimension n: Int, matvecs m: Int,
                                                  advice: String = "ask for fewer trace probes or a smaller parameter selection") throws {
        let rank = min(m / 3, n)
        try MemoryBudget.require(MemoryBudget.product(rank + 4, n, MemoryLayout<Double>.stride),
                                 for: "The Hutch++ sketch (\(rank) vectors of \(n) entries)", advice: advice)
    }

    /// Hutch++ with m matvecs (m divisible by 3 is used; at least 6): S (n × m/3) Rademacher, Q = orth(AS),
    /// tr ≈ tr(QᵀAQ) + Hutchinson on (I − QQᵀ)A(I − QQᵀ) with m/3 more probes.
    public static func hutchPlusPlus(_ op: LinearOperator, matvecs m: Int, seed: UInt64) throws -> TraceEstimate {
        let k = m / 3
        guard k >= 2 else { throw CurvatureError.badRequest("Hutch++ needs at least 6 matvecs (3 groups of 2), got \(m)") }
        let clock = Date()
        let n = op.dimension
        var rng = SeededRNG(seed: seed, stream: 0x7ACE_2)
        let rank = min(k, n)
        try requireHutchPlusPlusMemory(dimension: n, matvecs: m)
        // Sketch AS and orthonormalize it (modified Gram–Schmidt, two passes; dependent columns dropped).
        var q: [[Double]] = []
        try forEachBlock(op, count: k, fill: { s, _ in rng.fillRademacher(s, count: n) }) { _, _, a in
            guard q.count < rank else { return }
            let v = Buffer<Double>(count: n)
            v.pointer.update(from: a, count: n)
            let before = Double.nrm2(n: n, x: v.pointer, incx: 1)
            for _ in 0..<2 { project(v.pointer, n, outOf: q) }
            if Double.nrm2(n: n, x: v.pointer, incx: 1) > 1e-10 * max(before, 1e-300), normalize(v.pointer, n) { q.append(v.array) }
        }
        // tr(QᵀAQ)
        var lowRank = 0.0
        try forEachBlock(op, count: q.count, fill: { u, i in u.update(from: q[i], count: n) }) { _, u, au in
            lowRank += (0..<n).map { u[$0] * au[$0] }.reduce(0, +)
        }
        // Residual probes: z ← (I − QQᵀ) g.
        var samples: [Double] = []
        try forEachBlock(op, count: k, fill: { z, _ in
            rng.fillRademacher(z, count: n)
            project(z, n, outOf: q)
        }) { p, z, az in
            let v = Double.dot(n: n, x: z, incx: 1, y: az, incy: 1)
            guard v.isFinite else { throw CurvatureError.nonFinite(what: "residual probe \(p) of Hutch++", batch: nil) }
            samples.append(v)
        }
        let (mean, se) = meanAndStandardError(samples)
        return TraceEstimate(estimator: .hutchpp, estimate: lowRank + mean, standardError: se, probes: k, matvecs: k + q.count + k,
                             seconds: Date().timeIntervalSince(clock), lowRankPart: lowRank)
    }
}

/// Sample mean and its standard error (sample std with n − 1, over √n).
func meanAndStandardError(_ x: [Double]) -> (Double, Double) {
    let n = Double(x.count)
    let mean = x.reduce(0, +) / n
    guard x.count > 1 else { return (mean, .nan) }
    let variance = x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)
    return (mean, (variance / n).squareRoot())
}
