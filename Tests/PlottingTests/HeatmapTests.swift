import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import Plotting

final class HeatmapTests: XCTestCase {
    /// z = distance from the centre of a 21×21 grid over [−1, 1]²: one closed line per level, on the circle of that radius.
    func testConeContoursAreClosedCircles() {
        let n = 21, c = (0..<n).map { -1 + 2 * Double($0) / Double(n - 1) }
        let z = (0..<n * n).map { k in (c[k % n] * c[k % n] + c[k / n] * c[k / n]).squareRoot() }
        for r in [0.3, 0.55, 0.8] {
            let lines = MarchingSquares.lines(z, nx: n, ny: n, level: r)
            XCTAssertEqual(lines.count, 1, "r = \(r)")
            XCTAssertTrue(lines[0].closed)
            XCTAssertEqual(lines[0].points.first!.i, lines[0].points.last!.i)
            for p in lines[0].points {
                let x = -1 + 2 * p.i / Double(n - 1), y = -1 + 2 * p.j / Double(n - 1)
                XCTAssertEqual((x * x + y * y).squareRoot(), r, accuracy: 0.01, "r = \(r)")
            }
        }
    }

    /// A plane's level line crosses the grid: one open line whose ends both lie on the boundary.
    func testPlaneContourEndsOnTheBoundary() {
        let nx = 9, ny = 6
        let z = (0..<nx * ny).map { k in Double(k % nx) + 0.5 * Double(k / nx) }
        let lines = MarchingSquares.lines(z, nx: nx, ny: ny, level: 4.3)
        XCTAssertEqual(lines.count, 1)
        XCTAssertFalse(lines[0].closed)
        for p in [lines[0].points.first!, lines[0].points.last!] {
            XCTAssertTrue(p.i == 0 || p.j == 0 || p.i == Double(nx - 1) || p.j == Double(ny - 1), "\(p)")
        }
    }

    /// Saddles are resolved by the cell's centre: z = x·y at level 0.1 keeps the two hyperbola branches apart, at
    /// −0.1 the other pair; every line ends on the boundary.
    func testSaddleIsResolvedByTheCentre() {
        let n = 2
        // One cell, corners (0,0)=1 (1,0)=−1 (1,1)=1 (0,1)=−1: a saddle; centre 0.
        let z = [1.0, -1, -1, 1]
        let up = MarchingSquares.lines(z, nx: n, ny: n, level: 0.5)    // centre 0 < 0.5: the above corners are cut off
        XCTAssertEqual(up.count, 2)
        let down = MarchingSquares.lines(z, nx: n, ny: n, level: -0.5) // centre 0 ≥ −0.5: the below corners are cut off
        XCTAssertEqual(down.count, 2)
        // Around corner (0,0) at +0.5, the line runs from the bottom edge to the left edge.
        XCTAssertTrue(up.contains { l in l.points.contains { $0.j == 0 } && l.points.contains { $0.i == 0 } })
        XCTAssertTrue(down.contains { l in l.points.contains { $0.j == 0 } && l.points.contains { $0.i == 1 } })
        // A larger saddle field: every line is closed or ends on the boundary.
        let m = 15, c = (0..<m).map { -1 + 2 * Double($0) / Double(m - 1) }
        let xy = (0..<m * m).map { k in c[k % m] * c[k / m] }
        for level in [-0.3, 0.0001, 0.3] {
            for line in MarchingSquares.lines(xy, nx: m, ny: m, level: level) where !line.closed {
                for p in [line.points.first!, line.points.last!] {
                    XCTAssertTrue(p.i == 0 || p.j == 0 || p.i == Double(m - 1) || p.j == Double(m - 1), "level \(level): \(p)")
                }
            }
        }
    }

