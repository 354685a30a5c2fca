import Foundation

/// A base-10 logarithmic map from positive values to pixels over whole decades, labelled at powers of ten (every
/// k-th one when there are too many): spectral densities, eigenvalue magnitudes, losses over orders of magnitude.
public struct Log10Scale: AxisScale, Equatable {
    let axis: LogDomain
    public var lower: Double { axis.lower }
    public var upper: Double { axis.upper }
    /// Decades between labelled ticks.
    public var stride: Int { axis.stride }
    public let pixelStart: Double
    public let pixelEnd: Double

    /// Non-positive and non-finite values are ignored; `domain`, when given, must be positive.
    public init(covering values: [Double], pixels: (Double, Double), targetTicks: Int = 5, domain: (Double, Double)? = nil) {
        axis = LogDomain(values: values, domain: domain, targetTicks: targetTicks, unit: 10, log: log10, power: { pow(10, $0) })
        self.pixelStart = pixels.0
        self.pixelEnd = pixels.1
    }

    public func callAsFunction(_ value: Double) -> Double {
        axis.pixel(value, pixels: (pixelStart, pixelEnd), log: log10)
    }

    public var ticks: [Double] { axis.ticks(log: log10, power: { pow(10, $0) }) }

    /// "1", "10", "1000" up to 10⁴; "0.1", "0.01" down to 10⁻³; "1e-6", "1e+08" beyond.
    public func label(_ value: Double) -> String {
        let e = Int(log10(value).rounded())
        if (0...4).contains(e) { return String(format: "%.0f", value) }
        if (-3...(-1)).contains(e) { return String(format: "%.\(-e)f", value) }
        return String(format: "%.0e", value)
    }
}
