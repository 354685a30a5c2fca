import Foundation
import XCTest
@testable import Plotting

/// The layout check on every figure kind with hostile data — long labels, one point, flat surfaces, huge ranges, NaN
/// cells — finds no text on text, no text outside the figure and no axis text on the data; and it does find them
/// in a figure made to have them.
final class LayoutCheckTests: XCTestCase {
    static let long = String(repeating: "a rather long label that goes on ", count: 6)

    func assertClean(_ svg: SVGDocument, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let problems = LayoutCheck.problems(in: svg)
        XCTAssertTrue(problems.isEmpty, "\(what): \(problems.map(\.description).joined(separator: "; "))", file: file, line: line)
        XCTAssertFalse(svg.textBoxes.isEmpty, what, file: file, line: line)
    }

    func testLineFiguresWithHostileData() {
        let long = Self.long
        let cases: [(String, [Series], AxisSpacing, AxisSpacing)] = [
            ("one point", [Series(name: "a", x: [1], y: [2])], .linear, .linear),
            ("huge range", [Series(name: "a", x: [-1e300, 1e300], y: [-1.5e300, 1.2e300]), Series(name: "b", x: [0, 1], y: [0, 1])], .linear, .linear),
            ("NaN and infinities", [Series(name: "a", x: [0, 1, 2, 3], y: [.nan, .infinity, 1, .nan])], .linear, .linear),
            ("long names", (0..<12).map { Series(name: long + "\($0)", x: [0, 1], y: [Double($0), 1]) }, .linear, .linear),
            ("log axes over 300 decades", [Series(name: "a", x: [1e-150, 1e150], y: [1e-200, 1e100])], .log10, .log10),
            ("log2 one value", [Series(name: "a", x: [4], y: [0.5])], .log2, .log10),
            ("tiny differences", [Series(name: "a", x: [1, 1 + 1e-12], y: [1e-9, 1e-9 + 1e-15])], .linear, .linear),
        ]
        for (what, series, xs, ys) in cases {
            let panel = LineChart(title: long, xLabel: long, yLabel: long, series: series, replicates: series,
                                  rules: [Rule(x: series[0].x[0], label: long), Rule(x: series[0].x[0], label: "second")],
                                  xSpacing: xs, ySpacing: ys, yFloor: ys != .linear)
            assertClean(Figure(title: long + long, panels: [panel, panel, panel], columns: 2).render(), what)
            for fit in AxisFit.allCases {
                var p = panel
                p.xFit = fit
                assertClean(Figure(title: "t", panels: [p]).render(), "\(what), \(fit)")
            }
        }
    }

    func testBarChartsWithHostileData() {
        let long = Self.long
        let bars = [BarChart.Bar(category: long, series: long, value: 1e300, lower: -1e300, upper: 1.5e300),
                    BarChart.Bar(category: "b", series: "s", value: .nan),
                    BarChart.Bar(category: long + "2", series: "s", value: -3, lower: .nan, upper: 2)]
        assertClean(BarChart(title: long, xLabel: long, yLabel: long, bars: bars, reference: 1).render(), "linear bars")
        let ratios = (0..<9).map { BarChart.Bar(category: "module \($0) \(long)", series: "pair \($0 % 3)", value: pow(10, Double($0) - 4), lower: 1e-9, upper: 1e9) }
        assertClean(BarChart(title: long, xLabel: long, yLabel: long, bars: ratios, ySpacing: .log10, reference: 1).render(), "log bars")
        assertClean(BarChart(bars: [BarChart.Bar(category: "one", series: "one", value: 0)]).render(), "one zero bar")
    }

    /// Grids: flat, NaN cells, one row, huge and tiny ranges; as contour maps (own levels) and as surfaces.
    func grids() -> [(String, [Double], [Double], [Double])] {
        let xs = (0..<7).map { Double($0) - 3 }, ys = (0..<5).map { Double($0) * 1e6 }
        let bowl: [Double] = (0..<35).map { (k: Int) -> Double in
            let i = Double(k % 7 - 3), j = Double(k / 7 - 2)
            return i * i + j * j
        }
        var holes = bowl
        for k in [0, 8, 17, 34] { holes[k] = Double.nan }
        return [("flat", xs, ys, [Double](repeating: 0.5, count: 35)), ("bowl", xs, ys, bowl), ("NaN cells", xs, ys, holes),
                ("huge range", xs, ys, bowl.map { $0 * 1e299 - 5e299 }), ("tiny range", xs, ys, bowl.map { 1 + $0 * 1e-13 }),
                ("all NaN", xs, ys, [Double](repeating: .nan, count: 35)), ("two by two", [0, 1], [0, 1], [1, 2, 3, .nan])]
    }

