import XCTest
@testable import Plotting

final class LogScaleTests: XCTestCase {
    /// Bit widths 1…32: the domain is [1, 32], every power of two is a tick, and equal ratios get equal distances.
    func testPowersOfTwoAreEvenlySpacedTicks() {
        let s = LogScale(base: 2, covering: [1, 2, .nan, 4, 8, 32, 0, -3], pixels: (0, 500), targetTicks: 6)
        XCTAssertEqual(s.lower, 1)
        XCTAssertEqual(s.upper, 32)
        XCTAssertEqual(s.ticks, [1, 2, 4, 8, 16, 32])
        XCTAssertEqual(s.ticks.map(s.label), ["1", "2", "4", "8", "16", "32"])
        XCTAssertEqual(s(1), 0, accuracy: 1e-9)
        XCTAssertEqual(s(32), 500, accuracy: 1e-9)
        XCTAssertEqual(s(2) - s(1), s(8) - s(4), accuracy: 1e-9)
    }

    func testDomainWidensToPowersOfTwoAndThinsCrowdedTicks() {
        let s = LogScale(base: 2, covering: [3, 100], pixels: (0, 1))
        XCTAssertEqual(s.lower, 2)
        XCTAssertEqual(s.upper, 128)
        let crowded = LogScale(base: 2, covering: [1.0 / 64, 1024], pixels: (0, 1), targetTicks: 4)
        XCTAssertEqual(crowded.stride, 4)
        XCTAssertEqual(crowded.ticks, [1.0 / 16, 1, 16, 256])
        XCTAssertEqual(crowded.label(1.0 / 16), "0.0625")
        let one = LogScale(base: 2, covering: [4], pixels: (0, 1))
        XCTAssertEqual([one.lower, one.upper], [2, 8])
        let none = LogScale(base: 2, covering: [-1, 0], pixels: (0, 1))
        XCTAssertEqual([none.lower, none.upper], [1, 2])
        let fixed = LogScale(base: 2, covering: [4], pixels: (0, 1), domain: (3, 40))
        XCTAssertEqual([fixed.lower, fixed.upper], [3, 40])
        XCTAssertEqual(fixed.ticks, [4, 8, 16, 32])
    }
}
