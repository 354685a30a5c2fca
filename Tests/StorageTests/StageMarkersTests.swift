import Foundation
import Storage
import XCTest

/// A stage runs once: its marker makes a later run return the recorded result without running it, and a marker
/// recorded for another identity is refused instead of reused; a marker that is no record is an error.
final class StageMarkersTests: XCTestCase {
    func testAStepRunsOnceAndRefusesAnotherIdentity() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("stage-markers-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let markers = StageMarkers(work: dir)
        var runs = 0
        func step(_ identity: String) throws -> Int { try markers.step("a/b", identity: identity) { runs += 1; return 41 + runs } }
        XCTAssertEqual(try step("x"), 42)
        XCTAssertEqual(try step("x"), 42, "the recorded result")
        XCTAssertEqual(runs, 1)
        XCTAssertEqual(markers.url("a/b").lastPathComponent, "a__b.json")
        XCTAssertThrowsError(try step("y")) { XCTAssertEqual($0 as? StageMarkerError, .changed(stage: "a/b", marker: markers.url("a/b").path)) }
        try Data("{".utf8).write(to: markers.url("a/b"))
        XCTAssertThrowsError(try step("x")) { XCTAssertEqual($0 as? StageMarkerError, .unreadable(path: markers.url("a/b").path)) }
        XCTAssertNil(try markers.record("never", as: StageDone.self))
    }
}
