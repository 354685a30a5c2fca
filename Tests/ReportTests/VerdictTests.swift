import XCTest
@testable import Report

final class VerdictTests: XCTestCase {
    /// Two-sided 97.5 % quantiles from a printed t table (df 1–30 and beyond).
    func testTQuantilesMatchTheTable() {
        let table: [(Double, Double)] = [(1, 12.706), (2, 4.303), (3, 3.182), (4, 2.776), (5, 2.571), (6, 2.447), (7, 2.365),
                                         (9, 2.262), (10, 2.228), (15, 2.131), (20, 2.086), (30, 2.042), (120, 1.980)]
        for (df, t) in table { XCTAssertEqual(StudentT.quantile(0.975, df: df), t, accuracy: 5e-4, "df \(df)") }
        // 95 % one-sided and 99.5 % entries.
        XCTAssertEqual(StudentT.quantile(0.95, df: 4), 2.132, accuracy: 5e-4)
        XCTAssertEqual(StudentT.quantile(0.995, df: 3), 5.841, accuracy: 5e-4)
        XCTAssertEqual(StudentT.quantile(0.025, df: 5), -2.571, accuracy: 5e-4)
        // The closed forms and the bisection agree where both apply.
        for q in [0.6, 0.9, 0.975, 0.999] {
            XCTAssertEqual(StudentT.cdf(StudentT.quantile(q, df: 1), df: 1), q, accuracy: 1e-12)
            XCTAssertEqual(StudentT.cdf(StudentT.quantile(q, df: 2), df: 2), q, accuracy: 1e-12)
            XCTAssertEqual(StudentT.cdf(StudentT.quantile(q, df: 7), df: 7), q, accuracy: 1e-12)
        }
    }

    /// Mean, standard error, interval and verdict by hand for three replicates.
    func testReplicateEstimateByHand() throws {
        let e = ReplicateEstimate(values: [0.10, 0.20, 0.30, .nan])
        XCTAssertEqual(e.count, 3)
        XCTAssertEqual(e.mean, 0.2, accuracy: 1e-15)
        XCTAssertEqual(try XCTUnwrap(e.standardError), 0.1 / 3.0.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(try XCTUnwrap(e.low), 0.2 - 4.302652729749462 * 0.1 / 3.0.squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(e.verdict, .inconclusive, "0.2 ± 0.248 contains 0")
        XCTAssertEqual(e.agreeing, 3)
        XCTAssertEqual(ReplicateEstimate(values: [1.0, 1.1, 0.9]).verdict, .supported)
        XCTAssertEqual(ReplicateEstimate(values: [-1.0, -1.1, -0.9]).verdict, .notSupported)
        XCTAssertEqual(ReplicateEstimate(values: [-1.0, -1.1, -0.9], threshold: -2).verdict, .supported)
        XCTAssertEqual(ReplicateEstimate(values: [0.5]).verdict, .notJudged, "one replicate cannot be judged")
        XCTAssertEqual(ReplicateEstimate(values: [0.5, -0.2, 0.3]).agreeing, 2)
    }

    func testMeanLogRatioSkipsNonPositivePairs() {
        XCTAssertEqual(Estimate.meanLogRatio([(2, 1), (8, 2), (-1, 3)]), (log(2) + log(4)) / 2, accuracy: 1e-15)
        XCTAssertTrue(Estimate.meanLogRatio([(-1, 3)]).isNaN)
    }
}
