import Foundation

/// One panel: a field on a grid drawn as a 3-D surface (the paper's Fig. 2) — a shaded mesh in parallel projection
/// from azimuth `azimuth` and elevation `elevation` (degrees), every cell a quadrilateral filled with the colour map
/// at its mean value and drawn back to front (painter's order by depth), over the floor of its bounding box, with a
/// labelled value axis and a colour bar. Cells with a missing corner are left out.
public struct SurfacePlot: GridPanel {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xs: [Double]
    public var ys: [Double]
    public var values: [Double]
    public var colorRange: (Double, Double)?
    public var colorLabel: String
    public var azimuth: Double
    public var elevation: Double

    public init(title: String = "", xLabel: String = "", yLabel: String = "", xs: [Double], ys: [Double], values: [Double],
                colorRange: (Double, Double)? = nil, colorLabel: String = "", azimuth: Double = -55, elevation: Double = 28) throws {
        try Heatmap.validateGrid(xs: xs, ys: ys, values: values)
        guard xs.count >= 2, ys.count >= 2 else { throw PlottingError.badData("a surface needs at least 2 × 2 grid points") }
        guard (0...90).contains(elevation), azimuth.isFinite else { throw PlottingError.badData("a surface's elevation must be in 0…90 degrees") }
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
        self.xs = xs; self.ys = ys; self.values = values
        self.colorRange = colorRange; self.colorLabel = colorLabel
        self.azimuth = azimuth; self.elevation = elevation
    }

    /// The range the colours and the height span.
    public var resolvedRange: (Double, Double) { colorRange ?? valueRange(values) }

    /// A grid point (normalized to [−1, 1]² × [0, 1]) projected: screen right, screen up, and depth toward the viewer.
    func project(_ u: Double, _ v: Double, _ w: Double) -> (x: Double, y: Double, depth: Double) {
        let a = azimuth * .pi / 180, e = elevation * .pi / 180
        let right = u * cos(a) - v * sin(a)
        let away = u * sin(a) + v * cos(a)
        return (right, 0.9 * w * cos(e) + away * sin(e), -away * cos(e) + w * sin(e))
    }

