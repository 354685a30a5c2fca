import Foundation

/// One panel: a field on a grid drawn as coloured cells (viridis) with optional contour lines at labelled levels and
/// a colour bar. Several heatmaps on one figure share a colour range when they are given the same `colorRange`.
public struct Heatmap: GridPanel {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// Grid coordinates along x (nx, increasing) and y (ny, increasing).
    public var xs: [Double]
    public var ys: [Double]
    /// values[j·nx + i] at (xs[i], ys[j]); NaN and infinities are drawn grey and break contours.
    public var values: [Double]
    /// The values the colour map spans (nil: the finite data's range); values outside are clamped.
    public var colorRange: (Double, Double)?
    /// Contour levels (empty: no contours).
    public var contourLevels: [Double]
    /// The colour bar's label (what the colour means).
    public var colorLabel: String
    /// The level spacing whose decimals the contour labels take (nil: this panel's own); a figure gives all its
    /// panels one, so that their labels have the same decimals.
    public var labelStep: Double?

    public init(title: String = "", xLabel: String = "", yLabel: String = "", xs: [Double], ys: [Double], values: [Double],
                colorRange: (Double, Double)? = nil, contourLevels: [Double] = [], colorLabel: String = "") throws {
        try Heatmap.validateGrid(xs: xs, ys: ys, values: values)
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel
        self.xs = xs; self.ys = ys; self.values = values
        self.colorRange = colorRange; self.contourLevels = contourLevels; self.colorLabel = colorLabel
    }

    /// Refuses a grid whose values do not fill nx·ny or whose coordinates do not increase.
    static func validateGrid(xs: [Double], ys: [Double], values: [Double]) throws {
        guard xs.count >= 1, ys.count >= 1, values.count == xs.count * ys.count else {
            throw PlottingError.badData("a grid needs nx·ny values: \(values.count) for \(xs.count)×\(ys.count)")
        }
        guard zip(xs, xs.dropFirst()).allSatisfy({ $0 < $1 }), zip(ys, ys.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw PlottingError.badData("a grid's x and y coordinates must increase")
        }
    }

    static let margin = (left: 62.0, right: 92.0, top: 26.0, bottom: 46.0)

    /// The colour range in use: the given one, else the finite values' range (a unit window around a constant).
    public var resolvedRange: (Double, Double) { colorRange ?? valueRange(values) }

    /// A cell's edges along one axis: midway between grid points, half a spacing beyond the ends.
    static func edges(_ c: [Double]) -> [Double] {
        guard c.count > 1 else { return [c[0] - 0.5, c[0] + 0.5] }
        var e = [c[0] - (c[1] - c[0]) / 2]
        for k in 0..<(c.count - 1) { e.append((c[k] + c[k + 1]) / 2) }
        e.append(c[c.count - 1] + (c[c.count - 1] - c[c.count - 2]) / 2)
        return e
    }

    /// A fractional grid index's coordinate (linear between grid points).
    static func coordinate(_ t: Double, _ c: [Double]) -> Double {
        guard c.count > 1 else { return c[0] }
        let k = min(max(Int(t.rounded(.down)), 0), c.count - 2)
        return c[k] + (t - Double(k)) * (c[k + 1] - c[k])
    }

