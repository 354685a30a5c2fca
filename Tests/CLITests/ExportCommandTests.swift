import Foundation
import XCTest

/// `export --packed` end to end: the packed directory carries the tokenizer, so `evaluate` on text data gives the
/// quantized model's metrics from it.
extension CommandLineTests {
    func testPackedExportEvaluatesLikeTheQuantizedModel() throws {
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        let quantized = dir.appendingPathComponent("ternary"), packed = dir.appendingPathComponent("packed")
        let q = try run(["quantize", "--teacher", model.path, "--task", "sst-2", "--data", data.path, "--output", quantized.path,
                         "--weight-bits", "2", "--act-bits", "8", "--epochs", "0", "--max-length", "16", "--threads", "1"])
        XCTAssertEqual(q.status, 0, q.stderr)
        let export = try run(["export", "--packed", "--model", quantized.path, "--output", packed.path])
        XCTAssertEqual(export.status, 0, export.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: packed.appendingPathComponent("vocab.txt").path))
        func metrics(_ dir: URL) throws -> [String: Any] {
            let r = try run(["evaluate", "--model", dir.path, "--task", "sst-2", "--data", data.path, "--max-length", "16",
                             "--dtype", "float64"])
            XCTAssertEqual(r.status, 0, r.stderr)
            return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        }
        let (a, b) = (try metrics(quantized), try metrics(packed))
        XCTAssertEqual(a["accuracy"] as? Double, b["accuracy"] as? Double)
        XCTAssertEqual(try XCTUnwrap(a["loss"] as? Double), try XCTUnwrap(b["loss"] as? Double), accuracy: 1e-12)
    }
}
