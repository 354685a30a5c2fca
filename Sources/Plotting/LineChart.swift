import Foundation

/// One panel: series drawn as lines over a light grid, with tick labels, axis labels and a title. The figure gives it
/// its place and the series' styles, so a series keeps its colour across panels. Replicate lines (thin, in their
/// series' colour, without a legend entry) may accompany the series, which are then drawn bold as their mean; vertical
/// rules mark an x (a stage boundary, an eigenvalue).
public struct LineChart: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// Thin lines behind the series, each named as the series whose colour it takes (one replicate's curve).
    public var replicates: [Series]
    public var rules: [Rule]
    /// Fixed axis ranges; nil fits the data as `xFit` (x) or widened to whole ticks (y).
    public var xDomain: (Double, Double)?
    public var yDomain: (Double, Double)?
    public var xFit: AxisFit
    /// Dots at the points; nil draws them when no series has more than 40 points.
    public var markers: Bool?
    /// Spacing of the x axis (log2, log10: positive x only; points at x ≤ 0 are not drawn).
    public var xSpacing: AxisSpacing
    /// Spacing of the y axis (log10 for densities: points at y ≤ 0 break the line, or sit on the floor with `yFloor`).
    public var ySpacing: AxisSpacing
    /// On a log y axis: values that are missing, zero or below the axis are drawn at its lower end (a density's
    /// underflowing tail), so lines do not break.
    public var yFloor: Bool

    public init(title: String = "", xLabel: String = "", yLabel: String = "", series: [Series], replicates: [Series] = [], rules: [Rule] = [],
                xDomain: (Double, Double)? = nil, yDomain: (Double, Double)? = nil, xFit: AxisFit = .nice, markers: Bool? = nil,
                xSpacing: AxisSpacing = .linear, ySpacing: AxisSpacing = .linear, yFloor: Bool = false) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.replicates = replicates
        self.rules = rules
        self.xDomain = xDomain
        self.yDomain = yDomain
        self.xFit = xFit
        self.markers = markers
        self.xSpacing = xSpacing
        self.ySpacing = ySpacing
        self.yFloor = yFloor
    }

    /// Space around the plot area inside a panel: tick labels and axis labels live there (the left margin grows with
    /// the widest y tick label, the right one with the last x tick label).
    static let margin = (left: 62.0, right: 14.0, top: 26.0, bottom: 46.0)

    /// The scales of this panel when it occupies `frame` (x, y, width, height).
    func scales(frame: (x: Double, y: Double, width: Double, height: Double)) -> (x: any AxisScale, y: any AxisScale) {
        let m = LineChart.margin
        let top = frame.y + m.top, bottom = frame.y + frame.height - m.bottom
        let xs = (series + replicates).flatMap(\.x) + rules.map(\.x)
        var ys = (series + replicates).flatMap(\.y)
        for s in series { ys += (s.lower ?? []) + (s.upper ?? []) }
        let y = ySpacing.scale(covering: ys, pixels: (bottom, top), targetTicks: max(2, Int((bottom - top) / 50)), domain: yDomain)
        let widest = y.ticks.map { TextBox.width(of: y.label($0)) }.max() ?? 0
        let left = frame.x + max(m.left, 36 + widest)
        // Powers of two label shortly ("1" … "1024"): they can sit twice as close as decimal ticks.
        let target = max(2, Int((frame.x + frame.width - m.right - left) / (xSpacing == .log2 ? 40 : 80)))
        let domain = xDomain ?? xFit.domain(xs, spacing: xSpacing)
        let x = uncrowdedScale(target: target) { t in
            let probe = xSpacing.scale(covering: xs, pixels: (left, frame.x + frame.width - m.right), targetTicks: t, domain: domain)
            let lastHalf = probe.ticks.last.map { TextBox.width(of: probe.label($0)) / 2 } ?? 0
            return xSpacing.scale(covering: xs, pixels: (left, frame.x + frame.width - max(m.right, lastHalf + 4)), targetTicks: t, domain: domain)
        }
        return (x, y)
    }

    func draw(into svg: inout SVGDocument, frame: (x: Double, y: Double, width: Double, height: Double),
              styles: [String: SeriesStyle], clipID: String) {
        let (sx, sy) = scales(frame: frame)
        let n = SVGDocument.number
        let left = sx.pixelStart, right = sx.pixelEnd, bottom = sy.pixelStart, top = sy.pixelEnd
        // Grid and ticks.
        for t in sx.ticks {
            let p = sx(t)
            svg.add("line", ["x1": n(p), "y1": n(top), "x2": n(p), "y2": n(bottom), "stroke": "#e6e6e6"])
            svg.add("line", ["x1": n(p), "y1": n(bottom), "x2": n(p), "y2": n(bottom + 4), "stroke": "#444"])
            svg.add("text", ["x": n(p), "y": n(bottom + 17), "text-anchor": "middle", "fill": "#333"], text: sx.label(t))
        }
        for t in sy.ticks {
            let p = sy(t)
            svg.add("line", ["x1": n(left), "y1": n(p), "x2": n(right), "y2": n(p), "stroke": "#e6e6e6"])
            svg.add("line", ["x1": n(left - 4), "y1": n(p), "x2": n(left), "y2": n(p), "stroke": "#444"])
            svg.add("text", ["x": n(left - 7), "y": n(p + 4), "text-anchor": "end", "fill": "#333"], text: sy.label(t))
        }
        svg.add("rect", ["x": n(left), "y": n(top), "width": n(right - left), "height": n(bottom - top),
                         "fill": "none", "stroke": "#444"])
        svg.record(PlotArea(name: "plot area of '\(title)'", x: left, y: top, width: right - left, height: bottom - top))
        if !title.isEmpty {
            let text = TextBox.fitted(title, width: frame.x + frame.width - left - 4, bold: true)
            svg.add("text", ["x": n(left), "y": n(frame.y + 17), "font-weight": "bold"], text: text)
        }
        if !xLabel.isEmpty {
            svg.add("text", ["x": n((left + right) / 2), "y": n(bottom + 36), "text-anchor": "middle"],
                    text: TextBox.fitted(xLabel, width: right - left))
        }
        if !yLabel.isEmpty {
            let cx = frame.x + 14, cy = (top + bottom) / 2
            svg.add("text", ["x": n(cx), "y": n(cy), "text-anchor": "middle", "transform": "rotate(-90 \(n(cx)) \(n(cy)))"],
                    text: TextBox.fitted(yLabel, width: bottom - top))
        }
        // Data, clipped to the plot area widened by a marker's radius, so a point on the frame shows whole.
        let pad = 3.0
        svg.defineClip(id: clipID, x: left - pad, y: top - pad, width: right - left + 2 * pad, height: bottom - top + 2 * pad)
        svg.open("g", ["clip-path": "url(#\(clipID))"])
        let floor = yFloor ? (sy as? LogScale)?.lower : nil
        func placeable(_ s: Series) -> Series {
            var s = s
            if xSpacing != .linear { s.x = s.x.map { $0 > 0 ? $0 : .nan } }
            if let floor {
                s.y = s.y.map { $0.isFinite && $0 > floor ? $0 : floor }
            } else if ySpacing != .linear {
                s.y = s.y.map { $0 > 0 ? $0 : .nan }
                s.lower = s.lower?.map { $0 > 0 ? $0 : .nan }
                s.upper = s.upper?.map { $0 > 0 ? $0 : .nan }
            }
            return s
        }
        let dots = markers ?? !(series + replicates).contains { $0.x.count > 40 }
        for s in replicates.map(placeable) {
            let color = (styles[s.name] ?? SeriesStyle(index: 0)).color
            for run in s.segments {
                if run.count > 1 {
                    svg.add("polyline", ["points": run.map { "\(n(sx(s.x[$0]))),\(n(sy(s.y[$0])))" }.joined(separator: " "), "fill": "none",
                                         "stroke": color, "stroke-width": "0.9", "stroke-opacity": "0.5", "stroke-linejoin": "round"])
                }
                if dots || run.count == 1 {
                    for i in run {
                        svg.add("circle", ["cx": n(sx(s.x[i])), "cy": n(sy(s.y[i])), "r": "2", "fill": color, "fill-opacity": "0.55"])
                    }
                }
            }
        }
        let width = replicates.isEmpty ? "1.6" : "2.6"
        for s in series.map(placeable) {
            let style = styles[s.name] ?? SeriesStyle(index: 0)
            for run in s.segments {
                if let lo = s.lower, let hi = s.upper, run.allSatisfy({ lo[$0].isFinite && hi[$0].isFinite }), run.count > 1 {
                    let outline = run.map { "\(n(sx(s.x[$0]))),\(n(sy(hi[$0])))" } + run.reversed().map { "\(n(sx(s.x[$0]))),\(n(sy(lo[$0])))" }
                    svg.add("polygon", ["points": outline.joined(separator: " "), "fill": style.color, "fill-opacity": "0.18",
                                        "stroke": "none"])
                }
                let points = run.map { "\(n(sx(s.x[$0]))),\(n(sy(s.y[$0])))" }.joined(separator: " ")
                if run.count > 1 {
                    svg.add("polyline", ["points": points, "fill": "none", "stroke": style.color, "stroke-width": width,
                                         "stroke-linejoin": "round", "stroke-dasharray": style.dash])
                }
                if dots || run.count == 1 {
                    for i in run {
                        svg.add("circle", ["cx": n(sx(s.x[i])), "cy": n(sy(s.y[i])), "r": replicates.isEmpty ? "2.4" : "3.2", "fill": style.color])
                    }
                }
            }
        }
        svg.close("g")
        drawRules(into: &svg, sx: sx, top: top, bottom: bottom, styles: styles)
    }

    /// The rules inside the plot area, their labels in rows at the top so that none covers another.
    func drawRules(into svg: inout SVGDocument, sx: any AxisScale, top: Double, bottom: Double, styles: [String: SeriesStyle]) {
        let n = SVGDocument.number
        let left = sx.pixelStart, right = sx.pixelEnd
        var placed: [(Double, Double, Int)] = []
        for rule in rules where rule.x.isFinite && (xSpacing == .linear || rule.x > 0) {
            let p = sx(rule.x)
            guard p >= left - 0.5 && p <= right + 0.5 else { continue }
            let color = rule.series.flatMap { styles[$0]?.color } ?? "#666666"
            svg.add("line", ["x1": n(p), "y1": n(top), "x2": n(p), "y2": n(bottom), "stroke": color, "stroke-width": "1.1",
                             "stroke-dasharray": "5 3"])
            guard !rule.label.isEmpty else { continue }
            let text = TextBox.fitted(rule.label, width: right - left - 8, fontSize: 10)
            let w = TextBox.width(of: text, fontSize: 10)
            // Right of the line when it fits, else left of it.
            let start = p + 3 + w <= right - 2 ? p + 3 : max(left + 2, p - 3 - w)
            var row = 0
            while placed.contains(where: { $0.2 == row && start < $0.1 + 4 && $0.0 < start + w + 4 }) { row += 1 }
            placed.append((start, start + w, row))
            let y = top + 12 + Double(row) * 12
            guard y < bottom - 4 else { continue }
            svg.add("text", ["x": n(start), "y": n(y), "font-size": "10", "fill": color, "stroke": "white", "stroke-width": "3",
                             "paint-order": "stroke"], text: text, inPlot: true)
        }
    }
}
