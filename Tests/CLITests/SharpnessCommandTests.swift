import XCTest
import Foundation

/// `sharpness` end to end on the tiny task: one result per model with what made it, the file written whole, and a
/// bad ρ refused with one sentence before any work.
extension CommandLineTests {
    func testSharpnessMeasuresEachModelAndRefusesABadRadius() throws {
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        let out = dir.appendingPathComponent("sharpness")
        let common = ["sharpness", "--model", model.path, "--model", model.path, "--task", "sst-2", "--data", data.path,
                      "--select", "value@0+attention-output@0", "--examples", "8", "--max-length", "16", "--samples", "3", "--steps", "2"]
        let r = try run(common + ["--rho", "0.05", "--output", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let printed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let written = try jsonObject(out.appendingPathComponent("sharpness.json"))
        XCTAssertEqual(printed["indices_sha256"] as? String, written["indices_sha256"] as? String)
        let models = try XCTUnwrap(written["models"] as? [[String: Any]])
        XCTAssertEqual(models.count, 2)
        let results = models.compactMap { $0["result"] as? [String: Any] }
        XCTAssertEqual(results[0]["average_rise"] as? Double, results[1]["average_rise"] as? Double, "the same model, draws and examples")
        XCTAssertEqual((results[0]["worst_rise_by_step"] as? [Double])?.count, 2)
        XCTAssertEqual(try nonSnakeCaseKeys(under: [out]), [])
        for (rho, text) in [("0", "--rho must be a finite number above 0, not 0.0"), ("-1", "--rho must be a finite number above 0, not -1.0")] {
            let bad = try run(common + ["--rho=\(rho)"])
            XCTAssertNotEqual(bad.status, 0)
            XCTAssertTrue(bad.stderr.contains(text), bad.stderr)
        }
    }
}