    public func draw(into svg: inout SVGDocument, frame: (x: Double, y: Double, width: Double, height: Double), clipID: String) {
        let m = Heatmap.margin, n = SVGDocument.number
        let top = frame.y + m.top, bottom = frame.y + frame.height - m.bottom
        let (lo, hi) = resolvedRange
        let bar = ColorBar(range: (lo, hi), label: colorLabel, levels: contourLevels)
        let ex = Heatmap.edges(xs), ey = Heatmap.edges(ys)
        let sy = LinearScale(covering: [], pixels: (bottom, top), targetTicks: max(2, Int((bottom - top) / 50)), domain: (ey.first!, ey.last!))
        let left = frame.x + max(m.left, 36 + (sy.ticks.map { TextBox.width(of: sy.label($0)) }.max() ?? 0))
        let right = frame.x + frame.width - max(m.right, 16 + bar.extent(top: top, bottom: bottom) + 4)
        let sx = uncrowdedScale(target: max(2, Int((right - left) / 80))) {
            LinearScale(covering: [], pixels: (left, right), targetTicks: $0, domain: (ex.first!, ex.last!))
        }
        let map = ColorMap.viridis
        func t(_ v: Double) -> Double { v.isFinite ? (v - lo) / (hi - lo) : .nan }
        // Cells (drawn 0.5 px wider so that no hairline gap shows between neighbours).
        for j in 0..<ys.count {
            for i in 0..<xs.count {
                let x0 = sx(ex[i]), x1 = sx(ex[i + 1]), y0 = sy(ey[j + 1]), y1 = sy(ey[j])
                svg.add("rect", ["x": n(x0), "y": n(y0), "width": n(x1 - x0 + 0.5), "height": n(y1 - y0 + 0.5),
                                 "fill": map.color(t(values[j * xs.count + i]))])
            }
        }
        svg.record(PlotArea(name: "plot area of '\(title)'", x: left, y: top, width: right - left, height: bottom - top))
        // Contours, each level labelled once where its label covers no other label and stays inside the plot area.
        if !contourLevels.isEmpty && xs.count >= 2 && ys.count >= 2 {
            svg.defineClip(id: clipID, x: left, y: top, width: right - left, height: bottom - top)
            svg.open("g", ["clip-path": "url(#\(clipID))", "fill": "none", "stroke": "white", "stroke-width": "1.1"])
            var labels: [(Double, Double, String)] = [], boxes: [TextBox] = []
            for level in contourLevels {
                let lines = MarchingSquares.lines(values, nx: xs.count, ny: ys.count, level: level)
                for line in lines where line.points.count >= 2 {
                    let pts = line.points.map { "\(n(sx(Heatmap.coordinate($0.i, xs)))),\(n(sy(Heatmap.coordinate($0.j, ys))))" }
                    svg.add(line.closed ? "polygon" : "polyline", ["points": pts.joined(separator: " ")])
                }
                let text = LinearScale.labelText(level, step: labelStep ?? contourStep)
                // Candidates: the middle of the longest line first, then other places along every line.
                let candidates = lines.filter { $0.points.count >= 2 }.sorted { $0.length > $1.length }.flatMap { line in
                    [0.5, 0.3, 0.7, 0.15, 0.85, 0.05, 0.95].map { line.points[min(line.points.count - 1, Int($0 * Double(line.points.count - 1)))] }
                }
                for c in candidates {
                    let x = sx(Heatmap.coordinate(c.i, xs)), y = sy(Heatmap.coordinate(c.j, ys))
                    let w = TextBox.width(of: text, fontSize: 9)
                    let box = TextBox(text: text, minX: x - w / 2 - 1, minY: y + 3.5 - 7.02 - 1, maxX: x + w / 2 + 1, maxY: y + 3.5 + 1.98 + 1, inPlot: true)
                    guard box.minX > left + 1, box.maxX < right - 1, box.minY > top + 1, box.maxY < bottom - 1,
                          !boxes.contains(where: { $0.overlaps(box, tolerance: 0) }) else { continue }
                    boxes.append(box)
                    labels.append((x, y, text))
                    break
                }
            }
            svg.close("g")
            for (x, y, text) in labels {
                svg.add("text", ["x": n(x), "y": n(y + 3.5), "text-anchor": "middle", "font-size": "9", "fill": "white",
                                 "stroke": "#222", "stroke-width": "2.2", "paint-order": "stroke"], text: text, inPlot: true)
            }
        }
        // Axes.
        for tk in sx.ticks {
            let p = sx(tk)
            svg.add("line", ["x1": n(p), "y1": n(bottom), "x2": n(p), "y2": n(bottom + 4), "stroke": "#444"])
            svg.add("text", ["x": n(p), "y": n(bottom + 17), "text-anchor": "middle", "fill": "#333"], text: sx.label(tk))
        }
        for tk in sy.ticks {
            let p = sy(tk)
            svg.add("line", ["x1": n(left - 4), "y1": n(p), "x2": n(left), "y2": n(p), "stroke": "#444"])
            svg.add("text", ["x": n(left - 7), "y": n(p + 4), "text-anchor": "end", "fill": "#333"], text: sy.label(tk))
        }
        svg.add("rect", ["x": n(left), "y": n(top), "width": n(right - left), "height": n(bottom - top), "fill": "none", "stroke": "#444"])
        if !title.isEmpty {
            svg.add("text", ["x": n(left), "y": n(frame.y + 17), "font-weight": "bold"],
                    text: TextBox.fitted(title, width: frame.x + frame.width - left - 4, bold: true))
        }
        if !xLabel.isEmpty {
            svg.add("text", ["x": n((left + right) / 2), "y": n(bottom + 36), "text-anchor": "middle"], text: TextBox.fitted(xLabel, width: right - left))
        }
        if !yLabel.isEmpty {
            let cx = frame.x + 14, cy = (top + bottom) / 2
            svg.add("text", ["x": n(cx), "y": n(cy), "text-anchor": "middle", "transform": "rotate(-90 \(n(cx)) \(n(cy)))"],
                    text: TextBox.fitted(yLabel, width: bottom - top))
        }
        bar.draw(into: &svg, x: right + 16, top: top, bottom: bottom)
    }

    /// The spacing of the contour levels (for their labels' decimals).
    var contourStep: Double {
        let d = zip(contourLevels, contourLevels.dropFirst()).map { abs($1 - $0) }.filter { $0 > 0 }
        return d.min() ?? max(abs(contourLevels.first ?? 1), 1e-12)
    }

    /// The panel alone as a document.
    public func render(width: Double = 480, height: Double = 380) -> SVGDocument {
        var svg = SVGDocument(width: width, height: height)
        draw(into: &svg, frame: (0, 0, width, height), clipID: "heatmap-1")
        return svg
    }
}

extension LinearScale {
    /// `value` with as many decimals as a spacing of `step` needs.
    static func labelText(_ value: Double, step: Double) -> String {
        if abs(value) >= 1e6 || step < 1e-4 { return String(format: "%.3g", value) }
        let decimals = max(0, Int((-log10(step)).rounded(.up)))
        let text = String(format: "%.\(decimals)f", value)
        return Double(text) == 0 ? String(format: "%.\(decimals)f", 0.0) : text
    }
}
