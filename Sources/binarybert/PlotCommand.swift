import ArgumentParser
import Foundation
import Plotting

/// What `binarybert plot` draws.
enum PlotKind: String, ExpressibleByArgument, CaseIterable {
    case line, heatmap, contour, surface, bar
}

/// `binarybert plot`: line charts, heatmaps and contour maps from a tidy CSV file (one row per observation) to SVG,
/// for analysis scripts and the report's figures.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plot",
        abstract: "Draw line charts, heatmaps or contour maps from a tidy CSV file into an SVG figure.",
        discussion: """
        Each row is one observation. --kind line (the default): --x and --y name numeric columns; --group makes one line per value of a column,
        --panel one panel per value of another (panels share a legend and colours). Rows repeating an x within a line
        (several seeds) are averaged, with a band of ± one standard deviation (--band). Empty cells break a line
        (or are skipped, with --connect-gaps).
        Example:
          binarybert plot --csv Plots/training-curves.csv --x epoch --y dev_accuracy --group model --panel panel \\
            --panel-format "{}" --output Plots/training-curves.svg
        --kind heatmap / contour / surface: --x and --y name the grid's coordinates and --z the value; one panel per
        --panel value, every panel on one colour scale (viridis, with a colour bar); contour adds --levels labelled
        contour lines (heatmap: only with --levels); surface draws a shaded 3-D mesh. Example:
          binarybert plot --kind contour --csv runs/ones-bwn/surface.csv --x x --y y --z loss --levels 8 \\
            --output runs/ones-bwn/surface.svg
        """)

    @Option(help: "What to draw: \(PlotKind.allCases.map(\.rawValue).joined(separator: ", ")).") var kind: PlotKind = .line
    @Option(help: "Heatmap/contour: the column of the value drawn.") var z: String?
    @Option(help: "Heatmap/contour: number of contour levels (evenly spaced round values; contour default 8).") var levels: Int?
    @Option(help: "Heatmap/contour: the colour bar's label (default: the z column).") var colorLabel: String?
    @Option(help: "Bar: columns of each bar's error-bar ends (LOWER,UPPER).") var errorColumns: String?
    @Option(help: "Bar: a dashed reference line at this y (e.g. 1 for ratios).") var reference: Double?
    @Option(help: "y axis spacing: linear, or log10 (spectral densities; non-positive values are not drawn).") var ySpacing = "linear"

    @Option(help: "Tidy CSV file with a header row.") var csv: String
    @Option(help: "Column for the x axis.") var x: String
    @Option(help: "Column(s) for the y axis (repeat for several lines).") var y: [String]
    @Option(help: "One line per value of this column.") var group: String?
    @Option(help: "One panel per value of this column.") var panel: String?
    @Option(name: .customLong("where"), help: "Keep only rows whose COLUMN equals VALUE (COLUMN=VALUE; repeatable, all must hold).")
    var filters: [String] = []
    @Option(help: "Band around a line whose x repeats: std (± one standard deviation), range (min…max) or none.")
    var band: String = "std"
    @Option(help: "Figure title.") var title: String?
    @Option(help: "x axis label (default: the x column).") var xLabel: String?
    @Option(help: "y axis label (default: the y column(s)).") var yLabel: String?
    @Option(help: "Panel title, {} standing for the panel's value (default: \"COLUMN {}\").") var panelFormat: String?
    @Option(help: "Fixed x range LOW,HIGH.") var xRange: String?
    @Option(help: "Fixed y range LOW,HIGH.") var yRange: String?
    @Option(help: "x axis spacing: linear, or log2 (equal ratios, ticks at powers of two; every x must be positive).")
    var xSpacing = "linear"
    @Flag(help: "Drop rows with an empty y instead of breaking the line there.") var connectGaps = false
    @Option(help: "Panels per row.") var columns = 2
    @Option(help: "Output SVG file.") var output: String

    func run() throws {
        if kind == .bar { return try runBar() }
        if kind != .line { return try runGrid() }
        guard let bandKind = Series.Band(rawValue: band) else {
            throw ValidationError("--band must be one of \(Series.Band.allCases.map(\.rawValue).joined(separator: ", ")), not '\(band)'")
        }
        guard let spacing = AxisSpacing(rawValue: xSpacing) else {
            throw ValidationError("--x-spacing must be one of \(AxisSpacing.allCases.map(\.rawValue).joined(separator: ", ")), not '\(xSpacing)'")
        }
        let yAxis = try self.yAxis()
        if yAxis != .linear, let (lo, _) = try yRange.map({ try Self.range($0, option: "--y-range") }), lo <= 0 {
            throw ValidationError("--y-range of a log10 axis must be positive")
        }
        guard columns >= 1 else { throw ValidationError("--columns must be at least 1") }
        let xDomain = try xRange.map { try Self.range($0, option: "--x-range") }
        if spacing != .linear, let (lo, _) = xDomain, lo <= 0 { throw ValidationError("--x-range of a log axis must be positive") }
        let yDomain = try yRange.map { try Self.range($0, option: "--y-range") }
        let table = try CSVTable(contentsOf: URL(fileURLWithPath: csv))
        let xColumn = try table.column(x)
        let yColumns = try y.map { try table.column($0) }
        guard !yColumns.isEmpty else { throw ValidationError("give at least one --y column") }
        let groupColumn = try group.map { try table.column($0) }
        let panelColumn = try panel.map { try table.column($0) }
        let kept = try keptRows(table)

        // Panels and lines in order of first appearance, so the same file always gives the same figure.
        var panelKeys: [String] = [], lineKeys: [String: [String]] = [:]
        var points: [String: [String: (x: [Double], y: [Double])]] = [:]
        for r in kept {
            let panelKey = panelColumn.map { table.rows[r][$0] } ?? ""
            if points[panelKey] == nil { panelKeys.append(panelKey); points[panelKey] = [:] }
            let xv = try table.number(row: r, column: xColumn)
            if spacing != .linear && xv <= 0 {
                throw PlottingError.notPositive(path: csv, line: table.lines[r], column: x, value: table.rows[r][xColumn])
            }
            let groupValue = groupColumn.map { table.rows[r][$0] }
            for (k, yc) in yColumns.enumerated() {
                let name = switch (groupValue, yColumns.count) {
                case (nil, _): y[k]
                case (let g?, 1): g
                case (let g?, _): "\(g) · \(y[k])"
                }
                let yv = try table.number(row: r, column: yc)
                if connectGaps && !yv.isFinite { continue }
                if points[panelKey]![name] == nil { lineKeys[panelKey, default: []].append(name); points[panelKey]![name] = ([], []) }
                points[panelKey]![name]!.x.append(xv)
                points[panelKey]![name]!.y.append(yv)
            }
        }
        let format = panelFormat ?? (panel.map { "\($0) {}" } ?? "{}")
        let panels = panelKeys.map { key in
            LineChart(title: panel == nil ? "" : format.replacingOccurrences(of: "{}", with: key),
                      xLabel: xLabel ?? x, yLabel: yLabel ?? y.joined(separator: ", "),
                      series: lineKeys[key, default: []].map { name in
                          let p = points[key]![name]!
                          return Series.aggregating(name: name, x: p.x, y: p.y, band: bandKind)
                      },
                      xDomain: xDomain, yDomain: yDomain, xSpacing: spacing, ySpacing: yAxis)
        }
        let figure = Figure(title: title, panels: panels, columns: columns)
        try figure.render().write(to: URL(fileURLWithPath: output))
        try printJSONLine(PlotReport(output: output, panels: panels.count, series: figure.seriesNames, rows: kept.count))
    }

    /// The y axis spacing: linear or log10.
    func yAxis() throws -> AxisSpacing {
        guard let s = AxisSpacing(rawValue: ySpacing), s != .log2 else {
            throw ValidationError("--y-spacing must be linear or log10, not '\(ySpacing)'")
        }
        return s
    }

    /// Grouped bars: --x the category, --y the value, --group the series, --error-columns LOWER,UPPER the error bars.
    func runBar() throws {
        guard y.count == 1 else { throw ValidationError("--kind bar takes one --y column (the bar's value), not \(y.count)") }
        if let reference, !reference.isFinite { throw ValidationError("--reference must be a finite number") }
        guard panel == nil else { throw ValidationError("--kind bar draws one panel: filter with --where") }
        let yAxis = try self.yAxis()
        let table = try CSVTable(contentsOf: URL(fileURLWithPath: csv))
        let (xc, yc) = (try table.column(x), try table.column(y[0]))
        let gc = try group.map { try table.column($0) }
        var errors: (Int, Int)?
        if let errorColumns {
            let parts = errorColumns.split(separator: ",").map(String.init)
            guard parts.count == 2 else { throw ValidationError("--error-columns takes LOWER,UPPER, not '\(errorColumns)'") }
            errors = (try table.column(parts[0]), try table.column(parts[1]))
        }
        let kept = try keptRows(table)
        var bars: [BarChart.Bar] = []
        for r in kept {
            let category = table.rows[r][xc], series = gc.map { table.rows[r][$0] } ?? y[0]
            if bars.contains(where: { $0.category == category && $0.series == series }) {
                throw PlottingError.malformedCSV(path: csv, line: table.lines[r], reason: "a second bar for \(category) / \(series) (filter with --where)")
            }
            bars.append(BarChart.Bar(category: category, series: series, value: try table.number(row: r, column: yc),
                                     lower: try errors.map { try table.number(row: r, column: $0.0) },
                                     upper: try errors.map { try table.number(row: r, column: $0.1) }))
        }
        let chart = BarChart(title: title ?? "", xLabel: xLabel ?? x, yLabel: yLabel ?? y[0], bars: bars, ySpacing: yAxis,
                             yDomain: try yRange.map { try Self.range($0, option: "--y-range") }, reference: reference)
        try chart.render().write(to: URL(fileURLWithPath: output))
        try printJSONLine(PlotReport(output: output, panels: 1, series: chart.seriesNames, rows: kept.count))
    }

    /// Heatmap and contour panels.
    func runGrid() throws {
        guard let z else { throw ValidationError("--kind \(kind.rawValue) needs --z COLUMN (the value drawn)") }
        guard y.count == 1 else { throw ValidationError("--kind \(kind.rawValue) takes one --y column (the grid's y), not \(y.count)") }
        guard group == nil else { throw ValidationError("--group is for line charts; use --panel for one heatmap per value") }
        let count = levels ?? (kind == .contour ? 8 : 0)
        guard (0...50).contains(count) else { throw ValidationError("--levels must be in 0...50, got \(count)") }
        guard columns >= 1 else { throw ValidationError("--columns must be at least 1") }
        let zRange = try yRange.map { try Self.range($0, option: "--y-range (the colour range)") }
        let table = try CSVTable(contentsOf: URL(fileURLWithPath: csv))
        let (xc, yc, zc) = (try table.column(x), try table.column(y[0]), try table.column(z))
        let panelColumn = try panel.map { try table.column($0) }
        let kept = try keptRows(table)
        var keys: [String] = [], rowsOf: [String: [Int]] = [:]
        for r in kept {
            let key = panelColumn.map { table.rows[r][$0] } ?? ""
            if rowsOf[key] == nil { keys.append(key) }
            rowsOf[key, default: []].append(r)
        }
        let fields = try keys.map { try GridField(table: table, x: xc, y: yc, z: zc, rows: rowsOf[$0]!) }
        let range = zRange ?? valueRange(fields.flatMap(\.values))
        let contourLevels = MarchingSquares.levels(lo: range.0, hi: range.1, count: count)
        let format = panelFormat ?? (panel.map { "\($0) {}" } ?? "{}")
        let panels: [any GridPanel] = try zip(keys, fields).map { key, f in
            let name = panel == nil ? "" : format.replacingOccurrences(of: "{}", with: key)
            if kind == .surface {
                return try SurfacePlot(title: name, xLabel: xLabel ?? x, yLabel: yLabel ?? y[0], xs: f.xs, ys: f.ys, values: f.values,
                                       colorRange: range, colorLabel: colorLabel ?? z)
            }
            return try Heatmap(title: name, xLabel: xLabel ?? x, yLabel: yLabel ?? y[0], xs: f.xs, ys: f.ys, values: f.values,
                               colorRange: range, contourLevels: contourLevels, colorLabel: colorLabel ?? z)
        }
        let figure = HeatmapFigure(title: title, panels: panels, columns: columns, sharedRange: range)
        try figure.render().write(to: URL(fileURLWithPath: output))
        try printJSONLine(GridPlotReport(output: output, kind: kind.rawValue, panels: panels.count, rows: kept.count,
                                         colorRange: [range.0, range.1], levels: contourLevels))
    }

    /// The rows every --where COLUMN=VALUE holds for (at least one).
    func keptRows(_ table: CSVTable) throws -> [Int] {
        var conditions: [(Int, String)] = []
        for filter in filters {
            guard let eq = filter.firstIndex(of: "=") else { throw ValidationError("--where takes COLUMN=VALUE, not '\(filter)'") }
            conditions.append((try table.column(String(filter[..<eq])), String(filter[filter.index(after: eq)...])))
        }
        let kept = table.rows.indices.filter { r in conditions.allSatisfy { table.rows[r][$0.0] == $0.1 } }
        guard !kept.isEmpty else { throw PlottingError.noData("no row of \(csv) matches \(filters.joined(separator: " and "))") }
        return kept
    }

    static func range(_ text: String, option: String) throws -> (Double, Double) {
        let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let lo = parts[0], let hi = parts[1], lo < hi else {
            throw ValidationError("\(option) takes LOW,HIGH with LOW < HIGH, not '\(text)'")
        }
        return (lo, hi)
    }
}

struct GridPlotReport: Encodable {
    let output: String, kind: String, panels: Int, rows: Int, colorRange: [Double], levels: [Double]
    enum CodingKeys: String, CodingKey { case output, kind, panels, rows, levels, colorRange = "color_range" }
}

struct PlotReport: Encodable {
    let output: String
    let panels: Int
    let series: [String]
    let rows: Int
}
