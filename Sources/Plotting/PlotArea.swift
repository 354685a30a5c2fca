import Foundation

/// The region of a figure where data are drawn (a chart's frame, a colour bar's strip, a 3-D surface's projected
/// box): a convex polygon that no axis text may enter. The renderers record it; it is not written to the SVG.
public struct PlotArea: Sendable, Equatable {
    public var name: String
    /// Corners in order (either direction), convex.
    public var corners: [(x: Double, y: Double)]

    public static func == (a: PlotArea, b: PlotArea) -> Bool {
        a.name == b.name && a.corners.count == b.corners.count && zip(a.corners, b.corners).allSatisfy { $0.x == $1.x && $0.y == $1.y }
    }

    public init(name: String, x: Double, y: Double, width: Double, height: Double) {
        self.name = name
        corners = [(x, y), (x + width, y), (x + width, y + height), (x, y + height)]
    }

    /// The convex hull of `points` (Andrew's monotone chain).
    public init(name: String, hullOf points: [(x: Double, y: Double)]) {
        self.name = name
        let p = points.sorted { ($0.x, $0.y) < ($1.x, $1.y) }
        guard p.count > 2 else { corners = p; return }
        func cross(_ o: (x: Double, y: Double), _ a: (x: Double, y: Double), _ b: (x: Double, y: Double)) -> Double {
            (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x)
        }
        var lower: [(x: Double, y: Double)] = [], upper: [(x: Double, y: Double)] = []
        for q in p {
            while lower.count >= 2 && cross(lower[lower.count - 2], lower[lower.count - 1], q) <= 0 { lower.removeLast() }
            lower.append(q)
        }
        for q in p.reversed() {
            while upper.count >= 2 && cross(upper[upper.count - 2], upper[upper.count - 1], q) <= 0 { upper.removeLast() }
            upper.append(q)
        }
        corners = Array(lower.dropLast() + upper.dropLast())
    }

    /// Whether `box`, shrunk by `tolerance` on every side, meets the polygon's interior (separating axes: the box's two
    /// axes and every edge's normal).
    public func meets(_ box: TextBox, tolerance: Double = 1) -> Bool {
        let r = [(box.minX + tolerance, box.minY + tolerance), (box.maxX - tolerance, box.minY + tolerance),
                 (box.maxX - tolerance, box.maxY - tolerance), (box.minX + tolerance, box.maxY - tolerance)].map { (x: $0.0, y: $0.1) }
        guard corners.count >= 3, r[0].x < r[1].x, r[0].y < r[2].y else { return false }
        var axes: [(Double, Double)] = [(1, 0), (0, 1)]
        for k in corners.indices {
            let a = corners[k], b = corners[(k + 1) % corners.count]
            axes.append((b.y - a.y, a.x - b.x))
        }
        for (ax, ay) in axes {
            let s = corners.map { $0.x * ax + $0.y * ay }, t = r.map { $0.x * ax + $0.y * ay }
            if s.max()! <= t.min()! || t.max()! <= s.min()! { return false }
        }
        return true
    }
}
