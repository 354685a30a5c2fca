import Foundation

/// A logarithmic map from positive values to pixels in base 2 or 10 over whole powers of the base: the data's positive
/// range widened to the powers around it, labelled at powers of the base (every `stride`-th one when there are too
/// many). Base 2 for bit widths, batch sizes and widths; base 10 for densities, ratios and magnitudes.
public struct LogScale: AxisScale, Equatable {
    public let base: Double
    /// The domain, both powers of the base unless given.
    public let lower: Double
    public let upper: Double
    /// Exponent distance between labelled ticks (1: every power).
    public let stride: Int
    public let pixelStart: Double
    public let pixelEnd: Double

    /// `values` may hold NaN, infinities, zero and negatives (ignored: they have no place on the axis). `domain`, when
    /// given, replaces the data's range and must be positive; `base` is 2 or 10 (anything above 1 works, labelled as 10).
    public init(base: Double, covering values: [Double], pixels: (Double, Double), targetTicks: Int = 5, domain: (Double, Double)? = nil) {
        precondition(base > 1 && base.isFinite, "a logarithmic axis needs a base above 1")
        precondition(domain.map { $0.0 > 0 && $0.1 > 0 } ?? true, "a logarithmic axis needs a positive domain")
        self.base = base
        let log = { (x: Double) in LogScale.exponent(x, base: base) }
        let positive = values.filter { $0.isFinite && $0 > 0 }
        var lo = domain?.0 ?? positive.min() ?? 1
        var hi = domain?.1 ?? positive.max() ?? base
        if lo > hi { swap(&lo, &hi) }
        if domain == nil {
            lo = pow(base, log(lo).rounded(.down))
            hi = pow(base, log(hi).rounded(.up))
            if lo == hi { lo /= base; hi *= base }
        }
        let span = max(1, Int((log(hi) - log(lo)).rounded(.up)))
        lower = lo
        upper = hi
        stride = max(1, (span + max(1, targetTicks) - 1) / max(1, targetTicks))
        pixelStart = pixels.0
        pixelEnd = pixels.1
    }

    /// The exponent of `value` in `base` (exact for powers of 2 and 10, so the domain never widens by a rounding).
    static func exponent(_ value: Double, base: Double) -> Double {
        base == 2 ? log2(value) : base == 10 ? log10(value) : log(value) / log(base)
    }

    func exponent(_ value: Double) -> Double { LogScale.exponent(value, base: base) }

    public func callAsFunction(_ value: Double) -> Double {
        pixelStart + (exponent(value) - exponent(lower)) / (exponent(upper) - exponent(lower)) * (pixelEnd - pixelStart)
    }

    /// Powers of the base inside the domain whose exponent is a multiple of `stride`.
    public var ticks: [Double] {
        let first = Int((exponent(lower) - 1e-9).rounded(.up)), last = Int((exponent(upper) + 1e-9).rounded(.down))
        guard first <= last else { return [] }
        return (first...last).filter { $0 % stride == 0 }.map { pow(base, Double($0)) }
    }

    /// Base 2: "1", "32", "1024" for whole numbers, "0.5", "0.125" below one (exact: powers of two), "2^-30" beyond.
    /// Base 10: "1", "10", "1000" up to 10⁴; "0.1", "0.01" down to 10⁻³; "1e-06", "1e+08" beyond.
    public func label(_ value: Double) -> String {
        if base == 2 {
            if value >= 1 && value < 1e15 { return String(format: "%.0f", value) }
            if value >= 1e-6 { return String(format: "%g", value) }
            return "2^\(Int(log2(value).rounded()))"
        }
        let e = Int(log10(value).rounded())
        if (0...4).contains(e) { return String(format: "%.0f", value) }
        if (-3...(-1)).contains(e) { return String(format: "%.\(-e)f", value) }
        return String(format: "%.0e", value)
    }
}