    /// A NaN cell breaks a contour: the circle around it opens into a line whose ends touch the missing cells.
    func testMissingValuesBreakContours() {
        let n = 11, c = (0..<n).map { -1 + 2 * Double($0) / Double(n - 1) }
        var z = (0..<n * n).map { k in (c[k % n] * c[k % n] + c[k / n] * c[k / n]).squareRoot() }
        z[0 * n + 5] = .nan  // on the bottom row, where the r = 0.9 circle passes near
        z[1 * n + 5] = .nan
        let lines = MarchingSquares.lines(z, nx: n, ny: n, level: 0.9)
        XCTAssertFalse(lines.isEmpty)
        XCTAssertTrue(lines.allSatisfy { !$0.closed })
    }

    func testViridisEndsAndLevels() {
        XCTAssertEqual(ColorMap.viridis.color(0), "#440154")
        XCTAssertEqual(ColorMap.viridis.color(1), "#fde725")
        XCTAssertEqual(ColorMap.viridis.color(2), "#fde725")
        XCTAssertEqual(ColorMap.viridis.color(.nan), ColorMap.missing)
        XCTAssertEqual(MarchingSquares.levels(lo: 0.1, hi: 0.95, count: 4), [0.2, 0.4, 0.6, 0.8])
    }

    /// A heatmap with contours and a colour bar is valid XML, deterministic, and labels its axes and colour bar.
    func testHeatmapRendersValidStableSVG() throws {
        let xs = [-1.0, 0, 1], ys = [-1.0, -0.5, 0, 0.5]
        let values = (0..<12).map { Double($0) * 0.1 }
        let map = try Heatmap(title: "BWN <latent>", xLabel: "x", yLabel: "y", xs: xs, ys: ys, values: values,
                              colorRange: (0, 2), contourLevels: [0.25, 0.5], colorLabel: "loss")
        let svg = map.render().text
        XCTAssertEqual(svg, map.render().text)
        XCTAssertTrue(svg.contains("viewBox=\"0 0 480 380\""))
        XCTAssertTrue(svg.contains(">loss</text>"))
        XCTAssertTrue(svg.contains("BWN &lt;latent&gt;"))
        XCTAssertTrue(svg.contains("<polyline"))
        let parser = XMLParser(data: Data(svg.utf8))
        XCTAssertTrue(parser.parse(), parser.parserError.map { "\($0)" } ?? "")
        XCTAssertThrowsError(try Heatmap(xs: [0, 1], ys: [0], values: [1]))
        XCTAssertThrowsError(try Heatmap(xs: [1, 0], ys: [0], values: [1, 2]))
    }

    /// A 3-D surface: one quadrilateral per cell with all four corners finite, drawn back to front, valid and stable.
    func testSurfaceDrawsEveryCompleteCellOnce() throws {
        let xs = [0.0, 1, 2, 3], ys = [0.0, 1, 2]
        var values = (0..<12).map { Double($0 % 4) * Double($0 / 4) }
        values[5] = .nan  // grid point (1, 1): the four cells around it lose their corner
        let plot = try SurfacePlot(title: "s", xLabel: "x", yLabel: "y", xs: xs, ys: ys, values: values, colorLabel: "loss")
        let figure = HeatmapFigure(panels: [plot, plot], columns: 2)
        let svg = figure.render().text
        XCTAssertEqual(svg, figure.render().text)
        // 6 cells, 4 of them touching (1, 1) … only cells (2,0) and (2,1) remain per panel; plus the floor polygon.
        XCTAssertEqual(svg.components(separatedBy: "<polygon").count - 1, 2 * (2 + 1))
        let parser = XMLParser(data: Data(svg.utf8))
        XCTAssertTrue(parser.parse())
        XCTAssertThrowsError(try SurfacePlot(xs: [0], ys: [0, 1], values: [1, 2]))
        XCTAssertThrowsError(try SurfacePlot(xs: [0, 1], ys: [0, 1], values: [1, 2, 3, 4], elevation: 120))
    }
}

