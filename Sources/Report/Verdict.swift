import Foundation

/// The verdict on one of the paper's claims, from its estimate over replicates (`ReplicateEstimate`): supported when
/// the t-interval lies above the claim's threshold, not supported when it lies below, inconclusive when it straddles
/// it; not judged when fewer than two replicates are left to judge by (a one-replicate run, or replicates whose
/// models learned nothing).
public enum Verdict: String, Sendable, CaseIterable {
    case supported
    case notSupported = "not supported"
    case inconclusive
    case notJudged = "not judged"

    public static func ruleText(confidence: Double) -> String {
        let pct = Estimate.percent(confidence)
        return """
            The replicate is a training run with its own seed (data order, dropout, quantizer state and its own probe draws); \
            each claim's statistic (oriented so that larger values support it) is computed once per replicate — directions, \
            batches and layers are averaged inside the replicate — and the estimate is the mean over replicates with its \
            two-sided \(pct) % t-interval (n − 1 degrees of freedom). **Supported**: the interval lies above the threshold; \
            **not supported**: below it; **inconclusive**: it contains the threshold; **not judged**: fewer than two \
            replicates to judge by (a one-replicate run, or replicates left out because a compared model did not learn). \
            "k of n" counts the replicates on the estimate's side of the threshold.
            """
    }
}

/// Means, spreads and paired log-ratios inside one replicate.
public enum Estimate {
    public static func mean(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.reduce(0, +) / Double(xs.count) }

    /// Sample standard deviation (n − 1); nil below two values.
    public static func standardDeviation(_ xs: [Double]) -> Double? {
        guard xs.count >= 2 else { return nil }
        let m = mean(xs)
        return (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)).squareRoot()
    }

    /// The mean of log(a/b) over the pairs where both are positive and finite (nan when none is).
    public static func meanLogRatio(_ pairs: [(Double, Double)]) -> Double {
        mean(pairs.filter { $0.0 > 0 && $0.1 > 0 && $0.0.isFinite && $0.1.isFinite }.map { log($0.0 / $0.1) })
    }

    /// "95" for 0.95, "99.5" for 0.995.
    public static func percent(_ p: Double) -> String {
        let v = p * 100
        return v == v.rounded() ? String(Int(v)) : String(format: "%g", v)
    }
}
