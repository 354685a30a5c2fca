/// Linear warm-up from 0 to the peak over the first `warmupFraction` of the steps, then linear decay to 0,
/// with steps counted from 0 as in the original BERT code (the first step uses rate 0).
public struct LinearWarmupSchedule: Sendable, Equatable {
    public let peak: Double
    public let totalSteps: Int
    public let warmupFraction: Double

    public init(peak: Double, totalSteps: Int, warmupFraction: Double = 0.1) {
        self.peak = peak
        self.totalSteps = max(1, totalSteps)
        self.warmupFraction = warmupFraction
    }

    /// The learning rate for step t (0-based).
    public func rate(at t: Int) -> Double {
        let total = Double(totalSteps), warm = warmupFraction * total, s = Double(t)
        if s < warm { return peak * s / warm }
        return peak * max(0, (total - s) / max(total - warm, 1e-12))
    }
}
