import Foundation

/// A base-2 logarithmic map from positive data values to pixels, over whole powers of two: the data's range widened
/// to the powers of two around it, labelled at powers of two (every k-th one when there are too many).
public struct Log2Scale: AxisScale, Equatable {
    /// The domain, both powers of two unless given.
    public let lower: Double
    public let upper: Double
    /// Exponent distance between labelled ticks (1: every power of two).
    public let stride: Int
    public let pixelStart: Double
    public let pixelEnd: Double

    /// `values` may hold NaN, infinities, zero and negatives (ignored: they have no place on the axis). `domain`, when
    /// given, replaces the data's range and must be positive.
    public init(covering values: [Double], pixels: (Double, Double), targetTicks: Int = 5, domain: (Double, Double)? = nil) {
        precondition(domain.map { $0.0 > 0 && $0.1 > 0 } ?? true, "a log2 axis needs a positive domain")
        let positive = values.filter { $0.isFinite && $0 > 0 }
        var lo = domain?.0 ?? positive.min() ?? 1
        var hi = domain?.1 ?? positive.max() ?? 2
        if lo > hi { swap(&lo, &hi) }
        if domain == nil {
            lo = exp2(log2(lo).rounded(.down))
            hi = exp2(log2(hi).rounded(.up))
            if lo == hi { lo /= 2; hi *= 2 }
        }
        let span = max(1, Int((log2(hi) - log2(lo)).rounded(.up)))
        self.lower = lo
        self.upper = hi
        self.stride = max(1, (span + max(1, targetTicks) - 1) / max(1, targetTicks))
        self.pixelStart = pixels.0
        self.pixelEnd = pixels.1
    }

    public func callAsFunction(_ value: Double) -> Double {
        pixelStart + (log2(value) - log2(lower)) / (log2(upper) - log2(lower)) * (pixelEnd - pixelStart)
    }

    /// Powers of two inside the domain whose exponent is a multiple of `stride`.
    public var ticks: [Double] {
        let first = Int((log2(lower) - 1e-9).rounded(.up)), last = Int((log2(upper) + 1e-9).rounded(.down))
        guard first <= last else { return [] }
        return (first...last).filter { $0 % stride == 0 }.map { exp2(Double($0)) }
    }

    /// "1", "32", "1024" for whole numbers; "0.5", "0.125" below one (exact: they are powers of two).
    public func label(_ value: Double) -> String {
        if value >= 1 && value < 1e15 { return String(format: "%.0f", value) }
        if value >= 1e-6 { return String(format: "%g", value) }
        return "2^\(Int(log2(value).rounded()))"
    }
}
