import ArgumentParser
import Plotting

extension TidyPlot.Kind: ExpressibleByArgument {}
extension Series.Band: ExpressibleByArgument {}
extension AxisSpacing: ExpressibleByArgument {}

/// `binarybert plot`: line charts, heatmaps and contour maps from a tidy CSV file (one row per observation) to SVG,
/// for analysis scripts and the report's figures.
struct PlotCommand: ParsableCommand, CheckedArguments {
    static let configuration = CommandConfiguration(commandName: "plot",
        abstract: "Draw line charts, heatmaps or contour maps from a tidy CSV file into an SVG figure.",
        discussion: """
        Each row is one observation. --kind line: --x and --y name numeric columns, one line per --group value, one \
        panel per --panel value; rows repeating an x within a line (seeds) are averaged, with a --band. heatmap, \
        contour and surface: --x and --y name the grid's coordinates, --z the value, every panel on one colour scale.
          binarybert plot --kind contour --csv runs/ones-bwn/surface.csv --x x --y y --z loss --output surface.svg
        """)

    @Option(help: "What to draw.") var kind: TidyPlot.Kind = .line
    @Option(help: "Heatmap/contour: the column of the value drawn.") var z: String?
    @Option(help: "Heatmap/contour: number of contour levels (evenly spaced round values; contour default 8).") var levels: Int?
    @Option(help: "Heatmap/contour: the colour bar's label (default: the z column).") var colorLabel: String?
    @Option(help: "Bar: columns of each bar's error-bar ends (LOWER,UPPER).") var errorColumns: String?
    @Option(help: "Bar: a dashed reference line at this y (e.g. 1 for ratios).") var reference: Double?
    @Option(help: "Bar: a column drawn as one dot per row over its bar (e.g. each replicate's value; the rows of a bar repeat its value).") var points: String?
    @Option(help: "y axis spacing (default: linear; log10 for --kind density, which draws missing and non-positive values on the axis floor; --kind line leaves them out).") var ySpacing: AxisSpacing?

    @Option(help: "Tidy CSV file with a header row.") var csv: String
    @Option(help: "Column for the x axis.") var x: String
    @Option(help: "Column(s) for the y axis (repeat for several lines).") var y: [String]
    @Option(help: "One line per value of this column.") var group: String?
    @Option(help: "One panel per value of this column.") var panel: String?
    @Option(name: .customLong("where"), help: "Keep only rows whose COLUMN equals VALUE (COLUMN=VALUE; repeatable, all must hold).") var filters: [String] = []
    @Option(help: "Band around a line whose x repeats: std (± one standard deviation), range (min…max) or none.") var band: Series.Band = .standardDeviation
    @Option(help: "Figure title.") var title: String?
    @Option(help: "x axis label (default: the x column).") var xLabel: String?
    @Option(help: "y axis label (default: the y column(s)).") var yLabel: String?
    @Option(help: "Panel title, {} standing for the panel's value (default: \"COLUMN {}\").") var panelFormat: String?
    @Option(help: "Fixed x range LOW,HIGH.") var xRange: String?
    @Option(help: "Fixed y range LOW,HIGH.") var yRange: String?
    @Option(help: "x axis spacing (log2: equal ratios, ticks at powers of two; every x must be positive).") var xSpacing: AxisSpacing = .linear
    @Flag(help: "Drop rows with an empty y instead of breaking the line there.") var connectGaps = false
    @Option(help: "Panels per row.") var columns = 2
    @Option(help: "Output SVG file.") var output: String

    func check() throws { try plot().validate() }

    func run() throws {
        try printJSONLine(try plot().draw(csv: csv, output: output))
    }

    /// The figure these options ask for (the options given as text checked here: a refusal is a usage error).
    func plot() throws -> TidyPlot {
        var plot = TidyPlot(kind: kind, x: x, y: y)
        plot.z = z; plot.group = group; plot.panel = panel; plot.filters = filters; plot.band = band
        plot.title = title; plot.xLabel = xLabel; plot.yLabel = yLabel; plot.panelFormat = panelFormat
        plot.xRange = try xRange.map { try TidyPlot.range(parsing: $0, option: "--x-range") }
        plot.yRange = try yRange.map { try TidyPlot.range(parsing: $0, option: kind == .line || kind == .density || kind == .bar ? "--y-range" : "--y-range (the colour range)") }
        plot.xSpacing = xSpacing; plot.ySpacing = ySpacing
        plot.connectGaps = connectGaps; plot.columns = columns; plot.levels = levels; plot.colorLabel = colorLabel
        plot.reference = reference; plot.points = points
        if let errorColumns {
            let parts = errorColumns.split(separator: ",").map(String.init)
            guard parts.count == 2 else { throw ValidationError("--error-columns takes LOWER,UPPER, not '\(errorColumns)'") }
            plot.errorColumns = (parts[0], parts[1])
        }
        return plot
    }
}
