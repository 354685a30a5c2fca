import Foundation

/// A base-2 logarithmic map from positive data values to pixels, over whole powers of two: the data's range widened
/// to the powers of two around it, labelled at powers of two (every k-th one when there are too many).
public struct Log2Scale: AxisScale, Equatable {
    /// The domain, both powers of two unless given.
    let axis: LogDomain
    public var lower: Double { axis.lower }
    public var upper: Double { axis.upper }
    /// Exponent distance between labelled ticks (1: every power of two).
    public var stride: Int { axis.stride }
    public let pixelStart: Double
    public let pixelEnd: Double

    /// `values` may hold NaN, infinities, zero and negatives (ignored: they have no place on the axis). `domain`, when
    /// given, replaces the data's range and must be positive.
    public init(covering values: [Double], pixels: (Double, Double), targetTicks: Int = 5, domain: (Double, Double)? = nil) {
        axis = LogDomain(values: values, domain: domain, targetTicks: targetTicks, unit: 2, log: log2, power: exp2)
        self.pixelStart = pixels.0
        self.pixelEnd = pixels.1
    }

    public func callAsFunction(_ value: Double) -> Double {
        axis.pixel(value, pixels: (pixelStart, pixelEnd), log: log2)
    }

    /// Powers of two inside the domain whose exponent is a multiple of `stride`.
    public var ticks: [Double] { axis.ticks(log: log2, power: exp2) }

    /// "1", "32", "1024" for whole numbers; "0.5", "0.125" below one (exact: they are powers of two).
    public func label(_ value: Double) -> String {
        if value >= 1 && value < 1e15 { return String(format: "%.0f", value) }
        if value >= 1e-6 { return String(format: "%g", value) }
        return "2^\(Int(log2(value).rounded()))"
    }
}
