import Foundation

/// One panel: series drawn as lines over a light grid, with tick labels, axis labels and a title. The figure gives it
/// its place and the series' styles, so a series keeps its colour across panels.
public struct LineChart: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// Fixed axis ranges; nil fits the data (widened to whole ticks).
    public var xDomain: (Double, Double)?
    public var yDomain: (Double, Double)?
    /// Dots at the points; nil draws them when no series has more than 40 points.
    public var markers: Bool?
    /// Spacing of the x axis (log2, log10: positive x only; points at x ≤ 0 are not drawn).
    public var xSpacing: AxisSpacing
    /// Spacing of the y axis (log10 for densities: points at y ≤ 0 break the line).
    public var ySpacing: AxisSpacing

    public init(title: String = "", xLabel: String = "", yLabel: String = "", series: [Series],
                xDomain: (Double, Double)? = nil, yDomain: (Double, Double)? = nil, markers: Bool? = nil,
                xSpacing: AxisSpacing = .linear, ySpacing: AxisSpacing = .linear) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.xDomain = xDomain
        self.yDomain = yDomain
        self.markers = markers
        self.xSpacing = xSpacing
        self.ySpacing = ySpacing
    }

    /// Space around the plot area inside a panel: tick labels and axis labels live there.
    static let margin = (left: 62.0, right: 14.0, top: 26.0, bottom: 46.0)

    /// The scales of this panel when it occupies `frame` (x, y, width, height).
    func scales(frame: (x: Double, y: Double, width: Double, height: Double)) -> (x: any AxisScale, y: any AxisScale) {
        let m = LineChart.margin
        let left = frame.x + m.left, right = frame.x + frame.width - m.right
        let top = frame.y + m.top, bottom = frame.y + frame.height - m.bottom
        let xs = series.flatMap(\.x)
        var ys = series.flatMap(\.y)
        for s in series { ys += (s.lower ?? []) + (s.upper ?? []) }
        // Powers of two label shortly ("1" … "1024"): they can sit twice as close as decimal ticks.
        let x = xSpacing.scale(covering: xs, pixels: (left, right), targetTicks: max(2, Int((right - left) / (xSpacing == .log2 ? 40 : 80))),
                               domain: xDomain)
        return (x, ySpacing.scale(covering: ys, pixels: (bottom, top), targetTicks: max(2, Int((bottom - top) / 50)), domain: yDomain))
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
        if !title.isEmpty {
            svg.add("text", ["x": n(left), "y": n(frame.y + 17), "font-weight": "bold"], text: title)
        }
        if !xLabel.isEmpty {
            svg.add("text", ["x": n((left + right) / 2), "y": n(bottom + 36), "text-anchor": "middle"], text: xLabel)
        }
        if !yLabel.isEmpty {
            let cx = frame.x + 14, cy = (top + bottom) / 2
            svg.add("text", ["x": n(cx), "y": n(cy), "text-anchor": "middle", "transform": "rotate(-90 \(n(cx)) \(n(cy)))"],
                    text: yLabel)
        }
        // Data, clipped to the plot area widened by a marker's radius, so a point on the frame shows whole.
        let pad = 3.0
        svg.defineClip(id: clipID, x: left - pad, y: top - pad, width: right - left + 2 * pad, height: bottom - top + 2 * pad)
        svg.open("g", ["clip-path": "url(#\(clipID))"])
        let dots = markers ?? !series.contains { $0.x.count > 40 }
        for var s in series {
            if xSpacing != .linear { s.x = s.x.map { $0 > 0 ? $0 : .nan } }
            if ySpacing != .linear {
                s.y = s.y.map { $0 > 0 ? $0 : .nan }
                s.lower = s.lower?.map { $0 > 0 ? $0 : .nan }
                s.upper = s.upper?.map { $0 > 0 ? $0 : .nan }
            }
            let style = styles[s.name] ?? SeriesStyle(index: 0)
            for run in s.segments {
                if let lo = s.lower, let hi = s.upper, run.allSatisfy({ lo[$0].isFinite && hi[$0].isFinite }), run.count > 1 {
                    let outline = run.map { "\(n(sx(s.x[$0]))),\(n(sy(hi[$0])))" } + run.reversed().map { "\(n(sx(s.x[$0]))),\(n(sy(lo[$0])))" }
                    svg.add("polygon", ["points": outline.joined(separator: " "), "fill": style.color, "fill-opacity": "0.18",
                                        "stroke": "none"])
                }
                let points = run.map { "\(n(sx(s.x[$0]))),\(n(sy(s.y[$0])))" }.joined(separator: " ")
                if run.count > 1 {
                    svg.add("polyline", ["points": points, "fill": "none", "stroke": style.color, "stroke-width": "1.6",
                                         "stroke-linejoin": "round", "stroke-dasharray": style.dash])
                }
                if dots || run.count == 1 {
                    for i in run {
                        svg.add("circle", ["cx": n(sx(s.x[i])), "cy": n(sy(s.y[i])), "r": "2.4", "fill": style.color])
                    }
                }
            }
        }
        svg.close("g")
    }
}
