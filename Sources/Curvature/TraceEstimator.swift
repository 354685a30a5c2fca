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

    /// tr(A) ≈ mean of zᵀAz over `probes` Rademacher vectors z.
    public static func hutchinson(_ op: LinearOperator, probes: Int, seed: UInt64) throws -> TraceEstimate {
        guard probes >= 2 else { throw CurvatureError.badRequest("Hutchinson needs at least 2 probes for a standard error, got \(probes)") }
        let clock = Date()
        let n = op.dimension
        var rng = SeededRNG(seed: seed, stream: 0x7ACE)
        let z = Buffer<Double>(count: n), az = Buffer<Double>(count: n)
        var samples: [Double] = []
        for p in 0..<probes {
            rng.fillRademacher(z.pointer, count: n)
            try op.apply(z.pointer, into: az.pointer)
            let s = Double.dot(n: n, x: z.pointer, incx: 1, y: az.pointer, incy: 1)
            guard s.isFinite else { throw CurvatureError.nonFinite(what: "zᵀAz of probe \(p)", batch: nil) }
            samples.append(s)
        }
        let (mean, se) = meanAndStandardError(samples)
        return TraceEstimate(estimator: .hutchinson, estimate: mean, standardError: se, probes: probes, matvecs: probes,
                             seconds: Date().timeIntervalSince(clock), lowRankPart: nil)
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
        let s = Buffer<Double>(count: n), a = Buffer<Double>(count: n)
        for _ in 0..<k {
            rng.fillRademacher(s.pointer, count: n)
            try op.apply(s.pointer, into: a.pointer)
            if q.count < rank {
                let before = Double.nrm2(n: n, x: a.pointer, incx: 1)
                for _ in 0..<2 { project(a.pointer, n, outOf: q) }
                if Double.nrm2(n: n, x: a.pointer, incx: 1) > 1e-10 * max(before, 1e-300), normalize(a.pointer, n) { q.append(a.array) }
            }
        }
        // tr(QᵀAQ)
        var lowRank = 0.0
        for u in q {
            let au = try op.apply(u)
            lowRank += zip(u, au).map(*).reduce(0, +)
        }
        // Residual probes: z ← (I − QQᵀ) g.
        var samples: [Double] = []
        let z = Buffer<Double>(count: n), az = Buffer<Double>(count: n)
        for p in 0..<k {
            rng.fillRademacher(z.pointer, count: n)
            project(z.pointer, n, outOf: q)
            try op.apply(z.pointer, into: az.pointer)
            let v = Double.dot(n: n, x: z.pointer, incx: 1, y: az.pointer, incy: 1)
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
