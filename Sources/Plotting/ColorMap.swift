import Foundation

/// A perceptually uniform, colour-blind-safe sequential colour map: viridis, sampled at eleven stops and interpolated
/// linearly in sRGB between them (enough for a heatmap: neighbouring stops differ by less than ΔE ≈ 12).
public struct ColorMap: Sendable, Equatable {
    /// Stops at t = 0, 0.1, …, 1 as (r, g, b) in 0…255.
    public let stops: [(Double, Double, Double)]

    public static func == (a: ColorMap, b: ColorMap) -> Bool {
        a.stops.count == b.stops.count && zip(a.stops, b.stops).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 && $0.2 == $1.2 }
    }

    public static let viridis = ColorMap(stops: [
        (68, 1, 84), (72, 36, 117), (65, 68, 135), (53, 95, 141), (42, 120, 142), (33, 145, 140),
        (34, 168, 132), (68, 191, 112), (122, 209, 81), (189, 223, 38), (253, 231, 37),
    ])

    /// The colour used for values that are NaN or infinite.
    public static let missing = "#bdbdbd"

    /// The colour at t ∈ [0, 1] (clamped) as "#rrggbb".
    public func color(_ t: Double) -> String {
        guard t.isFinite else { return ColorMap.missing }
        let u = min(max(t, 0), 1) * Double(stops.count - 1)
        let i = min(Int(u), stops.count - 2), f = u - Double(i)
        let a = stops[i], b = stops[i + 1]
        func channel(_ x: Double, _ y: Double) -> Int { Int((x + (y - x) * f).rounded()) }
        return String(format: "#%02x%02x%02x", channel(a.0, b.0), channel(a.1, b.1), channel(a.2, b.2))
    }
}
