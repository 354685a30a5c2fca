import Foundation

/// The box a text element of a figure occupies, estimated from its font size and its length (the same estimate the
/// renderers use to make room for labels): Helvetica's average advance is about 0.58 em (0.63 em bold), a line
/// reaches 0.78 em above its baseline and 0.22 em below. A rotated label (`rotate(-90 cx cy)`) stands on its side.
public struct TextBox: Sendable, Equatable {
    public var text: String
    public var minX: Double, minY: Double, maxX: Double, maxY: Double
    /// A label placed on the data on purpose (a contour's value, a marked eigenvalue): it may sit inside a plot area.
    public var inPlot: Bool

    public init(text: String, minX: Double, minY: Double, maxX: Double, maxY: Double, inPlot: Bool = false) {
        self.text = text
        self.minX = minX; self.minY = minY; self.maxX = maxX; self.maxY = maxY
        self.inPlot = inPlot
    }

    /// The box moved by (dx, dy).
    public func offset(_ dx: Double, _ dy: Double) -> TextBox {
        TextBox(text: text, minX: minX + dx, minY: minY + dy, maxX: maxX + dx, maxY: maxY + dy, inPlot: inPlot)
    }

    public var width: Double { maxX - minX }
    public var height: Double { maxY - minY }

    /// Whether the boxes share more than `tolerance` pixels in both directions.
    public func overlaps(_ other: TextBox, tolerance: Double = 0.5) -> Bool {
        min(maxX, other.maxX) - max(minX, other.minX) > tolerance && min(maxY, other.maxY) - max(minY, other.minY) > tolerance
    }

    /// The estimated advance of `text` at `fontSize`.
    public static func width(of text: String, fontSize: Double = 12, bold: Bool = false) -> Double {
        Double(text.count) * fontSize * (bold ? 0.63 : 0.58)
    }

    /// `text`, cut at the end with "…" so that it is at most `width` wide at `fontSize`.
    public static func fitted(_ text: String, width: Double, fontSize: Double = 12, bold: Bool = false) -> String {
        guard TextBox.width(of: text, fontSize: fontSize, bold: bold) > width else { return text }
        let keep = max(0, Int(width / (fontSize * (bold ? 0.63 : 0.58))) - 1)
        return String(text.prefix(keep)) + "…"
    }

    /// The box of a `<text>` element with these attributes (x, y, text-anchor, font-size, font-weight, transform).
    init?(attributes: KeyValuePairs<String, String?>, text: String, inPlot: Bool) {
        var a: [String: String] = [:]
        for (k, v) in attributes { if let v { a[k] = v } }
        guard let x = a["x"].flatMap(Double.init), let y = a["y"].flatMap(Double.init), !text.isEmpty else { return nil }
        let size = a["font-size"].flatMap(Double.init) ?? 12
        let w = TextBox.width(of: text, fontSize: size, bold: a["font-weight"] == "bold")
        let (start, end): (Double, Double) = switch a["text-anchor"] {
        case "middle": (-w / 2, w / 2)
        case "end": (-w, 0)
        default: (0, w)
        }
        let (above, below) = (0.78 * size, 0.22 * size)
        self.text = text
        self.inPlot = inPlot
        if let t = a["transform"], t.hasPrefix("rotate(-90") {
            // Turned a quarter counter-clockwise about (x, y): the run goes up, the ascent goes left.
            minX = x - above; maxX = x + below
            minY = y - end; maxY = y - start
        } else {
            minX = x + start; maxX = x + end
            minY = y - above; maxY = y + below
        }
    }
}