    func testContourMapsWithHostileData() throws {
        for (what, xs, ys, values) in grids() {
            let finite = values.filter(\.isFinite)
            let levels = MarchingSquares.levels(lo: finite.min() ?? 0, hi: finite.max() ?? 1, count: 8)
            let map = try Heatmap(title: Self.long, xLabel: Self.long, yLabel: Self.long, xs: xs, ys: ys, values: values,
                                  contourLevels: levels, colorLabel: Self.long)
            assertClean(HeatmapFigure(title: "t", panels: [map, map, map, map], columns: 3).render(), what)
        }
        let one = try Heatmap(title: "one cell", xs: [1], ys: [2], values: [3], colorLabel: "z")
        assertClean(one.render(), "one cell")
    }

    func testSurfacesWithHostileData() throws {
        for (what, xs, ys, values) in grids() {
            let surface = try SurfacePlot(title: Self.long, xLabel: Self.long, yLabel: Self.long, xs: xs, ys: ys, values: values, colorLabel: Self.long)
            assertClean(HeatmapFigure(title: "t", panels: [surface, surface, surface, surface], columns: 3).render(), what)
            for azimuth in [-150.0, -55, 0, 35, 120] {
                let turned = try SurfacePlot(title: "az", xLabel: "x", yLabel: "y", xs: xs, ys: ys, values: values, colorLabel: "z", azimuth: azimuth)
                assertClean(HeatmapFigure(panels: [turned]).render(), "\(what), azimuth \(azimuth)")
            }
        }
    }

    /// The table-driven kinds, the report's options on: replicates, rules, an overview, the density floor, each
    /// panel's own contour levels and the rise row of surfaces.
    func testTidyPlotsOfEveryKind() throws {
        var text = "rep,model,x,y,z\n"
        for r in 1...3 { for m in ["teacher", "a model with a long name"] { for i in 0..<5 { for j in 0..<5 {
            let z: String = m == "teacher" ? String(Double(i * j)) : (r == 2 && i == 1 ? "" : "0.5")
            text += "\(r),\(m),\(i),\(j),\(z)\n"
        } } } }
        let table = try CSVTable(text: text, source: "hostile.csv")
        for kind in TidyPlot.Kind.allCases {
            var p = TidyPlot(kind: kind, x: "x", y: [kind == .bar ? "z" : "y"])
            switch kind {
            case .line, .density:
                p.y = ["z"]; p.group = "model"; p.panel = "model"; p.replicate = "rep"; p.overview = "all"
                p.rules = [Rule(x: 2, label: "a boundary"), Rule(x: 2.2, label: "another boundary")]
            case .bar:
                p.x = "model"; p.group = "rep"; p.filters = ["x=1", "y=1"]
            case .heatmap, .contour, .surface:
                p.z = "z"; p.panel = "model"; p.panelLevels = true; p.rise = true; p.filters = ["rep=2"]
            }
            p.title = Self.long
            let (svg, _) = try p.render(table, source: "hostile.csv")
            assertClean(svg, kind.rawValue)
        }
    }

    func testForestPlotWithHostileRows() {
        let rows = [ForestPlot.Row(label: Self.long, panel: Self.long, estimate: 1e300, low: -1e300, high: 1.5e300, threshold: 0, points: [1, 2], verdict: "supported"),
                    ForestPlot.Row(label: "nan", panel: "p", estimate: .nan, low: nil, high: nil, threshold: .nan, points: [], verdict: "not judged")]
        assertClean(ForestPlot(title: Self.long, rows: rows).render(), "forest")
    }

    /// A figure made to fail: two labels on one spot, one beyond the edge, an axis label on the plot area.
    func testTheCheckFindsOverlapClippingAndTextOnTheData() {
        var svg = SVGDocument(width: 200, height: 100)
        svg.record(PlotArea(name: "plot area", x: 100, y: 10, width: 90, height: 80))
        svg.add("text", ["x": "10", "y": "20"], text: "first label")
        svg.add("text", ["x": "14", "y": "24"], text: "second label")
        svg.add("text", ["x": "190", "y": "50", "text-anchor": "start"], text: "beyond")
        svg.add("text", ["x": "120", "y": "30"], text: "on the data")
        svg.add("text", ["x": "120", "y": "80"], text: "a contour", inPlot: true)
        let problems = LayoutCheck.problems(in: svg)
        XCTAssertEqual(problems, [.overlap("first label", "second label"), .clipped("beyond"), .onPlotArea(text: "on the data", area: "plot area")])
        XCTAssertEqual(problems[0].description, "the text 'first label' overlaps the text 'second label'")
        // A rotated axis title stands on its side: tall and narrow.
        var turned = SVGDocument(width: 100, height: 100)
        turned.add("text", ["x": "14", "y": "50", "text-anchor": "middle", "transform": "rotate(-90 14 50)"], text: "a label")
        let box = turned.textBoxes[0]
        XCTAssertGreaterThan(box.height, box.width)
        XCTAssertTrue(LayoutCheck.problems(in: turned).isEmpty)
    }
}
