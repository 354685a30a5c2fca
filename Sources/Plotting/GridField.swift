import Foundation

/// A field on a grid read from tidy rows (x, y, z): the distinct x and y values, sorted, and z at each (x, y), NaN
/// where no row gives one. The form `Heatmap` takes.
public struct GridField: Sendable {
    public let xs: [Double], ys: [Double]
    /// values[j·nx + i] = z at (xs[i], ys[j]).
    public let values: [Double]

    /// From rows `rows` of `table`; two rows at one (x, y) are refused, naming their lines.
    public init(table: CSVTable, x: Int, y: Int, z: Int, rows: [Int]) throws {
        var points: [(Double, Double, Double, Int)] = []
        for r in rows { points.append((try table.number(row: r, column: x), try table.number(row: r, column: y), try table.number(row: r, column: z), r)) }
        guard points.allSatisfy({ $0.0.isFinite && $0.1.isFinite }) else {
            throw PlottingError.badData("\(table.source): a grid's x and y must be numbers in every row")
        }
        let xs = Array(Set(points.map(\.0))).sorted(), ys = Array(Set(points.map(\.1))).sorted()
        guard !xs.isEmpty else { throw PlottingError.noData("\(table.source) has no rows to grid") }
        let xi = Dictionary(uniqueKeysWithValues: xs.enumerated().map { ($1, $0) })
        let yi = Dictionary(uniqueKeysWithValues: ys.enumerated().map { ($1, $0) })
        var values = [Double](repeating: .nan, count: xs.count * ys.count)
        var seen = [Int: Int]()
        for (px, py, pz, r) in points {
            let k = yi[py]! * xs.count + xi[px]!
            if let earlier = seen[k] {
                throw PlottingError.malformedCSV(path: table.source, line: table.lines[r],
                                                 reason: "a second value at (\(px), \(py)), first on line \(table.lines[earlier]) (filter with --where or use --panel)")
            }
            seen[k] = r
            values[k] = pz
        }
        self.xs = xs
        self.ys = ys
        self.values = values
    }
}

/// The colour range of values: their finite minimum and maximum, a unit window around a constant, (0, 1) when none
/// is finite.
public func valueRange(_ values: [Double]) -> (Double, Double) {
    let finite = values.filter(\.isFinite)
    guard let lo = finite.min(), let hi = finite.max() else { return (0, 1) }
    return lo < hi ? (lo, hi) : (lo - 0.5, hi + 0.5)
}

/// Heatmap or surface panels on a grid, every panel on the same colour range (the union of their data's unless given), so that
/// colours compare across panels; each panel keeps its colour bar.
public struct HeatmapFigure: Sendable {
    public var title: String?
    public var panels: [any GridPanel]
    public var columns: Int
    public var panelWidth = 460.0, panelHeight = 360.0

    public init(title: String? = nil, panels: [any GridPanel], columns: Int = 3, sharedRange: (Double, Double)? = nil) {
        self.title = title
        self.columns = max(1, min(columns, max(1, panels.count)))
        let range = sharedRange ?? valueRange(panels.flatMap(\.values))
        self.panels = panels.map { var p = $0; p.colorRange = p.colorRange ?? range; return p }
    }

    public func render() -> SVGDocument {
        let width = Double(columns) * panelWidth + 8
        let titleLines = title.map { Figure.lines($0, width: width - 8) } ?? []
        let titleHeight = title == nil ? 0.0 : 30 + 18 * Double(titleLines.count - 1)
        let rows = (panels.count + columns - 1) / columns
        var svg = SVGDocument(width: width, height: titleHeight + Double(max(rows, 1)) * panelHeight + 6)
        for (k, line) in titleLines.enumerated() {
            svg.add("text", ["x": SVGDocument.number(width / 2), "y": SVGDocument.number(20 + 18 * Double(k)), "text-anchor": "middle", "font-size": "15",
                             "font-weight": "bold"], text: TextBox.fitted(line, width: width - 8, fontSize: 15, bold: true))
        }
        for (k, p) in panels.enumerated() {
            p.draw(into: &svg, frame: (4 + Double(k % columns) * panelWidth, titleHeight + Double(k / columns) * panelHeight, panelWidth, panelHeight),
                   clipID: "panel-\(k + 1)")
        }
        return svg
    }
}
