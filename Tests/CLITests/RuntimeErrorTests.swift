import Foundation
import XCTest

/// An error found while a command runs prints its sentence alone; only parse errors add the usage text.
extension CommandLineTests {
    func testRuntimeErrorsPrintTheirSentenceWithoutUsage() throws {
        let dir = try temporaryDirectory()
        let (model, _) = try makeTinyTask(in: dir)
        let r = try run(["split", "--model", model.path, "--output", dir.appendingPathComponent("out").path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("not a quantized model"), r.stderr)
        XCTAssertFalse(r.stderr.contains("Usage:"), r.stderr)
        let parse = try run(["split", "--model", model.path])
        XCTAssertNotEqual(parse.status, 0)
        XCTAssertTrue(parse.stderr.contains("Usage:"), "a missing option is a parse error: \(parse.stderr)")
    }
}
