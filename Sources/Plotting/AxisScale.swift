/// A map from data values to pixels with labelled ticks: what a chart needs of an axis.
public protocol AxisScale: Sendable {
    /// The pixel of `value`.
    func callAsFunction(_ value: Double) -> Double
    /// The labelled tick values inside the domain, ascending.
    var ticks: [Double] { get }
    /// A tick's label.
    func label(_ value: Double) -> String
    /// The pixels of the domain's lower and upper ends.
    var pixelStart: Double { get }
    var pixelEnd: Double { get }
}

/// How an axis spaces its values.
public enum AxisSpacing: String, Sendable, CaseIterable {
    /// Equal differences, equal distances (`LinearScale`).
    case linear
    /// Equal ratios, equal distances, ticks at powers of two (`Log2Scale`; positive values only): bit widths,
    /// batch sizes, widths.
    case log2
    /// Equal ratios, ticks at powers of ten (`Log10Scale`; positive values only): densities, magnitudes.
    case log10

    /// The scale of this spacing over `values`.
    func scale(covering values: [Double], pixels: (Double, Double), targetTicks: Int, domain: (Double, Double)?) -> any AxisScale {
        switch self {
        case .linear: return LinearScale(covering: values, pixels: pixels, targetTicks: targetTicks, domain: domain)
        case .log2: return Log2Scale(covering: values, pixels: pixels, targetTicks: targetTicks, domain: domain)
        case .log10: return Log10Scale(covering: values, pixels: pixels, targetTicks: targetTicks, domain: domain)
        }
    }
}
