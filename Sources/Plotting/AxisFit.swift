import Foundation

/// How an axis without a fixed domain covers its data.
public enum AxisFit: String, Sendable, CaseIterable {
    /// Widened to whole ticks (the axis ends on labelled values; data may sit on the frame).
    case nice
    /// Exactly the data's range: nothing drawn beyond it.
    case data
    /// The data's range and 5 % of it on each side (in the axis's own spacing), so no point sits on the frame.
    case padded

    /// The domain this fit gives `values` on an axis of `spacing` (nil: let the scale widen it to whole ticks).
    func domain(_ values: [Double], spacing: AxisSpacing) -> (Double, Double)? {
        guard self != .nice else { return nil }
        let usable = values.filter { $0.isFinite && (spacing == .linear || $0 > 0) }
        guard let lo = usable.min(), let hi = usable.max(), lo < hi else { return nil }
        guard self == .padded else { return (lo, hi) }
        switch spacing {
        case .linear:
            let pad = (hi / 2 - lo / 2) * 0.1, wide = (lo - pad, hi + pad)
            return wide.0.isFinite && wide.1.isFinite ? wide : (lo, hi)
        case .log2, .log10:
            let factor = pow(hi / lo, 0.05), wide = (lo / factor, hi * factor)
            return wide.0.isFinite && wide.1.isFinite && wide.0 > 0 ? wide : (lo, hi)
        }
    }
}
