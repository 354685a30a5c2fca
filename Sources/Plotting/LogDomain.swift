import Foundation

/// The domain and ticks of a logarithmic axis in base b, shared by `Log2Scale` and `Log10Scale`: the data's positive
/// range widened to whole powers of b, labelled every `stride`-th power so that about `targetTicks` labels show.
struct LogDomain: Equatable, Sendable {
    let lower: Double, upper: Double, stride: Int

    /// `log` and `power` are the base's logarithm and its inverse; `unit` the default range's upper end (lower 1).
    init(values: [Double], domain: (Double, Double)?, targetTicks: Int, unit: Double,
         log: (Double) -> Double, power: (Double) -> Double) {
        precondition(domain.map { $0.0 > 0 && $0.1 > 0 } ?? true, "a logarithmic axis needs a positive domain")
        let positive = values.filter { $0.isFinite && $0 > 0 }
        var lo = domain?.0 ?? positive.min() ?? 1
        var hi = domain?.1 ?? positive.max() ?? unit
        if lo > hi { swap(&lo, &hi) }
        if domain == nil {
            lo = power(log(lo).rounded(.down))
            hi = power(log(hi).rounded(.up))
            if lo == hi { lo /= unit; hi *= unit }
        }
        let span = max(1, Int((log(hi) - log(lo)).rounded(.up)))
        lower = lo
        upper = hi
        stride = max(1, (span + max(1, targetTicks) - 1) / max(1, targetTicks))
    }

    /// The pixel of `value` on an axis from `pixels.0` (at lower) to `pixels.1` (at upper).
    func pixel(_ value: Double, pixels: (Double, Double), log: (Double) -> Double) -> Double {
        pixels.0 + (log(value) - log(lower)) / (log(upper) - log(lower)) * (pixels.1 - pixels.0)
    }

    /// Powers of the base inside [lower, upper] whose exponent is a multiple of `stride`.
    func ticks(log: (Double) -> Double, power: (Double) -> Double) -> [Double] {
        let first = Int((log(lower) - 1e-9).rounded(.up)), last = Int((log(upper) + 1e-9).rounded(.down))
        guard first <= last else { return [] }
        return (first...last).filter { $0 % stride == 0 }.map { power(Double($0)) }
    }
}
