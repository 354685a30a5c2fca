import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Plotting

final class ForestPlotTests: XCTestCase {
    /// One panel per unit, one dot per replicate, an interval and a verdict per claim; no NaN reaches the SVG.
    func testPanelsDotsIntervalsAndVerdicts() throws {
        let rows = [
            ForestPlot.Row(label: "fig3-mha-qk", panel: "log-ratio", estimate: -0.2, low: -0.5, high: 0.1, threshold: 0, points: [-0.3, -0.1, -0.2], verdict: "inconclusive"),
            ForestPlot.Row(label: "tws-beats-bwn", panel: "accuracy difference", estimate: 0.05, low: 0.01, high: 0.09, threshold: 0, points: [0.04, 0.06], verdict: "supported"),
            ForestPlot.Row(label: "one-replicate", panel: "log-ratio", estimate: 0.3, low: nil, high: nil, threshold: 0, points: [0.3], verdict: "not judged"),
            ForestPlot.Row(label: "empty", panel: "digits", estimate: .nan, low: nil, high: nil, threshold: 9, points: [], verdict: "not judged"),
        ]
        let svg = ForestPlot(title: "claims", rows: rows).render().text
        XCTAssertTrue(XMLParser(data: Data(svg.utf8)).parse())
        XCTAssertFalse(svg.contains("nan") || svg.contains("inf"))
        XCTAssertEqual(svg.components(separatedBy: "<circle").count - 1, 3 + 2 + 1 + 1, "one dot per replicate value, and the legend's")
        for text in ["log-ratio", "accuracy difference", "digits", "inconclusive", "supported", "not judged", "fig3-mha-qk"] {
            XCTAssertTrue(svg.contains(">\(text)<"), text)
        }
    }
}

final class ExtremeValueScaleTests: XCTestCase {
    /// Data near ±Double.greatestFiniteMagnitude (`plot` of a column holding ±1.7e308) maps to finite pixels with
    /// labelled ticks instead of trapping in the tick arithmetic.
    func testHugeValuesGiveFinitePixelsAndTicks() {
        let s = LinearScale(covering: [-1.7e308, 1.7e308], pixels: (0, 100))
        XCTAssertTrue(s(-1.7e308).isFinite && s(1.7e308).isFinite && s(0).isFinite)
        XCTAssertEqual(s(0), 50, accuracy: 1e-9)
        XCTAssertFalse(s.ticks.isEmpty)
        XCTAssertTrue(s.ticks.allSatisfy(\.isFinite))
    }
}