final class BarChartTests: XCTestCase {
    /// Grouped bars with error bars and a reference line: one rect per bar, a legend for two series, stable bytes.
    func testGroupedBarsWithErrorBars() throws {
        let bars = [BarChart.Bar(category: "MHA-QK", series: "ternary", value: 0.31, lower: 0.25, upper: 0.35),
                    BarChart.Bar(category: "MHA-QK", series: "bwn", value: 0.30, lower: 0.25, upper: 0.35),
                    BarChart.Bar(category: "FFN-Out", series: "ternary", value: 0.27, lower: 0.2, upper: 0.33),
                    BarChart.Bar(category: "FFN-Out", series: "bwn", value: .nan)]
        let chart = BarChart(title: "Fig. 3", xLabel: "module", yLabel: "ratio", bars: bars, reference: 1)
        XCTAssertEqual(chart.categories, ["MHA-QK", "FFN-Out"])
        XCTAssertEqual(chart.seriesNames, ["ternary", "bwn"])
        let svg = chart.render().text
        XCTAssertEqual(svg, chart.render().text)
        // 3 finite bars + 2 legend swatches + the frame; the background rect is written by SVGDocument itself.
        XCTAssertEqual(svg.components(separatedBy: "<rect").count - 1, 1 + 3 + 2 + 1)
        XCTAssertTrue(svg.contains("stroke-dasharray=\"4 3\""), "the reference line")
        XCTAssertTrue(XMLParser(data: Data(svg.utf8)).parse())
    }

    /// Per-replicate dots from a tidy table with one row per replicate: one bar per (module, pair), one dot per row,
    /// and rows of one bar that disagree on its value are refused with their line.
    func testBarsWithOneDotPerReplicateRow() throws {
        var text = "pair,module,replicate,replicate_ratio,ratio,low,high\n"
        for (pair, values) in [("BWN / ternary", [0.5, 0.8, 2.0]), ("ternary / FP", [0.1, 0.2, 0.3])] {
            let mean = exp(values.map(log).reduce(0, +) / 3)
            for (k, v) in values.enumerated() { text += "\(pair),MHA-V,\(k + 1),\(v),\(mean),0.05,3\n" }
        }
        var plot = TidyPlot(kind: .bar, x: "module", y: ["ratio"])
        plot.group = "pair"; plot.errorColumns = ("low", "high"); plot.points = "replicate_ratio"; plot.ySpacing = .log10; plot.reference = 1
        let (svg, summary) = try plot.render(try CSVTable(text: text, source: "ratios.csv"), source: "ratios.csv")
        XCTAssertEqual(summary.series, ["BWN / ternary", "ternary / FP"])
        XCTAssertEqual(svg.text.components(separatedBy: "<circle").count - 1, 6, "one dot per replicate row")
        XCTAssertEqual(svg.text.components(separatedBy: "<rect").count - 1, 1 + 2 + 2 + 1, "one bar per pair")
        let bad = text.replacingOccurrences(of: "MHA-V,3,0.3,", with: "MHA-V,3,0.3,9")
        XCTAssertThrowsError(try plot.render(try CSVTable(text: bad, source: "ratios.csv"), source: "ratios.csv")) { error in
            XCTAssertTrue("\(error)".contains("disagree on the bar's value"), "\(error)")
            XCTAssertTrue("\(error)".contains("ratios.csv:7:"), "\(error)")
        }
        plot.points = nil
        XCTAssertThrowsError(try plot.render(try CSVTable(text: text, source: "ratios.csv"), source: "ratios.csv"), "without --points a repeated bar is an error")
    }

    func testLog10AxisTicksAndLabels() {
        let s = LogScale(base: 10, covering: [3e-5, 0.2, 40], pixels: (100, 0))
        XCTAssertEqual(s.lower, 1e-5, accuracy: 1e-20)
        XCTAssertEqual(s.upper, 100, accuracy: 1e-12)
        XCTAssertEqual(s.ticks.map { s.label($0) }, ["1e-04", "0.01", "1", "100"])
        XCTAssertEqual(s(1e-5), 100, accuracy: 1e-9)
        XCTAssertEqual(s(100), 0, accuracy: 1e-9)
    }
}
