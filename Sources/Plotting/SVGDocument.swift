import Foundation
import Storage

/// A minimal SVG writer: elements appended in order, attribute values escaped, coordinates printed with two decimals
/// (so the same figure always gives the same bytes).
public struct SVGDocument: Sendable {
    public let width: Double
    public let height: Double
    private var body: [String] = []
    private var definitions: [String] = []
    /// The estimated box of every text element, in order, and the plot areas recorded: what `LayoutCheck` checks.
    public private(set) var textBoxes: [TextBox] = []
    public private(set) var plotAreas: [PlotArea] = []

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// An element `<name attributes/>`, or `<name attributes>text</name>` when `text` is given; an attribute whose
    /// value is nil is left out (e.g. the dash pattern of a solid line). A text `inPlot` labels the data where they are
    /// (a contour's level) and may lie on a plot area; any other text may not.
    public mutating func add(_ name: String, _ attributes: KeyValuePairs<String, String?>, text: String? = nil, inPlot: Bool = false) {
        body.append(SVGDocument.element(name, attributes, text: text))
        if name == "text", let text, let box = TextBox(attributes: attributes, text: text, inPlot: inPlot) { textBoxes.append(box) }
    }

    /// Records a region where data are drawn, for the layout check (nothing is written).
    public mutating func record(_ area: PlotArea) { plotAreas.append(area) }

    /// A raw group opening / closing, for nested structure (`<g clip-path=...>` ... `</g>`).
    public mutating func open(_ name: String, _ attributes: KeyValuePairs<String, String?>) {
        body.append("<\(name)" + SVGDocument.attributeText(attributes) + ">")
    }

    public mutating func close(_ name: String) { body.append("</\(name)>") }

    /// A rectangular clip path named `id`.
    public mutating func defineClip(id: String, x: Double, y: Double, width: Double, height: Double) {
        definitions.append("<clipPath id=\"\(SVGDocument.escape(id))\"><rect x=\"\(SVGDocument.number(x))\" y=\"\(SVGDocument.number(y))\" "
                           + "width=\"\(SVGDocument.number(width))\" height=\"\(SVGDocument.number(height))\"/></clipPath>")
    }

    public var text: String {
        var lines = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                     "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(SVGDocument.number(width))\" height=\"\(SVGDocument.number(height))\" "
                     + "viewBox=\"0 0 \(SVGDocument.number(width)) \(SVGDocument.number(height))\" "
                     + "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">"]
        if !definitions.isEmpty { lines.append("<defs>" + definitions.joined() + "</defs>") }
        lines.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>")
        lines += body
        lines.append("</svg>")
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes the document to `url` crash-safely (`AtomicFile`), so a reader never sees half a figure.
    public func write(to url: URL) throws {
        try AtomicFile.write(text, to: url)
    }

    /// Two decimals, trailing zeros dropped, never "-0".
    public static func number(_ value: Double) -> String {
        var text = String(format: "%.2f", value)
        while text.contains(".") && (text.hasSuffix("0") || text.hasSuffix(".")) { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    /// Text and attribute values with &, <, >, " and ' escaped; control characters XML cannot hold become spaces.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                if let ascii = c.asciiValue, ascii < 0x20 { out += " " } else { out.append(c) }
            }
        }
        return out
    }

    static func attributeText(_ attributes: KeyValuePairs<String, String?>) -> String {
        attributes.compactMap { key, value in value.map { " \(key)=\"\(escape($0))\"" } }.joined()
    }

    static func element(_ name: String, _ attributes: KeyValuePairs<String, String?>, text: String?) -> String {
        let open = "<\(name)" + attributeText(attributes)
        guard let text else { return open + "/>" }
        return open + ">" + escape(text) + "</\(name)>"
    }
}
