import Foundation

/// A vertical colour bar: the colour map over a value range as a strip of 64 bands, labelled ticks on its right, the
/// contour levels (if any) marked across it, and a rotated label right of the tick labels.
public struct ColorBar: Sendable {
    public var range: (Double, Double)
    public var label: String
    public var levels: [Double]
    public var width = 14.0

    public init(range: (Double, Double), label: String, levels: [Double] = []) {
        self.range = range
        self.label = label
        self.levels = levels
    }

    func scale(top: Double, bottom: Double) -> LinearScale {
        LinearScale(covering: [], pixels: (bottom, top), targetTicks: max(2, Int((bottom - top) / 50)), domain: range)
    }

    /// The widest tick label at this height.
    func tickLabelWidth(top: Double, bottom: Double) -> Double {
        let s = scale(top: top, bottom: bottom)
        return s.ticks.map { TextBox.width(of: s.label($0), fontSize: 10) }.max() ?? 0
    }

    /// How far right of its x the bar with its ticks and label reaches.
    func extent(top: Double, bottom: Double) -> Double {
        width + 7 + tickLabelWidth(top: top, bottom: bottom) + (label.isEmpty ? 0 : 16)
    }

    func draw(into svg: inout SVGDocument, x: Double, top: Double, bottom: Double) {
        let n = SVGDocument.number, bands = 64
        let map = ColorMap.viridis
        let h = (bottom - top) / Double(bands)
        for b in 0..<bands {
            let t = (Double(b) + 0.5) / Double(bands)
            let y = bottom - Double(b + 1) * h
            svg.add("rect", ["x": n(x), "y": n(y), "width": n(width), "height": n(h + 0.5), "fill": map.color(t)])
        }
        svg.add("rect", ["x": n(x), "y": n(top), "width": n(width), "height": n(bottom - top), "fill": "none", "stroke": "#444"])
        svg.record(PlotArea(name: "colour bar '\(label)'", x: x, y: top, width: width, height: bottom - top))
        let scale = scale(top: top, bottom: bottom)
        for tk in scale.ticks {
            let p = scale(tk)
            svg.add("line", ["x1": n(x + width), "y1": n(p), "x2": n(x + width + 4), "y2": n(p), "stroke": "#444"])
            svg.add("text", ["x": n(x + width + 7), "y": n(p + 4), "fill": "#333", "font-size": "10"], text: scale.label(tk))
        }
        for level in levels where level > range.0 && level < range.1 {
            let p = scale(level)
            svg.add("line", ["x1": n(x), "y1": n(p), "x2": n(x + width), "y2": n(p), "stroke": "white", "stroke-width": "1.1"])
        }
        if !label.isEmpty {
            let cx = x + width + 7 + tickLabelWidth(top: top, bottom: bottom) + 13, cy = (top + bottom) / 2
            svg.add("text", ["x": n(cx), "y": n(cy), "text-anchor": "middle", "transform": "rotate(-90 \(n(cx)) \(n(cy)))"],
                    text: TextBox.fitted(label, width: bottom - top))
        }
    }
}
