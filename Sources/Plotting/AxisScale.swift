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
    /// Equal ratios, equal distances, ticks at powers of two (`LogScale` in base 2; positive values only): bit widths,
    /// batch sizes, widths.
    case log2
    /// Equal ratios, ticks at powers of ten (`LogScale` in base 10; positive values only): densities, magnitudes.
    case log10

    /// The scale of this spacing over `values`.
    func scale(covering values: [Double], pixels: (Double, Double), targetTicks: Int, domain: (Double, Double)?) -> any AxisScale {
        switch self {
        case .linear: return LinearScale(covering: values, pixels: pixels, targetTicks: targetTicks, domain: domain)
        case .log2: return LogScale(base: 2, covering: values, pixels: pixels, targetTicks: targetTicks, domain: domain)
        case .log10: return LogScale(base: 10, covering: values, pixels: pixels, targetTicks: targetTicks, domain: domain)
        }
    }
}

/// The scale `make(target)` gives for the largest target tick count, from `target` down to 2, whose horizontal tick
/// labels keep 6 pixels apart (long labels: fewer ticks).
func uncrowdedScale(target: Int, _ make: (Int) -> any AxisScale) -> any AxisScale {
    var t = max(2, target)
    while true {
        let s = make(t)
        let ticks = s.ticks
        let crowded = zip(ticks, ticks.dropFirst()).contains { a, b in
            abs(s(b) - s(a)) < (TextBox.width(of: s.label(a)) + TextBox.width(of: s.label(b))) / 2 + 6
        }
        if t <= 2 || !crowded { return s }
        t -= 1
    }
}
