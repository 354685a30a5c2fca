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

/// A work folder under a file, or a file where the work folder should be: the path and a short reason, never
/// Foundation's "NSCocoaErrorDomain error 512".
extension CommandLineTests {
    func testFileSystemErrorsNameThePathAndAReason() throws {
        let dir = try temporaryDirectory()
        let (model, _) = try makeTinyTask(in: dir)
        let glue = try makeMRPC(in: dir)
        let file = dir.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        for (work, reason) in [(file.appendingPathComponent("sub").path, "is a file, not a directory"), (file.path, "a file of that name is in the way")] {
            let r = try run(["report", "--preset", "quick", "--task", "mrpc", "--data", glue.path, "--model", model.path, "--work", work,
                             "--output", dir.appendingPathComponent("plots").path, "--threads", "1"])
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains(work) && r.stderr.contains(reason), r.stderr)
            XCTAssertFalse(r.stderr.contains("NSCocoaErrorDomain") || r.stderr.contains("could not be completed"), r.stderr)
        }
    }
}
