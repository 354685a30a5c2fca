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

    /// Series names in order of first appearance over the panels.
    public var seriesNames: [String] {
        var seen = Set<String>(), names: [String] = []
        for panel in panels { for s in panel.series where seen.insert(s.name).inserted { names.append(s.name) } }
        return names
    }

    public func render() -> SVGDocument {
        let names = seriesNames
        let styles = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($0.element, SeriesStyle(index: $0.offset)) })
        // A legend is only needed to tell several series apart.
        let legendWidth = names.count > 1 ? 44 + 7 * Double(names.map(\.count).max() ?? 0) : 0
        let titleHeight = title == nil ? 0.0 : 30
        let rows = (panels.count + columns - 1) / columns
        let width = Double(columns) * panelWidth + legendWidth + 8
        let height = titleHeight + Double(max(rows, 1)) * panelHeight + 6
        var svg = SVGDocument(width: width, height: height)
        if let title {
            svg.add("text", ["x": SVGDocument.number(width / 2), "y": "20", "text-anchor": "middle", "font-size": "15",
                             "font-weight": "bold"], text: title)
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
                svg.add("text", ["x": n(x + 30), "y": n(y + 4)], text: name)
            }
        }
        return svg
    }
}
