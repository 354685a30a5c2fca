import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import Plotting

final class FigureTests: XCTestCase {
    func testNaNBreaksTheLine() {
        let s = Series(name: "a", x: [0, 1, 2, 3, 4], y: [1, 2, .nan, 3, 4])
        XCTAssertEqual(s.segments, [0..<2, 3..<5])
    }

    func testRepeatedXIsAveragedWithAStandardDeviationBand() {
        let s = Series.aggregating(name: "a", x: [2, 1, 2, 1], y: [3, 10, 5, 10], band: .standardDeviation)
        XCTAssertEqual(s.x, [1, 2])
        XCTAssertEqual(s.y, [10, 4])
        XCTAssertEqual(s.lower![1], 4 - 2.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(s.upper![0], 10)
        let range = Series.aggregating(name: "a", x: [1, 1, 1], y: [1, 2, 6], band: .range)
        XCTAssertEqual(range.lower, [1])
        XCTAssertEqual(range.upper, [6])
        XCTAssertNil(Series.aggregating(name: "a", x: [1, 2], y: [1, 2], band: .standardDeviation).lower, "one value per x: no band")
    }

    func testSeriesKeepTheirColourAcrossPanelsAndTheOutputIsStable() {
        let p1 = LineChart(title: "stage 1", xLabel: "epoch", yLabel: "acc",
                           series: [Series(name: "TWS", x: [0, 1], y: [0.8, 0.85]), Series(name: "BWN", x: [0, 1], y: [0.5, 0.8])])
        let p2 = LineChart(title: "stage <2>", series: [Series(name: "BWN", x: [0, 1], y: [0.8, 0.82])])
        let figure = Figure(title: "TWS & BWN", panels: [p1, p2], columns: 2)
        XCTAssertEqual(figure.seriesNames, ["TWS", "BWN"])
        let svg = figure.render().text
        XCTAssertEqual(svg, figure.render().text)
        XCTAssertTrue(svg.hasPrefix("<?xml"))
        XCTAssertTrue(svg.contains("TWS &amp; BWN"))
        XCTAssertTrue(svg.contains("stage &lt;2&gt;"))
        let blue = SeriesStyle.palette[0], vermillion = SeriesStyle.palette[1]
        XCTAssertEqual(svg.components(separatedBy: "stroke=\"\(vermillion)\"").count - 1, 3, "BWN: two lines and a legend entry")
        XCTAssertEqual(svg.components(separatedBy: "stroke=\"\(blue)\"").count - 1, 2, "TWS: one line and a legend entry")
        XCTAssertEqual(svg.components(separatedBy: "<clipPath").count - 1, 2)
        // Well-formed XML.
        XCTAssertNoThrow(try XMLDocument(xmlString: svg))
    }

    func testOnlyTheNinthSeriesOnIsDashed() {
        let series = (0..<9).map { Series(name: "s\($0)", x: [0, 1], y: [0, Double($0)]) }
        let svg = Figure(panels: [LineChart(series: series)]).render().text
        // The ninth series repeats the first colour with a dash, in its line and its legend entry; nil attributes
        // are left out of the solid ones.
        XCTAssertEqual(svg.components(separatedBy: "stroke-dasharray=\"6 3\"").count - 1, 2)
        XCTAssertFalse(svg.contains("stroke-dasharray=\"\""))
    }

    func testAtomicWriteLeavesNoTemporaryFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("plot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("f.svg")
        let figure = Figure(panels: [LineChart(series: [Series(name: "a", x: [0, 1], y: [0, 1])])])
        try figure.render().write(to: url)
        try figure.render().write(to: url)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["f.svg"])
        XCTAssertThrowsError(try figure.render().write(to: dir.appendingPathComponent("missing/f.svg"))) {
            XCTAssertTrue("\($0)".hasPrefix("Cannot write"), "\($0)")
        }
    }

    func testNumbersHaveTwoDecimalsAndNoNegativeZero() {
        XCTAssertEqual(SVGDocument.number(1.25), "1.25")
        XCTAssertEqual(SVGDocument.number(12.5), "12.5")
        XCTAssertEqual(SVGDocument.number(-0.001), "0")
        XCTAssertEqual(SVGDocument.number(3), "3")
        XCTAssertEqual(SVGDocument.escape("a\u{1}b\n<c>"), "a b &lt;c&gt;")
    }
}
