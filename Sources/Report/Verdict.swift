import Foundation

/// The verdict on one of the paper's claims, from an estimate and its standard error by the rule stated in the
/// report: supported when the estimate exceeds the claim's threshold by more than two standard errors, not supported
/// when it falls short by more than two, inconclusive otherwise (or when there is no spread to judge by).
public enum Verdict: String, Sendable, CaseIterable {
    case supported
    case notSupported = "not supported"
    case inconclusive

    /// `estimate` against `threshold` in the claim's direction (larger supports it).
    public static func rule(estimate: Double, standardError: Double?, threshold: Double = 0) -> Verdict {
        guard estimate.isFinite, let se = standardError, se.isFinite, se >= 0 else { return .inconclusive }
        if estimate - 2 * se > threshold { return .supported }
        if estimate + 2 * se < threshold { return .notSupported }
        return .inconclusive
    }

    /// A claim made of several parts (e.g. one per module kind): supported when a majority is supported and none
    /// contradicts it, not supported when a majority contradicts it and none supports it, inconclusive otherwise.
    public static func majority(_ parts: [Verdict]) -> Verdict {
        let yes = parts.filter { $0 == .supported }.count, no = parts.filter { $0 == .notSupported }.count
        if yes * 2 > parts.count && no == 0 { return .supported }
        if no * 2 > parts.count && yes == 0 { return .notSupported }
        return .inconclusive
    }

    public static let ruleText = """
        A claim's statistic is oriented so that larger values support it. **Supported**: estimate − 2·SE > threshold; \
        **not supported**: estimate + 2·SE < threshold; **inconclusive**: otherwise, or with no spread to judge by \
        (a single seed or direction). A claim with parts (module kinds, blocks) takes the majority when no part \
        contradicts it.
        """
}

/// Means, spreads and paired log-ratios as the report computes them.
public enum Estimate {
    public static func mean(_ xs: [Double]) -> Double { xs.isEmpty ? .nan : xs.reduce(0, +) / Double(xs.count) }

    /// Sample standard deviation (n − 1); nil below two values.
    public static func standardDeviation(_ xs: [Double]) -> Double? {
        guard xs.count >= 2 else { return nil }
        let m = mean(xs)
        return (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)).squareRoot()
    }

    /// Standard error of the mean; nil below two values.
    public static func standardError(_ xs: [Double]) -> Double? { standardDeviation(xs).map { $0 / Double(xs.count).squareRoot() } }

    /// Binomial standard error of an accuracy p measured on n examples.
    public static func binomialError(_ p: Double, n: Double) -> Double { n > 0 ? (p * (1 - p) / n).squareRoot() : .nan }

    /// The geometric-mean ratio of paired positive values and its ±2 SE interval on the log scale.
    public struct Ratio: Sendable {
        public var logMean: Double
        public var logStandardError: Double?
        public var pairs: Int
        public var ratio: Double { exp(logMean) }
        public var low: Double? { logStandardError.map { exp(logMean - 2 * $0) } }
        public var high: Double? { logStandardError.map { exp(logMean + 2 * $0) } }
    }

    /// log(a/b) over the pairs where both are positive and finite.
    public static func pairedRatio(_ pairs: [(Double, Double)]) -> Ratio {
        let logs = pairs.filter { $0.0 > 0 && $0.1 > 0 && $0.0.isFinite && $0.1.isFinite }.map { log($0.0 / $0.1) }
        return Ratio(logMean: mean(logs), logStandardError: standardError(logs), pairs: logs.count)
    }
}
