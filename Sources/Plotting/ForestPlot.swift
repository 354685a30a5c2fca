import Foundation

/// A forest plot of claims: one row per claim with its estimate (a diamond), its interval (a bar) and one dot per
/// replicate, a dashed line at the claim's threshold, and the verdict at the right. Claims in different units get
/// panels of their own, each with its own x axis, stacked in the order the rows first name them.
public struct ForestPlot: Sendable {
    public struct Row: Sendable, Equatable {
        public var label: String
        public var panel: String
        public var estimate: Double
        public var low: Double?
        public var high: Double?
        public var threshold: Double
        public var points: [Double]
        public var verdict: String
        public init(label: String, panel: String, estimate: Double, low: Double?, high: Double?, threshold: Double, points: [Double], verdict: String) {
            self.label = label; self.panel = panel; self.estimate = estimate; self.low = low; self.high = high
            self.threshold = threshold; self.points = points; self.verdict = verdict
        }
    }

    public var title: String
    public var rows: [Row]

    public init(title: String = "", rows: [Row]) {
        self.title = title
        self.rows = rows
    }

    static let verdictColors = ["supported": "#009E73", "not supported": "#D55E00", "inconclusive": "#555555", "not judged": "#999999"]

    public func render(width: Double = 980) -> SVGDocument {
        let n = SVGDocument.number
        let panels = BarChart.ordered(rows.map(\.panel))
        let rowHeight = 22.0, panelGap = 58.0, top = 46.0
        let labelWidth = min(520, 16 + (rows.map { TextBox.width(of: $0.label, fontSize: 11) }.max() ?? 60))
        let left = labelWidth, right = width - 118
        let height = top + Double(rows.count) * rowHeight + Double(panels.count) * panelGap + 10
        var svg = SVGDocument(width: width, height: height)
        if !title.isEmpty { svg.add("text", ["x": "8", "y": "18", "font-weight": "bold"], text: TextBox.fitted(title, width: width - 16, bold: true)) }
        var y = top
        for panel in panels {
            let inPanel = rows.filter { $0.panel == panel }
            var values = inPanel.flatMap { [$0.estimate, $0.low ?? $0.estimate, $0.high ?? $0.estimate, $0.threshold] + $0.points }
            values = values.filter(\.isFinite)
            if values.isEmpty { values = [0, 1] }
            let bottom = y + 10 + Double(inPanel.count) * rowHeight
            let sx = LinearScale(covering: values, pixels: (left, right), targetTicks: 6)
            svg.add("text", ["x": n(left), "y": n(y + 2), "font-weight": "bold", "fill": "#333"], text: TextBox.fitted(panel, width: right - left, bold: true))
            for t in sx.ticks {
                svg.add("line", ["x1": n(sx(t)), "y1": n(y + 8), "x2": n(sx(t)), "y2": n(bottom), "stroke": "#e6e6e6"])
                svg.add("text", ["x": n(sx(t)), "y": n(bottom + 14), "text-anchor": "middle", "fill": "#333", "font-size": "11"], text: sx.label(t))
            }
            svg.add("rect", ["x": n(left), "y": n(y + 8), "width": n(right - left), "height": n(bottom - y - 8), "fill": "none", "stroke": "#444"])
            svg.record(PlotArea(name: "panel '\(panel)'", x: left, y: y + 8, width: right - left, height: bottom - y - 8))
            for (k, r) in inPanel.enumerated() {
                let cy = y + 10 + (Double(k) + 0.5) * rowHeight
                svg.add("text", ["x": n(left - 8), "y": n(cy + 4), "text-anchor": "end", "fill": "#222", "font-size": "11"],
                        text: TextBox.fitted(r.label, width: left - 12, fontSize: 11))
                if r.threshold.isFinite {
                    svg.add("line", ["x1": n(sx(r.threshold)), "y1": n(cy - rowHeight / 2), "x2": n(sx(r.threshold)), "y2": n(cy + rowHeight / 2),
                                     "stroke": "#444", "stroke-dasharray": "4 3"])
                }
                let color = Self.verdictColors[r.verdict] ?? "#555555"
                if let lo = r.low, let hi = r.high, lo.isFinite, hi.isFinite {
                    svg.add("line", ["x1": n(sx(lo)), "y1": n(cy), "x2": n(sx(hi)), "y2": n(cy), "stroke": color, "stroke-width": "2.2"])
                }
                for p in r.points where p.isFinite {
                    svg.add("circle", ["cx": n(sx(p)), "cy": n(cy - 6), "r": "2.6", "fill": "#0072B2", "fill-opacity": "0.75"])
                }
                if r.estimate.isFinite {
                    let ex = sx(r.estimate)
                    svg.add("path", ["d": "M\(n(ex)) \(n(cy - 5))L\(n(ex + 5)) \(n(cy))L\(n(ex)) \(n(cy + 5))L\(n(ex - 5)) \(n(cy))Z", "fill": color])
                }
                svg.add("text", ["x": n(right + 8), "y": n(cy + 4), "fill": color, "font-size": "11"], text: r.verdict)
            }
            y = bottom + panelGap - 10
        }
        // Legend under the title.
        let ly = 30.0
        svg.add("circle", ["cx": n(left + 6), "cy": n(ly - 4), "r": "2.6", "fill": "#0072B2"])
        svg.add("text", ["x": n(left + 14), "y": n(ly), "font-size": "11", "fill": "#333"], text: "one replicate")
        svg.add("path", ["d": "M\(n(left + 110)) \(n(ly - 9))L\(n(left + 115)) \(n(ly - 4))L\(n(left + 110)) \(n(ly + 1))L\(n(left + 105)) \(n(ly - 4))Z", "fill": "#555"])
        svg.add("text", ["x": n(left + 120), "y": n(ly), "font-size": "11", "fill": "#333"], text: "mean, with its t-interval; dashed: threshold")
        return svg
    }
}
