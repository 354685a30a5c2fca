import Foundation

/// A linear map from data values to pixels over a "nice" domain: the data's range widened to whole multiples of a
/// tick step of 1, 2 or 5 × 10^k (Heckbert's labelling), so the axis ends on labelled ticks.
public struct LinearScale: AxisScale, Equatable {
    public let lower: Double
    public let upper: Double
    public let step: Double
    public let pixelStart: Double
    public let pixelEnd: Double

    /// `values` may hold NaN and infinities (ignored); `pixels` runs from the pixel of `lower` to that of `upper`
    /// (for a y axis, bottom to top: a decreasing pair). `domain`, when given, replaces the data's range.
    public init(covering values: [Double], pixels: (Double, Double), targetTicks: Int = 5, domain: (Double, Double)? = nil) {
        let finite = values.filter(\.isFinite)
        var lo = domain?.0 ?? finite.min() ?? 0
        var hi = domain?.1 ?? finite.max() ?? 1
        if lo > hi { swap(&lo, &hi) }
        if lo == hi {
            // One value: a unit-wide (or 10%-wide) window around it.
            let half = lo == 0 ? 0.5 : abs(lo) * 0.05
            lo -= half; hi += half
        }
        // Halves keep the span finite for data near ±Double.greatestFiniteMagnitude (hi − lo itself would overflow).
        let step = LinearScale.niceStep((hi / 2 - lo / 2) / Double(max(1, targetTicks)) * 2)
        if domain == nil {
            let (wideLo, wideHi) = ((lo / step).rounded(.down) * step, (hi / step).rounded(.up) * step)
            if wideLo.isFinite { lo = wideLo }
            if wideHi.isFinite { hi = wideHi }
        }
        self.lower = lo
        self.upper = hi
        self.step = step
        self.pixelStart = pixels.0
        self.pixelEnd = pixels.1
    }

    /// The pixel of `value`.
    public func callAsFunction(_ value: Double) -> Double {
        pixelStart + (value / 2 - lower / 2) / (upper / 2 - lower / 2) * (pixelEnd - pixelStart)
    }

    /// The multiples of `step` inside the domain.
    public var ticks: [Double] {
        let first = (lower / step - 1e-9).rounded(.up), last = (upper / step + 1e-9).rounded(.down)
        // At most a few thousand ticks, and only indices an Int holds (a degenerate step must not trap here).
        guard first <= last, abs(first) < 1e15, abs(last) < 1e15, last - first <= 10_000 else { return [] }
        return (Int(first)...Int(last)).map { Double($0) * step }
    }

    /// A tick label with as many decimals as the step needs ("0.25" → 2, "5" → 0); no "-0".
    public func label(_ value: Double) -> String {
        let magnitude = max(abs(lower), abs(upper))
        if magnitude >= 1e6 || step < 1e-4 { return String(format: "%.3g", value) }
        let decimals = max(0, Int((-log10(step)).rounded(.up)))
        let text = String(format: "%.\(decimals)f", value)
        return Double(text) == 0 ? String(format: "%.\(decimals)f", 0.0) : text
    }

    /// The smallest of 1, 2, 5 × 10^k that is at least `rough`.
    static func niceStep(_ rough: Double) -> Double {
        guard rough.isFinite, rough > 0 else { return 1 }
        let exponent = log10(rough).rounded(.down)
        let base = pow(10, exponent)
        let fraction = rough / base
        let nice: Double = fraction <= 1 + 1e-9 ? 1 : fraction <= 2 + 1e-9 ? 2 : fraction <= 5 + 1e-9 ? 5 : 10
        return nice * base
    }
}
