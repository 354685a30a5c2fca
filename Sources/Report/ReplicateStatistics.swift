import Foundation

/// Student's t distribution, for intervals over a handful of replicates (the t-quantile at n − 1 degrees of
/// freedom, not the normal 2).
public enum StudentT {
    /// P(T ≤ t) for `df` > 0 degrees of freedom.
    public static func cdf(_ t: Double, df: Double) -> Double {
        precondition(df > 0, "StudentT.cdf: df must be positive")
        guard t.isFinite else { return t.isNaN ? .nan : (t > 0 ? 1 : 0) }
        // P(|T| > |t|) = I_{ν/(ν+t²)}(ν/2, 1/2), the regularized incomplete beta function.
        let tail = 0.5 * IncompleteBeta.regularized(x: df / (df + t * t), a: df / 2, b: 0.5)
        return t >= 0 ? 1 - tail : tail
    }

    /// The `q`-quantile, 0 < q < 1 (q = 0.975 gives the two-sided 95 % multiplier).
    public static func quantile(_ q: Double, df: Double) -> Double {
        precondition(q > 0 && q < 1 && df > 0, "StudentT.quantile: 0 < q < 1 and df > 0")
        if q == 0.5 { return 0 }
        if q < 0.5 { return -quantile(1 - q, df: df) }
        // Closed forms where they exist, bisection on the CDF otherwise (monotone; 200 halvings reach the last bit).
        if df == 1 { return tan(Double.pi * (q - 0.5)) }
        if df == 2 { let a = 4 * q * (1 - q); return 2 * (q - 0.5) * (2 / a).squareRoot() }
        var lo = 0.0, hi = 1.0
        while cdf(hi, df: df) < q { hi *= 2 }
        for _ in 0..<200 {
            let mid = 0.5 * (lo + hi)
            if mid == lo || mid == hi { break }
            if cdf(mid, df: df) < q { lo = mid } else { hi = mid }
        }
        return 0.5 * (lo + hi)
    }
}

/// The regularized incomplete beta function I_x(a, b) by its continued fraction (modified Lentz), used where it
/// converges fast (x < (a + 1)/(a + b + 2)) and through the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) elsewhere.
enum IncompleteBeta {
    static func regularized(x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let lnBeta: Double = lgamma(a + b) - lgamma(a) - lgamma(b)
        let lnPowers: Double = a * log(x) + b * log(1 - x)
        let lnFront = lnBeta + lnPowers
        if x < (a + 1) / (a + b + 2) { return exp(lnFront) * fraction(x: x, a: a, b: b) / a }
        return 1 - exp(lnFront) * fraction(x: 1 - x, a: b, b: a) / b
    }

    static func fraction(x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...300 {
            let m = Double(m), m2 = 2 * m
            var aa = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d; h *= d * c
            aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            d = 1 + aa * d; if abs(d) < tiny { d = tiny }
            c = 1 + aa / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return h
    }
}

/// A claim's statistic over replicates (training runs with their own seeds): one value per replicate, their mean,
/// standard error and the two-sided t-interval at n − 1 degrees of freedom, and how many replicates lie on the
/// estimate's side of the threshold. Values from inside one run (directions, batches, layers) are averaged into that
/// run's value before they get here; they are never replicates.
public struct ReplicateEstimate: Sendable, Equatable {
    /// The replicates' values in replicate order (finite ones only; the others were not judged).
    public var values: [Double]
    public var threshold: Double
    /// Two-sided confidence level of the interval (0.95: the 97.5 % t-quantile).
    public var confidence: Double

    public init(values: [Double], threshold: Double = 0, confidence: Double = 0.95) {
        self.values = values.filter(\.isFinite)
        self.threshold = threshold
        self.confidence = confidence
    }

    public var count: Int { values.count }
    public var mean: Double { Estimate.mean(values) }
    public var degreesOfFreedom: Int { max(count - 1, 0) }

    /// Sample standard deviation (n − 1); nil below two replicates.
    public var standardDeviation: Double? { Estimate.standardDeviation(values) }

    public var standardError: Double? { standardDeviation.map { $0 / Double(count).squareRoot() } }
    /// The t multiplier of the interval; nil below two replicates.
    public var multiplier: Double? { count >= 2 ? StudentT.quantile(0.5 + confidence / 2, df: Double(count - 1)) : nil }
    public var low: Double? { standardError.flatMap { se in multiplier.map { mean - $0 * se } } }
    public var high: Double? { standardError.flatMap { se in multiplier.map { mean + $0 * se } } }

    /// Replicates on the same side of the threshold as the estimate ("k of n agree").
    public var agreeing: Int {
        let m = mean
        guard m.isFinite, m != threshold else { return 0 }
        return values.filter { m > threshold ? $0 > threshold : $0 < threshold }.count
    }

    /// Supported when the whole interval lies above the threshold, not supported when below, inconclusive when it
    /// straddles it; fewer than two replicates cannot be judged.
    public var verdict: Verdict {
        guard let low, let high else { return .notJudged }
        if low > threshold { return .supported }
        if high < threshold { return .notSupported }
        return .inconclusive
    }
}