    public func draw(into svg: inout SVGDocument, frame: (x: Double, y: Double, width: Double, height: Double), clipID: String) {
        let m = Heatmap.margin, n = SVGDocument.number
        let left = frame.x + m.left - 20, right = frame.x + frame.width - m.right
        let top = frame.y + m.top + 4, bottom = frame.y + frame.height - 16
        let (lo, hi) = resolvedRange
        let nx = xs.count, ny = ys.count
        func u(_ i: Int) -> Double { -1 + 2 * (xs[i] - xs[0]) / (xs[nx - 1] - xs[0]) }
        func v(_ j: Int) -> Double { -1 + 2 * (ys[j] - ys[0]) / (ys[ny - 1] - ys[0]) }
        func w(_ z: Double) -> Double { min(max((z - lo) / (hi - lo), 0), 1) }
        // Fit the projected box [−1, 1]² × [0, 1] into the panel.
        let corners = [(-1.0, -1.0), (1, -1), (1, 1), (-1, 1)].flatMap { c in [project(c.0, c.1, 0), project(c.0, c.1, 1)] }
        let minX = corners.map(\.x).min()!, maxX = corners.map(\.x).max()!
        let minY = corners.map(\.y).min()!, maxY = corners.map(\.y).max()!
        let scale = min((right - left) / (maxX - minX), (bottom - top) / (maxY - minY))
        let ox = (left + right) / 2 - scale * (minX + maxX) / 2, oy = (top + bottom) / 2 + scale * (minY + maxY) / 2
        func screen(_ p: (x: Double, y: Double, depth: Double)) -> String { "\(n(ox + scale * p.x)),\(n(oy - scale * p.y))" }
        // Floor and the back walls' edges, behind the surface.
        let floor = [(-1.0, -1.0), (1, -1), (1, 1), (-1, 1)].map { project($0.0, $0.1, 0) }
        svg.add("polygon", ["points": floor.map(screen).joined(separator: " "), "fill": "#f4f4f4", "stroke": "#888"])
        // The value axis on the floor corner farthest to the left.
        let axisCorner = [(-1.0, -1.0), (1, -1), (1, 1), (-1, 1)].min { project($0.0, $0.1, 0).x < project($1.0, $1.1, 0).x }!
        let zScale = LinearScale(covering: [], pixels: (0, 1), targetTicks: 4, domain: (lo, hi))
        let base = project(axisCorner.0, axisCorner.1, 0), peak = project(axisCorner.0, axisCorner.1, 1)
        svg.add("line", ["x1": n(ox + scale * base.x), "y1": n(oy - scale * base.y), "x2": n(ox + scale * peak.x), "y2": n(oy - scale * peak.y), "stroke": "#444"])
        for t in zScale.ticks {
            let p = project(axisCorner.0, axisCorner.1, w(t))
            let px = ox + scale * p.x, py = oy - scale * p.y
            svg.add("line", ["x1": n(px - 4), "y1": n(py), "x2": n(px), "y2": n(py), "stroke": "#444"])
            svg.add("text", ["x": n(px - 7), "y": n(py + 4), "text-anchor": "end", "fill": "#333", "font-size": "10"], text: zScale.label(t))
        }
        // Cells back to front.
        var quads: [(depth: Double, points: String, fill: String)] = []
        for j in 0..<(ny - 1) {
            for i in 0..<(nx - 1) {
                let idx = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)]
                let z = idx.map { values[$0.1 * nx + $0.0] }
                guard z.allSatisfy(\.isFinite) else { continue }
                let p = zip(idx, z).map { project(u($0.0.0), v($0.0.1), w($0.1)) }
                let mean = z.reduce(0, +) / 4
                quads.append((p.map(\.depth).reduce(0, +) / 4, p.map(screen).joined(separator: " "),
                              ColorMap.viridis.color((mean - lo) / (hi - lo))))
            }
        }
        // Stable order: ties keep the grid order, so the same data give the same bytes.
        let order = quads.indices.sorted { (quads[$0].depth, $0) < (quads[$1].depth, $1) }
        svg.open("g", ["stroke": "#1a1a1a", "stroke-width": "0.35", "stroke-opacity": "0.6"])
        for k in order { svg.add("polygon", ["points": quads[k].points, "fill": quads[k].fill]) }
        svg.close("g")
        // Axis labels under the middle of the two floor edges that meet at the corner nearest the viewer.
        let near = [(-1.0, -1.0), (1, -1), (1, 1), (-1, 1)].max { project($0.0, $0.1, 0).depth < project($1.0, $1.1, 0).depth }!
        let front = [(0.0, near.1, xLabel), (near.0, 0.0, yLabel)]
        for (mu, mv, label) in front where !label.isEmpty {
            let mid = project(mu, mv, 0)
            svg.add("text", ["x": n(ox + scale * mid.x), "y": n(oy - scale * mid.y + 16), "text-anchor": "middle", "font-size": "11"], text: label)
        }
        if !title.isEmpty { svg.add("text", ["x": n(frame.x + m.left), "y": n(frame.y + 17), "font-weight": "bold"], text: title) }
        ColorBar(range: (lo, hi), label: colorLabel).draw(into: &svg, x: right + 16, top: frame.y + m.top, bottom: frame.y + frame.height - m.bottom)
    }
}

/// A panel of a grid figure: a heatmap or a surface, drawn on a colour range the figure may share.
public protocol GridPanel: Sendable {
    var values: [Double] { get }
    var colorRange: (Double, Double)? { get set }
    func draw(into svg: inout SVGDocument, frame: (x: Double, y: Double, width: Double, height: Double), clipID: String)
}
