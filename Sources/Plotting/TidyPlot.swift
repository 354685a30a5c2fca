import Foundation
import Storage

/// A figure drawn from a tidy CSV table (one row per observation): what `binarybert plot` and the report draw.
/// `line` draws --x against --y per --group and --panel (with a replicate column: each replicate thin, their mean
/// bold); `density` is a line chart on a log10 y axis without bands whose missing or tiny values sit on the axis floor
/// and whose x range is fitted to the positive values; `heatmap`, `contour` and `surface` draw the grid x, y → z, one
/// panel per --panel value on one colour scale; `bar` draws grouped bars with optional error bars. Rows are used in
/// file order, so the same table always gives the same bytes.
public struct TidyPlot: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case line, heatmap, contour, surface, bar, density
    }

    public var kind: Kind
    public var x: String
    public var y: [String]
    public var z: String?
    public var group: String?
    public var panel: String?
    /// COLUMN=VALUE conditions; a row is kept when every one holds.
    public var filters: [String] = []
    public var band: Series.Band = .standardDeviation
    public var title: String?
    public var xLabel: String?
    public var yLabel: String?
    /// A panel's title, {} standing for its value (default "COLUMN {}").
    public var panelFormat: String?
    /// Titles of panels by their --panel value, in place of `panelFormat`'s.
    public var panelTitles: [String: String] = [:]
    public var xRange: (Double, Double)?
    public var yRange: (Double, Double)?
    public var xSpacing: AxisSpacing = .linear
    /// nil: linear, or log10 for `density`.
    public var ySpacing: AxisSpacing?
    public var connectGaps = false
    public var columns = 2
    /// Contour levels (nil: 8 for `contour`, none otherwise).
    public var levels: Int?
    public var colorLabel: String?
    /// Bar: the columns of each bar's error-bar ends.
    public var errorColumns: (lower: String, upper: String)?
    /// Bar: a dashed reference line at this y.
    public var reference: Double?
    /// Bar: a column of per-row values drawn as dots over their bar (e.g. each replicate's value); the rows of one bar
    /// then repeat its value and error-bar ends, one row per dot.
    public var points: String?
    /// Line: the column naming each row's replicate; each replicate's line is drawn thin, the mean over replicates
    /// at each x bold (no band).
    public var replicate: String?

    /// Refuses counts out of range and a reference that is not a number (one sentence naming the option).
    public func validate() throws {
        try OptionCheck.positive(levels, "--levels", max: 100)
        try OptionCheck.positive(columns, "--columns", max: 64)
        if let reference, !reference.isFinite { throw OptionError("--reference must be a finite number, not \(reference)") }
        if ySpacing == .log2 { throw OptionError("--y-spacing must be linear or log10, not log2") }
    }
    /// Line: how the x axis covers the data when `xRange` is not given.
    public var xFit: AxisFit = .nice
    /// Line: vertical rules in every panel, and in the panel of a given --panel value (or `overview`'s title).
    public var rules: [Rule] = []
    public var panelRules: [String: [Rule]] = [:]
    /// Line: the title of an extra first panel holding every line of every panel on one axis.
    public var overview: String?
    /// Contour: levels chosen in each panel's own range (so every panel that is not flat shows several), their
    /// labels with the same decimals in every panel; false: one set of levels over the shared range.
    public var panelLevels = false
    /// Surface: a second row of panels showing each panel's rise from the value at its grid's centre, on one scale.
    public var rise = false

    public init(kind: Kind = .line, x: String, y: [String]) {
        self.kind = kind
        self.x = x
        self.y = y
    }

    /// What was drawn (the JSON `binarybert plot` prints).
    public struct Summary: Encodable, Sendable {
        public var output: String?
        public var kind: String?
        public var panels: Int
        public var series: [String]?
        public var rows: Int
        public var colorRange: [Double]?
        public var levels: [Double]?
        enum CodingKeys: String, CodingKey { case output, kind, panels, series, rows, levels, colorRange = "color_range" }
    }

    /// Draws `table` (read from `source`, named in errors).
    /// Draws the tidy CSV file `csv` into the SVG file `output` and returns what was drawn.
    public func draw(csv: String, output: String) throws -> Summary {
        var (svg, summary) = try render(try CSVTable(contentsOf: URL(fileURLWithPath: csv)), source: csv)
        try svg.write(to: URL(fileURLWithPath: output))
        summary.output = output
        return summary
    }

    /// A range option's value LOW,HIGH (LOW < HIGH); `option` names it in the refusal.
    public static func range(parsing text: String, option: String) throws -> (Double, Double) {
        let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let lo = parts[0], let hi = parts[1], lo < hi else {
            throw PlottingError.badOption("\(option) takes LOW,HIGH with LOW < HIGH, not '\(text)'")
        }
        return (lo, hi)
    }

    public func render(_ table: CSVTable, source: String) throws -> (svg: SVGDocument, summary: Summary) {
        guard columns >= 1 else { throw PlottingError.badOption("--columns must be at least 1, not \(columns)") }
        if let (lo, hi) = xRange, !(lo < hi) { throw PlottingError.badOption("--x-range takes LOW,HIGH with LOW < HIGH") }
        if let (lo, hi) = yRange, !(lo < hi) { throw PlottingError.badOption("--y-range takes LOW,HIGH with LOW < HIGH") }
        switch kind {
        case .line, .density: return try renderLines(table, source: source)
        case .bar: return try renderBars(table, source: source)
        case .heatmap, .contour, .surface: return try renderGrid(table, source: source)
        }
    }

    func yAxis() throws -> AxisSpacing {
        let s = ySpacing ?? (kind == .density ? .log10 : .linear)
        guard s != .log2 else { throw PlottingError.badOption("--y-spacing must be linear or log10, not log2") }
        return s
    }

    func renderLines(_ table: CSVTable, source: String) throws -> (svg: SVGDocument, summary: Summary) {
        let yAxis = try self.yAxis()
        if yAxis != .linear, let (lo, _) = yRange, lo <= 0 { throw PlottingError.badOption("--y-range of a log10 axis must be positive") }
        if xSpacing != .linear, let (lo, _) = xRange, lo <= 0 { throw PlottingError.badOption("--x-range of a log axis must be positive") }
        let xColumn = try table.column(x)
        let yColumns = try y.map { try table.column($0) }
        guard !yColumns.isEmpty else { throw PlottingError.badOption("give at least one --y column") }
        let groupColumn = try group.map { try table.column($0) }
        let panelColumn = try panel.map { try table.column($0) }
        let replicateColumn = try replicate.map { try table.column($0) }
        let kept = try keptRows(table, source: source)
        let bandKind = kind == .density || replicate != nil ? Series.Band.none : band

        // Panels, lines and replicates in order of first appearance, so the same file always gives the same figure.
        var panelKeys: [String] = [], lineKeys: [String: [String]] = [:]
        var points: [String: [String: (x: [Double], y: [Double])]] = [:]
        var replicateKeys: [String: [String: [String]]] = [:]
        var replicatePoints: [String: [String: [String: (x: [Double], y: [Double])]]] = [:]
        for r in kept {
            let panelKey = panelColumn.map { table.rows[r][$0] } ?? ""
            if points[panelKey] == nil { panelKeys.append(panelKey); points[panelKey] = [:] }
            let xv = try table.number(row: r, column: xColumn)
            if xSpacing != .linear && xv <= 0 {
                throw PlottingError.notPositive(path: source, line: table.lines[r], column: x, value: table.rows[r][xColumn])
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
                if let replicateColumn {
                    let rep = table.rows[r][replicateColumn]
                    if replicatePoints[panelKey, default: [:]][name]?[rep] == nil { replicateKeys[panelKey, default: [:]][name, default: []].append(rep) }
                    replicatePoints[panelKey, default: [:]][name, default: [:]][rep, default: ([], [])].x.append(xv)
                    replicatePoints[panelKey, default: [:]][name, default: [:]][rep, default: ([], [])].y.append(yv)
                }
            }
        }
        let format = panelFormat ?? (panel.map { "\($0) {}" } ?? "{}")
        var panels: [LineChart] = []
        for key in panelKeys {
            let series = lineKeys[key, default: []].map { name in
                let p = points[key]![name]!
                return Series.aggregating(name: name, x: p.x, y: p.y, band: bandKind)
            }
            // One replicate's line for every line with more than one replicate, its points in x order.
            let replicates = lineKeys[key, default: []].flatMap { name -> [Series] in
                let reps = replicateKeys[key]?[name] ?? []
                guard reps.count > 1 else { return [] }
                return reps.map { rep in
                    let p = replicatePoints[key]![name]![rep]!
                    let order = p.x.indices.sorted { (p.x[$0], $0) < (p.x[$1], $1) }
                    return Series(name: name, x: order.map { p.x[$0] }, y: order.map { p.y[$0] })
                }
            }
            // A panel with nothing finite to draw is left out.
            guard series.contains(where: { !$0.segments.isEmpty }) || kind == .density else { continue }
            panels.append(LineChart(title: panel == nil ? "" : panelTitles[key] ?? format.replacingOccurrences(of: "{}", with: key),
                                    xLabel: xLabel ?? x, yLabel: yLabel ?? y.joined(separator: ", "), series: series, replicates: replicates,
                                    rules: rules + panelRules[key, default: []], xDomain: xRange, yDomain: yRange, xFit: xFit,
                                    xSpacing: xSpacing, ySpacing: yAxis, yFloor: kind == .density))
        }
        guard !panels.isEmpty else { throw PlottingError.noData("\(source) has no finite \(y.joined(separator: ", ")) to draw") }
        if let overview, panels.count > 1 {
            var all = panels[0]
            all.title = overview
            all.series = panels.flatMap(\.series)
            all.replicates = panels.flatMap(\.replicates)
            all.rules = rules + panelRules[overview, default: []]
            panels.insert(all, at: 0)
        }
        if kind == .density && xRange == nil {
            // The x range of the values above the floor (and the rules), not of the grid the density was sampled on.
            for k in panels.indices {
                let xs = panels[k].series.flatMap { s in s.x.indices.filter { s.y[$0].isFinite && s.y[$0] > 0 }.map { s.x[$0] } }
                panels[k].xDomain = AxisFit.padded.domain(xs + panels[k].rules.map(\.x), spacing: xSpacing)
            }
        }
        let figure = Figure(title: title, panels: panels, columns: columns)
        return (figure.render(), Summary(panels: panels.count, series: figure.seriesNames, rows: kept.count))
    }

    func renderBars(_ table: CSVTable, source: String) throws -> (svg: SVGDocument, summary: Summary) {
        guard y.count == 1 else { throw PlottingError.badOption("--kind bar takes one --y column (the bar's value), not \(y.count)") }
        if let reference, !reference.isFinite { throw PlottingError.badOption("--reference must be a finite number") }
        guard panel == nil else { throw PlottingError.badOption("--kind bar draws one panel: filter with --where") }
        let yAxis = try self.yAxis()
        let (xc, yc) = (try table.column(x), try table.column(y[0]))
        let gc = try group.map { try table.column($0) }
        let errors = try errorColumns.map { (try table.column($0.lower), try table.column($0.upper)) }
        let pc = try points.map { try table.column($0) }
        let kept = try keptRows(table, source: source)
        var bars: [BarChart.Bar] = [], dots: [BarChart.Dot] = []
        for r in kept {
            let category = table.rows[r][xc], series = gc.map { table.rows[r][$0] } ?? y[0]
            let bar = BarChart.Bar(category: category, series: series, value: try table.number(row: r, column: yc),
                                   lower: try errors.map { try table.number(row: r, column: $0.0) },
                                   upper: try errors.map { try table.number(row: r, column: $0.1) })
            if let pc { dots.append(BarChart.Dot(category: category, series: series, value: try table.number(row: r, column: pc))) }
            if let earlier = bars.first(where: { $0.category == category && $0.series == series }) {
                guard pc != nil else {
                    throw PlottingError.malformedCSV(path: source, line: table.lines[r], reason: "a second bar for \(category) / \(series) (filter with --where)")
                }
                guard Self.same(earlier, bar) else {
                    throw PlottingError.malformedCSV(path: source, line: table.lines[r],
                                                     reason: "the rows of \(category) / \(series) disagree on the bar's value or its error bar")
                }
                continue
            }
            bars.append(bar)
        }
        var chart = BarChart(title: title ?? "", xLabel: xLabel ?? x, yLabel: yLabel ?? y[0], bars: bars, ySpacing: yAxis,
                             yDomain: yRange, reference: reference)
        chart.dots = dots
        return (chart.render(), Summary(panels: 1, series: chart.seriesNames, rows: kept.count))
    }

    /// Equal values (NaN equal to NaN) and error-bar ends.
    static func same(_ a: BarChart.Bar, _ b: BarChart.Bar) -> Bool {
        func eq(_ x: Double?, _ y: Double?) -> Bool { x == y || (x?.isNaN == true && y?.isNaN == true) }
        return eq(a.value, b.value) && eq(a.lower, b.lower) && eq(a.upper, b.upper)
    }

    func renderGrid(_ table: CSVTable, source: String) throws -> (svg: SVGDocument, summary: Summary) {
        guard let z else { throw PlottingError.badOption("--kind \(kind.rawValue) needs --z COLUMN (the value drawn)") }
        guard y.count == 1 else { throw PlottingError.badOption("--kind \(kind.rawValue) takes one --y column (the grid's y), not \(y.count)") }
        guard group == nil else { throw PlottingError.badOption("--group is for line charts; use --panel for one heatmap per value") }
        let count = levels ?? (kind == .contour ? 8 : 0)
        guard (0...50).contains(count) else { throw PlottingError.badOption("--levels must be in 0...50, got \(count)") }
        let (xc, yc, zc) = (try table.column(x), try table.column(y[0]), try table.column(z))
        let panelColumn = try panel.map { try table.column($0) }
        let kept = try keptRows(table, source: source)
        var keys: [String] = [], rowsOf: [String: [Int]] = [:]
        for r in kept {
            let key = panelColumn.map { table.rows[r][$0] } ?? ""
            if rowsOf[key] == nil { keys.append(key) }
            rowsOf[key, default: []].append(r)
        }
        let fields = try keys.map { try GridField(table: table, x: xc, y: yc, z: zc, rows: rowsOf[$0]!) }
        let range = yRange ?? valueRange(fields.flatMap(\.values))
        let sharedLevels = MarchingSquares.levels(lo: range.0, hi: range.1, count: count)
        // Each panel's own levels when asked: from its own finite range, none when it is flat.
        let levelsOf: [[Double]] = fields.map { f in
            guard panelLevels else { return sharedLevels }
            let finite = f.values.filter(\.isFinite)
            guard let lo = finite.min(), let hi = finite.max(), hi - lo > 1e-12 * max(1, abs(hi)) else { return [] }
            return MarchingSquares.levels(lo: lo, hi: hi, count: count)
        }
        let steps = levelsOf.compactMap { l in zip(l, l.dropFirst()).map { $1 - $0 }.min() }
        let format = panelFormat ?? (panel.map { "\($0) {}" } ?? "{}")
        var panels: [any GridPanel] = try zip(zip(keys, fields), levelsOf).map { item, levels in
            let (key, f) = item
            let name = panel == nil ? "" : panelTitles[key] ?? format.replacingOccurrences(of: "{}", with: key)
            if kind == .surface {
                return try SurfacePlot(title: name, xLabel: xLabel ?? x, yLabel: yLabel ?? y[0], xs: f.xs, ys: f.ys, values: f.values,
                                       colorRange: range, colorLabel: colorLabel ?? z)
            }
            var map = try Heatmap(title: name, xLabel: xLabel ?? x, yLabel: yLabel ?? y[0], xs: f.xs, ys: f.ys, values: f.values,
                                  colorRange: range, contourLevels: levels, colorLabel: colorLabel ?? z)
            map.labelStep = steps.min()
            return map
        }
        if kind == .surface && rise {
            // Each panel's values less the value at its grid's centre, all on the range of these rises.
            let rises = fields.map { f -> [Double] in
                let cx = (f.xs[0] + f.xs[f.xs.count - 1]) / 2, cy = (f.ys[0] + f.ys[f.ys.count - 1]) / 2
                let i = f.xs.indices.min { (abs(f.xs[$0] - cx), $0) < (abs(f.xs[$1] - cx), $1) }!
                let j = f.ys.indices.min { (abs(f.ys[$0] - cy), $0) < (abs(f.ys[$1] - cy), $1) }!
                let centre = f.values[j * f.xs.count + i]
                return f.values.map { $0 - centre }
            }
            let riseRange = valueRange(rises.flatMap { $0 })
            for (key, (f, values)) in zip(keys, zip(fields, rises)) {
                let name = (panel == nil ? "" : (panelTitles[key] ?? format.replacingOccurrences(of: "{}", with: key)) + ": ") + "rise from its centre"
                panels.append(try SurfacePlot(title: name, xLabel: xLabel ?? x, yLabel: yLabel ?? y[0], xs: f.xs, ys: f.ys, values: values,
                                              colorRange: riseRange, colorLabel: "\(colorLabel ?? z) − centre"))
            }
        }
        let figure = HeatmapFigure(title: title, panels: panels, columns: kind == .surface && rise ? max(columns, fields.count) : columns,
                                   sharedRange: range)
        let summaryLevels = panelLevels ? Array(Set(levelsOf.flatMap { $0 })).sorted() : sharedLevels
        return (figure.render(), Summary(kind: kind.rawValue, panels: panels.count, rows: kept.count,
                                         colorRange: [range.0, range.1], levels: summaryLevels))
    }

    /// The rows every filter COLUMN=VALUE holds for (at least one).
    func keptRows(_ table: CSVTable, source: String) throws -> [Int] {
        var conditions: [(Int, String)] = []
        for filter in filters {
            guard let eq = filter.firstIndex(of: "=") else { throw PlottingError.badOption("--where takes COLUMN=VALUE, not '\(filter)'") }
            conditions.append((try table.column(String(filter[..<eq])), String(filter[filter.index(after: eq)...])))
        }
        let kept = table.rows.indices.filter { r in conditions.allSatisfy { table.rows[r][$0.0] == $0.1 } }
        guard !kept.isEmpty else {
            throw PlottingError.noData(filters.isEmpty ? "\(source) has no data rows (only its header)"
                                                       : "no row of \(source) matches \(filters.joined(separator: " and "))")
        }
        return kept
    }
}
