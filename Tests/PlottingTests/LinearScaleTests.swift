import XCTest
@testable import Plotting

final class LinearScaleTests: XCTestCase {
    func testNiceStepsAreOneTwoFiveTimesAPowerOfTen() {
        XCTAssertEqual(LinearScale.niceStep(0.7), 1)
        XCTAssertEqual(LinearScale.niceStep(1.3), 2)
        XCTAssertEqual(LinearScale.niceStep(3), 5)
        XCTAssertEqual(LinearScale.niceStep(7), 10)
        XCTAssertEqual(LinearScale.niceStep(0.018), 0.02, accuracy: 1e-15)
        XCTAssertEqual(LinearScale.niceStep(2), 2)
    }

    func testDomainWidensToWholeTicksAndMapsToPixels() {
        let s = LinearScale(covering: [0.83, .nan, 0.87, .infinity], pixels: (100, 0), targetTicks: 4)
        XCTAssertEqual(s.step, 0.01, accuracy: 1e-12)
        XCTAssertEqual(s.lower, 0.83, accuracy: 1e-12)
        XCTAssertEqual(s.upper, 0.87, accuracy: 1e-12)
        XCTAssertEqual(s.ticks.count, 5)
        XCTAssertEqual(s(0.83), 100, accuracy: 1e-9)
        XCTAssertEqual(s(0.87), 0, accuracy: 1e-9)
        XCTAssertEqual(s.ticks.map(s.label), ["0.83", "0.84", "0.85", "0.86", "0.87"])
    }

    func testDegenerateAndFixedDomains() {
        let one = LinearScale(covering: [5], pixels: (0, 10))
        XCTAssertLessThan(one.lower, 5)
        XCTAssertGreaterThan(one.upper, 5)
        let none = LinearScale(covering: [], pixels: (0, 10))
        XCTAssertEqual(none.lower, 0)
        XCTAssertEqual(none.upper, 1)
        let fixed = LinearScale(covering: [3, 4], pixels: (0, 10), domain: (-1, 9))
        XCTAssertEqual(fixed.lower, -1)
        XCTAssertEqual(fixed.upper, 9)
        XCTAssertEqual(fixed.label(-0.0), "0")
    }
}
