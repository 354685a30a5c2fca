import XCTest
import BERT
import Foundation
import Numerics

/// `binarybert hessian --curvature ggn --scale weights|steps`: the GGN and the scale-invariant views through the CLI,
/// for --select and --per-module, recorded in hessian.json; the default output carries none of the new keys.
extension CommandLineTests {
    func testGaussNewtonAndScaledViewsThroughTheCommandLine() throws {
        let dir = try temporaryDirectory()
        let (fp, bwn, data) = try makeHessianModels(in: dir)
        let common = ["--task", "sst-2", "--data", data.path, "--examples", "16", "--batch-size", "8", "--max-length", "16", "--max-hvps", "200"]

        // The GGN in the adaptive view, both ends: positive semi-definite to rounding.
        let out = dir.appendingPathComponent("ggn")
        let r = try run(["hessian", "--model", fp.path, "--model", bwn.path, "--select", "value@0,1", "--top-k", "2", "--bottom-k", "1",
                         "--trace", "--trace-matvecs", "12", "--curvature", "ggn", "--scale", "weights", "--output", out.path] + common)
        XCTAssertEqual(r.status, 0, r.stderr)
        let doc = try jsonObject(out.appendingPathComponent("hessian.json"))
        XCTAssertEqual(doc["curvature"] as? String, "ggn")
        XCTAssertEqual(doc["scale"] as? String, "weights")
        XCTAssertTrue((doc["matrix"] as? String)?.hasPrefix("D·G·D with D = diag(|w|)") ?? false, "\(doc["matrix"] ?? "")")
        let models = try XCTUnwrap(doc["models"] as? [[String: Any]])
        for m in models {
            XCTAssertEqual(m["curvature"] as? String, "ggn")
            XCTAssertEqual(m["scale"] as? String, "weights")
            let top = try XCTUnwrap((m["top"] as? [String: Any])?["values"] as? [Double])
            let bottom = try XCTUnwrap((m["bottom"] as? [String: Any])?["values"] as? [Double])
            XCTAssertGreaterThan(top[0], 0)
            XCTAssertGreaterThanOrEqual(bottom[0], -1e-8 * top[0])
            let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: try XCTUnwrap((m["eigenvector_files"] as? [String])?.first)))
            XCTAssertEqual(file.metadata["curvature"], "ggn")
            XCTAssertEqual(file.metadata["scale"], "weights")
        }

        // Steps on the quantized model; the per-module table of the GGN goes to its own CSV.
        let steps = try run(["hessian", "--model", bwn.path, "--select", "value@0", "--scale", "steps", "--output",
                             dir.appendingPathComponent("steps").path] + common)
        XCTAssertEqual(steps.status, 0, steps.stderr)
        let perModule = dir.appendingPathComponent("per-module")
        let p = try run(["hessian", "--model", fp.path, "--model", bwn.path, "--per-module", "--batches", "1", "--layers", "1",
                         "--curvature", "ggn", "--output", perModule.path] + common)
        XCTAssertEqual(p.status, 0, p.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: perModule.appendingPathComponent("per-module.csv").path))
        let lines = try String(contentsOf: perModule.appendingPathComponent("per-module-ggn.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 1 + 2 * 5)
        for line in lines.dropFirst() {
            let f = line.split(separator: ",")
            let (lmax, lmin) = (try XCTUnwrap(Double(f[4])), try XCTUnwrap(Double(f[5])))
            XCTAssertGreaterThanOrEqual(lmin, -1e-8 * lmax, String(line))
        }
        let section = try XCTUnwrap(try jsonObject(perModule.appendingPathComponent("hessian.json"))["per_module"] as? [String: Any])
        XCTAssertEqual(section["curvature"] as? String, "ggn")
        XCTAssertEqual(section["csv"] as? String, "per-module-ggn.csv")

        // The default run records none of the new keys, at the top, per model or in the eigenvector files.
        let plain = dir.appendingPathComponent("plain")
        let d = try run(["hessian", "--model", bwn.path, "--select", "value@0", "--output", plain.path] + common)
        XCTAssertEqual(d.status, 0, d.stderr)
        let plainDoc = try jsonObject(plain.appendingPathComponent("hessian.json"))
        let plainModel = try XCTUnwrap((plainDoc["models"] as? [[String: Any]])?.first)
        for key in ["curvature", "scale", "matrix"] {
            XCTAssertNil(plainDoc[key], key)
            XCTAssertNil(plainModel[key], key)
        }
        let plainFile = try SafetensorsFile(contentsOf: URL(fileURLWithPath: try XCTUnwrap((plainModel["eigenvector_files"] as? [String])?.first)))
        XCTAssertNil(plainFile.metadata["curvature"])
    }

    /// Bad input: one sentence and a non-zero exit each, before any curvature is computed.
    func testCurvatureOptionsRefuseBadInput() throws {
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        // A full-precision model with one value weight exactly zero.
        let zeroed = dir.appendingPathComponent("zeroed")
        let m = try ModelDirectory.load(model, as: Double.self)
        m.parameters[m.table.view("bert.encoder.layer.0.attention.self.value.weight").offset + 5] = 0
        try ModelDirectory.save(m, to: zeroed, tokenizerSource: model)
        let common = ["--task", "sst-2", "--data", data.path, "--max-length", "16", "--examples", "8", "--batch-size", "8"]
        for (target, extra, message) in [
            (model, ["--select", "value@0", "--scale", "steps"], "--scale steps needs a quantized model, and model is full precision"),
            (model, ["--per-module", "--batches", "1", "--scale", "steps"], "--scale steps needs a quantized model"),
            (zeroed, ["--select", "value@0", "--scale", "weights"], "|w| is 0.0 at entry 5 of bert.encoder.layer.0.attention.self.value.weight"),
            (model, ["--select", "value@0", "--curvature", "ggn", "--quadratic-check"], "--quadratic-check predicts the loss change with the raw Hessian"),
            (model, ["--select", "value@0", "--curvature", "fisher"], "hessian"),
            (model, ["--select", "value@0", "--scale", "alpha"], "steps"),
        ] {
            let out = dir.appendingPathComponent("o-\(UInt32.random(in: 0...UInt32.max))")
            let r = try run(["hessian", "--model", target.path, "--output", out.path] + common + extra)
            XCTAssertNotEqual(r.status, 0, "\(extra)")
            XCTAssertTrue(r.stderr.contains(message), "\(extra): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("per-module-hessian-steps.csv").path))
        }
    }
}

extension CommandLineTests {
    /// `bench-hessian --curvature ggn` measures GGN products and their convergence, and says so.
    func testBenchHessianMeasuresTheGaussNewtonOperator() throws {
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        let r = try run(["bench-hessian", "--model", model.path, "--task", "sst-2", "--data", data.path, "--examples", "8", "--batch-size", "8",
                         "--max-length", "16", "--iters", "1", "--top-k", "2", "--max-hvps", "60", "--curvature", "ggn"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let line = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(line["curvature"] as? String, "ggn")
        let reference = try XCTUnwrap((line["convergence"] as? [String: Any])?["reference"] as? [Double])
        XCTAssertEqual(reference.count, 2)
        XCTAssertTrue(reference.allSatisfy { $0 >= 0 }, "\(reference)")
    }
}
