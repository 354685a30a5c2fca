import Foundation

/// One panel of grouped bars: categories along x (in the order given), one bar per series within each category
/// (Okabe–Ito colours, a legend when there are several), optional error bars from `lower`…`upper` and dots over a
/// bar (e.g. each replicate's value), a linear y axis
/// from zero (or the data's range when it excludes zero) or a log10 one. The paper's Fig. 3 is this with modules as
/// categories and the models' eigenvalue ratios as series.
public struct BarChart: Sendable {
    public struct Bar: Sendable, Equatable {
        public var category: String, series: String, value: Double
        public var lower: Double?, upper: Double?
        public init(category: String, series: String, value: Double, lower: Double? = nil, upper: Double? = nil) {
            self.category = category; self.series = series; self.value = value; self.lower = lower; self.upper = upper
        }
    }

    /// A value drawn as a dot over its bar (e.g. one replicate's).
    public struct Dot: Sendable, Equatable {
        public var category: String, series: String, value: Double
        public init(category: String, series: String, value: Double) { self.category = category; self.series = series; self.value = value }
    }

    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var bars: [Bar]
    public var ySpacing: AxisSpacing
    public var yDomain: (Double, Double)?
    /// A horizontal reference line (e.g. a ratio of 1).
    public var reference: Double?
    /// Values drawn as dots over their bars, spread across the bar's width in the order given.
    public var dots: [Dot] = []

    public init(title: String = "", xLabel: String = "", yLabel: String = "", bars: [Bar], ySpacing: AxisSpacing = .linear,
                yDomain: (Double, Double)? = nil, reference: Double? = nil) {
        self.title = title; self.xLabel = xLabel; self.yLabel = yLabel; self.bars = bars
        self.ySpacing = ySpacing; self.yDomain = yDomain; self.reference = reference
    }

    /// Distinct values in order of first appearance.
    public static func ordered(_ values: [String]) -> [String] {
        var seen = Set<String>()
        return values.filter { seen.insert($0).inserted }
    }

    public var categories: [String] { BarChart.ordered(bars.map(\.category)) }
    public var seriesNames: [String] { BarChart.ordered(bars.map(\.series)) }

