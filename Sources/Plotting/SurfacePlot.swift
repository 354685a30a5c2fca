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

    /// A label of the panel: its text element's position relative to an anchor point of the projected box (unit
    /// coordinates, y up), and its box there.
    struct Label {
        var at: (x: Double, y: Double)
        var dx: Double, dy: Double
        var text: String, size: Double, anchor: String, rotated: Bool
        var box: TextBox

        init(at: (x: Double, y: Double), dx: Double, dy: Double, text: String, size: Double, anchor: String, rotated: Bool = false) {
            self.at = at; self.dx = dx; self.dy = dy; self.text = text; self.size = size; self.anchor = anchor; self.rotated = rotated
            let n = SVGDocument.number
            box = TextBox(attributes: ["x": n(dx), "y": n(dy), "text-anchor": anchor, "font-size": n(size),
                                       "transform": rotated ? "rotate(-90 \(n(dx)) \(n(dy)))" : nil], text: text, inPlot: false)
                ?? TextBox(text: "", minX: dx, minY: dy, maxX: dx, maxY: dy)
        }

        /// The label moved `distance` pixels further along `direction`.
        func moved(_ direction: (x: Double, y: Double), _ distance: Double) -> Label {
            Label(at: at, dx: dx + direction.x * distance, dy: dy + direction.y * distance, text: text, size: size, anchor: anchor, rotated: rotated)
        }

        /// The least projection of the box's corners on `direction` (relative to the anchor).
        func nearest(_ direction: (x: Double, y: Double)) -> Double {
            [(box.minX, box.minY), (box.maxX, box.minY), (box.maxX, box.maxY), (box.minX, box.maxY)].map { $0.0 * direction.x + $0.1 * direction.y }.min()!
        }
        func farthest(_ direction: (x: Double, y: Double)) -> Double {
            [(box.minX, box.minY), (box.maxX, box.minY), (box.maxX, box.maxY), (box.minX, box.maxY)].map { $0.0 * direction.x + $0.1 * direction.y }.max()!
        }
    }

    public func draw(into svg: inout SVGDocument, frame: (x: Double, y: Double, width: Double, height: Double), clipID: String) {
        let n = SVGDocument.number
        let (lo, hi) = resolvedRange
        let bar = ColorBar(range: (lo, hi), label: colorLabel)
        let barTop = frame.y + Heatmap.margin.top, barBottom = frame.y + frame.height - Heatmap.margin.bottom
        let barX = frame.x + frame.width - bar.extent(top: barTop, bottom: barBottom) - 4
        let left = frame.x + 6, right = barX - 14, top = frame.y + 28, bottom = frame.y + frame.height - 6
        let nx = xs.count, ny = ys.count
        func u(_ i: Int) -> Double { -1 + 2 * (xs[i] - xs[0]) / (xs[nx - 1] - xs[0]) }
        func v(_ j: Int) -> Double { -1 + 2 * (ys[j] - ys[0]) / (ys[ny - 1] - ys[0]) }
        func w(_ z: Double) -> Double { min(max((z - lo) / (hi - lo), 0), 1) }
        let square = [(-1.0, -1.0), (1, -1), (1, 1), (-1, 1)]
        let corners = square.flatMap { c in [project(c.0, c.1, 0), project(c.0, c.1, 1)] }
        // The labels, placed relative to the box in pixels: value ticks left of the vertical axis on the leftmost floor
        // corner, x and y ticks outside the two floor edges nearest the viewer, the axis titles beyond them.
        let axisCorner = square.min { project($0.0, $0.1, 0).x < project($1.0, $1.1, 0).x }!
        let zScale = LinearScale(covering: [], pixels: (0, 1), targetTicks: 4, domain: (lo, hi))
        let zTicks = zScale.ticks.map { t in
            Label(at: { let p = project(axisCorner.0, axisCorner.1, w(t)); return (p.x, p.y) }(), dx: -7, dy: 3.5,
                  text: zScale.label(t), size: 10, anchor: "end")
        }
        let zWidth = zTicks.map(\.box.width).max() ?? 0
        // Titles as long as the panel allows: shorter when at the largest scale that fits they would meet.
        var titles: [Label] = [], edgeTicks: [Label] = [], scale = 1.0, r = (minX: 0.0, maxX: 0.0, minY: 0.0, maxY: 0.0)
        for fraction in [0.34, 0.26, 0.2, 0.15, 0.11, 0.08, 0.05] {
            titles = []
            if !colorLabel.isEmpty {
                let mid = project(axisCorner.0, axisCorner.1, 0.5)
                titles.append(Label(at: (mid.x, mid.y), dx: -7 - zWidth - 6 - 2.6, dy: 0, text: TextBox.fitted(colorLabel, width: (bottom - top) * fraction * 1.5, fontSize: 11), size: 11,
                                    anchor: "middle", rotated: true))
            }
            let near = square.max { project($0.0, $0.1, 0).depth < project($1.0, $1.1, 0).depth }!
            let centre = project(0, 0, 0)
            edgeTicks = []
            for (text, values, along) in [(xLabel, xs, true), (yLabel, ys, false)] {
                // The edge's ends and its outward normal on screen (y down).
                let a = along ? project(-1, near.1, 0) : project(near.0, -1, 0), b = along ? project(1, near.1, 0) : project(near.0, 1, 0)
                let e = (x: b.x - a.x, y: -(b.y - a.y)), length = (e.x * e.x + e.y * e.y).squareRoot()
                var normal = (x: e.y / length, y: -e.x / length)
                let mid = (x: (a.x + b.x) / 2, y: (a.y + b.y) / 2)
                if normal.x * (mid.x - centre.x) + normal.y * -(mid.y - centre.y) < 0 { normal = (-normal.x, -normal.y) }
                let scale = LinearScale(covering: [], pixels: (0, 1), targetTicks: 4, domain: (values[0], values[values.count - 1]))
                var ticks: [Label] = []
                for t in scale.ticks {
                    let k = -1 + 2 * (t - values[0]) / (values[values.count - 1] - values[0])
                    let p = along ? project(k, near.1, 0) : project(near.0, k, 0)
                    let label = Label(at: (p.x, p.y), dx: 0, dy: 4, text: scale.label(t), size: 10, anchor: "middle")
                    ticks.append(label.moved(normal, 5 - label.nearest(normal)))
                }
                edgeTicks += ticks
                guard !text.isEmpty else { continue }
                let anchor = normal.x < -0.25 ? "end" : normal.x > 0.25 ? "start" : "middle"
                let title = Label(at: mid, dx: 0, dy: 4, text: TextBox.fitted(text, width: (right - left) * fraction, fontSize: 11), size: 11, anchor: anchor)
                let far = ticks.map { $0.farthest(normal) }.max() ?? 0
                titles.append(title.moved(normal, max(far, 0) + 5 - title.nearest(normal)))
            }
            // The largest scale (pixels per unit) at which the box and every label fit the panel, then centred.
            let pieces = corners.map { Label(at: ($0.x, $0.y), dx: 0, dy: 0, text: "", size: 0, anchor: "start") } + zTicks + titles + edgeTicks
            func extent(_ s: Double) -> (minX: Double, maxX: Double, minY: Double, maxY: Double) {
                var r = (minX: Double.infinity, maxX: -Double.infinity, minY: Double.infinity, maxY: -Double.infinity)
                for p in pieces {
                    let box = p.box
                    r.minX = min(r.minX, s * p.at.x + box.minX); r.maxX = max(r.maxX, s * p.at.x + box.maxX)
                    r.minY = min(r.minY, -s * p.at.y + box.minY); r.maxY = max(r.maxY, -s * p.at.y + box.maxY)
                }
                return r
            }
            var (low, high) = (1.0, 4000.0)
            for _ in 0..<50 {
                let mid = (low + high) / 2, r = extent(mid)
                if r.maxX - r.minX <= right - left && r.maxY - r.minY <= bottom - top { low = mid } else { high = mid }
            }
            scale = low; r = extent(scale)
            let boxes = titles.map { $0.box.offset(scale * $0.at.x, -scale * $0.at.y) }
            if !boxes.indices.contains(where: { i in boxes[(i + 1)...].contains { $0.overlaps(boxes[i], tolerance: -2) } }) { break }
        }
        let ox = left - r.minX + (right - left - (r.maxX - r.minX)) / 2, oy = top - r.minY + (bottom - top - (r.maxY - r.minY)) / 2
        func screen(_ p: (x: Double, y: Double, depth: Double)) -> String { "\(n(ox + scale * p.x)),\(n(oy - scale * p.y))" }
        // Floor, behind the surface.
        let floor = square.map { project($0.0, $0.1, 0) }
        svg.add("polygon", ["points": floor.map(screen).joined(separator: " "), "fill": "#f4f4f4", "stroke": "#888"])
        svg.record(PlotArea(name: "surface of '\(title)'", hullOf: corners.map { (ox + scale * $0.x, oy - scale * $0.y) }))
        // The value axis.
        let base = project(axisCorner.0, axisCorner.1, 0), peak = project(axisCorner.0, axisCorner.1, 1)
        svg.add("line", ["x1": n(ox + scale * base.x), "y1": n(oy - scale * base.y), "x2": n(ox + scale * peak.x), "y2": n(oy - scale * peak.y), "stroke": "#444"])
        for t in zTicks {
            let px = ox + scale * t.at.x, py = oy - scale * t.at.y
            svg.add("line", ["x1": n(px - 4), "y1": n(py), "x2": n(px), "y2": n(py), "stroke": "#444"])
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
        // Labels: the titles always, a tick only where it covers no label already placed.
        var placed: [TextBox] = []
        for (k, label) in (titles + zTicks + edgeTicks).enumerated() {
            let x = ox + scale * label.at.x + label.dx, y = oy - scale * label.at.y + label.dy
            let box = label.box.offset(ox + scale * label.at.x, oy - scale * label.at.y)
            if k >= titles.count, placed.contains(where: { $0.overlaps(box, tolerance: -2) }) { continue }
            placed.append(box)
            svg.add("text", ["x": n(x), "y": n(y), "text-anchor": label.anchor == "start" ? nil : label.anchor, "font-size": n(label.size),
                             "fill": label.size == 10 ? "#333" : nil, "transform": label.rotated ? "rotate(-90 \(n(x)) \(n(y)))" : nil],
                    text: label.text)
        }
        if !title.isEmpty {
            svg.add("text", ["x": n(frame.x + 8), "y": n(frame.y + 17), "font-weight": "bold"],
                    text: TextBox.fitted(title, width: barX - frame.x - 12, bold: true))
        }
        bar.draw(into: &svg, x: barX, top: barTop, bottom: barBottom)
    }
}

/// A panel of a grid figure: a heatmap or a surface, drawn on a colour range the figure may share.
public protocol GridPanel: Sendable {
    var values: [Double] { get }
    var colorRange: (Double, Double)? { get set }
    func draw(into svg: inout SVGDocument, frame: (x: Double, y: Double, width: Double, height: Double), clipID: String)
}
