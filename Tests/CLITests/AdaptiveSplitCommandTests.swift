import Foundation
import XCTest

/// `adaptive-split` end to end on a tiny model: the budget's range is refused with its bounds, a run inside it trains
/// the mixed model, splits it exactly, fine-tunes and exports within the budget, records its choice, and a rerun
/// reuses every step; other options on the same output are refused.
extension CommandLineTests {
    func testAdaptiveSplitFitsTheBudgetAndResumes() throws {
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        let out = dir.appendingPathComponent("adaptive")
        func command(_ budget: String, _ extra: [String] = []) -> [String] {
            ["adaptive-split", "--teacher", model.path, "--task", "sst-2", "--data", data.path, "--output", out.path, "--budget", budget,
             "--ternary-epochs", "1", "--mixed-epochs", "1", "--finetune-epochs", "1", "--max-length", "16", "--batch-size", "8",
             "--probe-examples", "8", "--probe-batch-size", "4", "--trace-matvecs", "6", "--resolution", "64", "--threads", "1"] + extra
        }
        let refused = try run(command("1e-9"))
        XCTAssertNotEqual(refused.status, 0)
        let range = try XCTUnwrap(refused.stderr.firstMatch(of: #/= \[(\d+), (\d+)\] bytes/#), refused.stderr)
        let (low, high) = (Int(range.1)!, Int(range.2)!)
        XCTAssertLessThan(low, high)
        XCTAssertNotEqual(try run(command(String(Double(high + 1) / 1_048_576))).status, 0, "above the fully split size")
        let budgetBytes = (low + high) / 2
        let budget = "\(Double(budgetBytes) / 1_048_576)"
        let r = try run(command(budget, ["--gain", "curvature"]))
        XCTAssertEqual(r.status, 0, r.stderr)
        let result = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let packed = try XCTUnwrap(result["packed_bytes"] as? Int)
        XCTAssertLessThanOrEqual(packed, budgetBytes)
        XCTAssertGreaterThan(packed, low)
        let choice = try XCTUnwrap(result["choice"] as? [String: Any])
        let split = try XCTUnwrap(choice["split"] as? [String])
        XCTAssertFalse(split.isEmpty)
        XCTAssertEqual(choice["planned_bytes"] as? Int, packed, "the plan is the packed format's own accounting")
        XCTAssertLessThanOrEqual(try XCTUnwrap(result["split_relative_error"] as? Double), 1e-6)
        for file in ["sensitivity.csv", "selection.json", "final/adaptive-split.json", "packed/model.packed.safetensors", "split/quantization.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), file)
        }
        let spec = try String(contentsOf: out.appendingPathComponent("final/quantization.json"), encoding: .utf8)
        for name in split { XCTAssertTrue(spec.contains(name), name) }
        XCTAssertEqual(try nonSnakeCaseKeys(under: [out]), [], "every JSON document adaptive splitting writes is snake_case")
        // A rerun reuses everything and reports the same result; other options are refused.
        let again = try run(command(budget, ["--gain", "curvature"]))
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertFalse(again.stderr.contains("step "), "nothing is retrained")
        XCTAssertEqual(again.stdout, r.stdout)
        let other = try run(command(budget, ["--gain", "measured"]))
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.stderr.contains("other options"), other.stderr)
    }
}

extension CommandLineTests {
    /// `--budget-fraction` places the budget inside the feasible range; `--sensitivities` adopts another output's table.
    func testAdaptiveSplitBudgetFractionAndAdoptedSensitivities() throws {
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        func command(_ out: URL, _ extra: [String]) -> [String] {
            ["adaptive-split", "--teacher", model.path, "--task", "sst-2", "--data", data.path, "--output", out.path,
             "--ternary-epochs", "1", "--mixed-epochs", "1", "--finetune-epochs", "1", "--max-length", "16", "--batch-size", "8",
             "--probe-examples", "8", "--probe-batch-size", "4", "--trace-matvecs", "6", "--resolution", "64", "--threads", "1"] + extra
        }
        let first = dir.appendingPathComponent("first"), second = dir.appendingPathComponent("second")
        let a = try run(command(first, ["--budget-fraction", "0"]))
        XCTAssertEqual(a.status, 0, a.stderr)
        let b = try run(command(second, ["--budget-fraction", "0.5", "--sensitivities", first.path, "--ternary", first.appendingPathComponent("ternary").path]))
        XCTAssertEqual(b.status, 0, b.stderr)
        XCTAssertEqual(try Data(contentsOf: second.appendingPathComponent("sensitivity.csv")), try Data(contentsOf: first.appendingPathComponent("sensitivity.csv")))
        let result = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(b.stdout.utf8)) as? [String: Any])
        let range = try XCTUnwrap((result["choice"] as? [String: Any])?["range"] as? [String: Int])
        let (low, high) = (range["all_binary_bytes"]!, range["fully_split_bytes"]!)
        XCTAssertLessThanOrEqual(try XCTUnwrap(result["packed_bytes"] as? Int), low + (high - low) / 2)
        try assertRefused(command(dir.appendingPathComponent("x"), ["--budget-fraction", "1.5"]), "--budget-fraction must be a number in [0, 1], not 1.5")
        try assertRefused(command(dir.appendingPathComponent("x"), ["--budget", "4", "--budget-fraction", "0.5"]), "give one of --budget MB and --budget-fraction F")
    }
}