    public func render(width: Double = 640, height: Double = 360) -> SVGDocument {
        let n = SVGDocument.number, m = LineChart.margin
        let names = seriesNames, cats = categories
        let shown = names.map { TextBox.fitted($0, width: TextBox.width(of: String(repeating: "m", count: 40))) }
        let legend = names.count > 1 ? 40 + (shown.map { TextBox.width(of: $0) }.max() ?? 0) : 0
        let fullHeight = max(height, names.count > 1 ? m.top + 8 + Double(names.count) * 18 : 0)
        var svg = SVGDocument(width: width + legend, height: fullHeight)
        let top = m.top, bottom = height - m.bottom
        var ys = bars.flatMap { [$0.value, $0.lower ?? $0.value, $0.upper ?? $0.value] } + dots.map(\.value).filter { ySpacing == .linear || $0 > 0 }
        if ySpacing == .linear { ys.append(0) }
        if let reference { ys.append(reference) }
        let sy = ySpacing.scale(covering: ys, pixels: (bottom, top), targetTicks: max(2, Int((bottom - top) / 50)), domain: yDomain)
        let left = max(m.left, 36 + (sy.ticks.map { TextBox.width(of: sy.label($0)) }.max() ?? 0)), right = width - m.right
        for t in sy.ticks {
            let p = sy(t)
            svg.add("line", ["x1": n(left), "y1": n(p), "x2": n(right), "y2": n(p), "stroke": "#e6e6e6"])
            svg.add("text", ["x": n(left - 7), "y": n(p + 4), "text-anchor": "end", "fill": "#333"], text: sy.label(t))
        }
        let slot = (right - left) / Double(max(cats.count, 1))
        let barWidth = slot * 0.8 / Double(max(names.count, 1))
        // Bars grow from zero, or on a log axis from the reference (a ratio of 1) when there is one.
        let base = ySpacing == .linear ? sy(max(0, sy.ticks.first ?? 0)) : reference.map { min(max(sy($0), top), bottom) } ?? sy.pixelStart
        for (ci, c) in cats.enumerated() {
            let x0 = left + Double(ci) * slot + slot * 0.1
            svg.add("text", ["x": n(left + (Double(ci) + 0.5) * slot), "y": n(bottom + 17), "text-anchor": "middle", "fill": "#333"],
                    text: TextBox.fitted(c, width: slot - 6))
            for (si, s) in names.enumerated() {
                guard let b = bars.first(where: { $0.category == c && $0.series == s }), b.value.isFinite,
                      ySpacing == .linear || b.value > 0 else { continue }
                let color = SeriesStyle(index: si).color
                let x = x0 + Double(si) * barWidth, top = min(sy(b.value), base), h = abs(sy(b.value) - base)
                svg.add("rect", ["x": n(x), "y": n(top), "width": n(barWidth * 0.92), "height": n(h), "fill": color])
                // Dots over the bar, spread across its middle, white-rimmed so they show on the bar and off it.
                let mine = dots.filter { $0.category == c && $0.series == s && $0.value.isFinite && (ySpacing == .linear || $0.value > 0) }
                for (k, d) in mine.enumerated() {
                    let dx = mine.count == 1 ? 0.5 : 0.2 + 0.52 * Double(k) / Double(mine.count - 1)
                    svg.add("circle", ["cx": n(x + barWidth * 0.92 * dx), "cy": n(sy(d.value)), "r": "2.6", "fill": "#222",
                                       "fill-opacity": "0.75", "stroke": "#fff", "stroke-width": "0.8"])
                }
                if let lo = b.lower, let hi = b.upper, lo.isFinite, hi.isFinite, ySpacing == .linear || lo > 0 {
                    let cx = x + barWidth * 0.46
                    svg.add("line", ["x1": n(cx), "y1": n(sy(lo)), "x2": n(cx), "y2": n(sy(hi)), "stroke": "#222", "stroke-width": "1.2"])
                    for v in [lo, hi] {
                        svg.add("line", ["x1": n(cx - 3), "y1": n(sy(v)), "x2": n(cx + 3), "y2": n(sy(v)), "stroke": "#222", "stroke-width": "1.2"])
                    }
                }
            }
        }
        if let reference, ySpacing == .linear || reference > 0 {
            svg.add("line", ["x1": n(left), "y1": n(sy(reference)), "x2": n(right), "y2": n(sy(reference)), "stroke": "#444",
                             "stroke-dasharray": "4 3"])
        }
        svg.add("rect", ["x": n(left), "y": n(top), "width": n(right - left), "height": n(bottom - top), "fill": "none", "stroke": "#444"])
        svg.record(PlotArea(name: "plot area", x: left, y: top, width: right - left, height: bottom - top))
        if !title.isEmpty {
            svg.add("text", ["x": n(left), "y": "17", "font-weight": "bold"], text: TextBox.fitted(title, width: width + legend - left - 4, bold: true))
        }
        if !xLabel.isEmpty {
            svg.add("text", ["x": n((left + right) / 2), "y": n(bottom + 36), "text-anchor": "middle"], text: TextBox.fitted(xLabel, width: right - left))
        }
        if !yLabel.isEmpty {
            let cy = (top + bottom) / 2
            svg.add("text", ["x": "14", "y": n(cy), "text-anchor": "middle", "transform": "rotate(-90 14 \(n(cy)))"],
                    text: TextBox.fitted(yLabel, width: bottom - top))
        }
        if legend > 0 {
            for i in names.indices {
                let y = top + 8 + Double(i) * 18
                svg.add("rect", ["x": n(width + 4), "y": n(y - 9), "width": "12", "height": "12", "fill": SeriesStyle(index: i).color])
                svg.add("text", ["x": n(width + 22), "y": n(y + 2)], text: shown[i])
            }
        }
        return svg
    }
}
