import XCTest
@testable import Report

/// The verdict rule and the estimates it is fed.
final class VerdictTests: XCTestCase {
    func testRuleUsesTwoStandardErrors() {
        XCTAssertEqual(Verdict.rule(estimate: 1, standardError: 0.4), .supported)
        XCTAssertEqual(Verdict.rule(estimate: 1, standardError: 0.5), .inconclusive)
        XCTAssertEqual(Verdict.rule(estimate: -1, standardError: 0.4), .notSupported)
        XCTAssertEqual(Verdict.rule(estimate: 1, standardError: nil), .inconclusive)
        XCTAssertEqual(Verdict.rule(estimate: .nan, standardError: 0.1), .inconclusive)
        XCTAssertEqual(Verdict.rule(estimate: 2, standardError: 0.1, threshold: 1.9), .inconclusive)
    }

    func testMajorityNeedsNoContradiction() {
        XCTAssertEqual(Verdict.majority([.supported, .supported, .inconclusive]), .supported)
        XCTAssertEqual(Verdict.majority([.supported, .supported, .notSupported]), .inconclusive)
        XCTAssertEqual(Verdict.majority([.notSupported, .notSupported, .inconclusive]), .notSupported)
        XCTAssertEqual(Verdict.majority([.supported, .inconclusive, .inconclusive]), .inconclusive)
    }

    func testPairedRatioIsAGeometricMeanWithLogStandardError() {
        let r = Estimate.pairedRatio([(2, 1), (8, 1), (-1, 1)])
        XCTAssertEqual(r.pairs, 2)
        XCTAssertEqual(r.ratio, 4, accuracy: 1e-12)
        let logs = [log(2.0), log(8.0)]
        let sd = abs(logs[1] - logs[0]) / 2.0.squareRoot()
        XCTAssertEqual(r.logStandardError!, sd / 2.0.squareRoot(), accuracy: 1e-12)
        XCTAssertNil(Estimate.pairedRatio([(2, 1)]).logStandardError)
    }
}
