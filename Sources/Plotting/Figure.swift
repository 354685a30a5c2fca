import Foundation

/// Panels on a grid with one shared legend on the right (a series keeps its colour in every panel) and an optional
/// title on top.
public struct Figure: Sendable {
    public var title: String?
    public var panels: [LineChart]
    public var columns: Int
    public var panelWidth: Double
    public var panelHeight: Double

    public init(title: String? = nil, panels: [LineChart], columns: Int = 2, panelWidth: Double = 420, panelHeight: Double = 300) {
        self.title = title
        self.panels = panels
        self.columns = max(1, min(columns, max(1, panels.count)))
        self.panelWidth = panelWidth
        self.panelHeight = panelHeight
    }

    /// `title` on one line, or on two broken after the ": " or "; " (else the space) nearest its middle, when one is
    /// wider than `width`.
    static func lines(_ title: String, width: Double) -> [String] {
        guard TextBox.width(of: title, fontSize: 15, bold: true) > width else { return [title] }
        let chars = Array(title), middle = chars.count / 2
        let breaks = chars.indices.filter { $0 > 0 && chars[$0] == " " }
        func fits(_ cut: Int) -> Bool {
            TextBox.width(of: String(chars[..<cut]), fontSize: 15, bold: true) <= width
                && TextBox.width(of: String(chars[(cut + 1)...]), fontSize: 15, bold: true) <= width
        }
        let preferred = breaks.filter { [":", ";"].contains(chars[$0 - 1]) && fits($0) }
        guard let cut = (preferred.isEmpty ? breaks : preferred).min(by: { abs($0 - middle) < abs($1 - middle) }) else { return [title] }
        return [String(chars[..<cut]), String(chars[(cut + 1)...])]
    }

    /// Series names in order of first appearance over the panels.
    public var seriesNames: [String] {
        var seen = Set<String>(), names: [String] = []
        for panel in panels { for s in panel.series where seen.insert(s.name).inserted { names.append(s.name) } }
        return names
    }

    public func render() -> SVGDocument {
        let names = seriesNames
        let styles = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($0.element, SeriesStyle(index: $0.offset)) })
        // A legend is only needed to tell several series apart; a name longer than 40 characters is cut.
        let shown = names.map { TextBox.fitted($0, width: TextBox.width(of: String(repeating: "m", count: 40))) }
        let legendWidth = names.count > 1 ? 40 + (shown.map { TextBox.width(of: $0) }.max() ?? 0) : 0
        let rows = (panels.count + columns - 1) / columns
        let width = Double(columns) * panelWidth + legendWidth + 8
        // A title too long for one line breaks after the colon or semicolon nearest its middle (else a space).
        let titleLines = title.map { Figure.lines($0, width: width - 8) } ?? []
        let titleHeight = title == nil ? 0.0 : 30 + 18 * Double(titleLines.count - 1)
        let legendBottom = names.count > 1 ? titleHeight + LineChart.margin.top + 8 + Double(names.count) * 18 : 0
        let height = max(titleHeight + Double(max(rows, 1)) * panelHeight + 6, legendBottom)
        var svg = SVGDocument(width: width, height: height)
        for (k, line) in titleLines.enumerated() {
            svg.add("text", ["x": SVGDocument.number(width / 2), "y": SVGDocument.number(20 + 18 * Double(k)), "text-anchor": "middle", "font-size": "15",
                             "font-weight": "bold"], text: TextBox.fitted(line, width: width - 8, fontSize: 15, bold: true))
        }
        for (index, panel) in panels.enumerated() {
            let frame = (x: 4 + Double(index % columns) * panelWidth, y: titleHeight + Double(index / columns) * panelHeight,
                         width: panelWidth, height: panelHeight)
            panel.draw(into: &svg, frame: frame, styles: styles, clipID: "plot-area-\(index + 1)")
        }
        if legendWidth > 0 {
            let x = 4 + Double(columns) * panelWidth + 8
            let n = SVGDocument.number
            for (i, name) in names.enumerated() {
                let y = titleHeight + LineChart.margin.top + 8 + Double(i) * 18
                let style = styles[name]!
                svg.add("line", ["x1": n(x), "y1": n(y), "x2": n(x + 24), "y2": n(y), "stroke": style.color,
                                 "stroke-width": "2", "stroke-dasharray": style.dash])
                svg.add("text", ["x": n(x + 30), "y": n(y + 4)], text: shown[i])
            }
        }
        return svg
    }
}
