import XCTest
import BERT
import Foundation

/// `binarybert hessian` end to end on the tiny SST-2-style task: a full-precision and a BWN W1A8 model.
extension CommandLineTests {
    func makeHessianModels(in dir: URL) throws -> (fp: URL, bwn: URL, data: URL) {
        let (model, data) = try makeTinyTask(in: dir)
        let bwn = dir.appendingPathComponent("bwn")
        let q = try run(["quantize", "--teacher", model.path, "--task", "sst-2", "--data", data.path, "--output", bwn.path,
                         "--weight-bits", "1", "--act-bits", "8", "--epochs", "0", "--batch-size", "16", "--max-length", "16"])
        XCTAssertEqual(q.status, 0, q.stderr)
        return (model, bwn, data)
    }

    func testHessianWritesEigenpairsTraceDensityAndQuadraticCheck() throws {
        let dir = try temporaryDirectory()
        let (fp, bwn, data) = try makeHessianModels(in: dir)
        let out = dir.appendingPathComponent("hessian")
        let r = try run(["hessian", "--model", fp.path, "--model", bwn.path, "--task", "sst-2", "--data", data.path,
                         "--select", "value@0,1", "--top-k", "2", "--bottom-k", "1", "--trace", "--trace-matvecs", "12", "--density",
                         "--runs", "2", "--steps", "10", "--quadratic-check", "--examples", "24", "--batch-size", "8",
                         "--max-length", "16", "--max-hvps", "200", "--output", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let line = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertNotNil(line["results"])
        let doc = try jsonObject(out.appendingPathComponent("hessian.json"))
        let models = try XCTUnwrap(doc["models"] as? [[String: Any]])
        XCTAssertEqual(models.count, 2)
        XCTAssertEqual((doc["selection"] as? [String: Any])?["dimension"] as? Int, 2 * 16 * 16)
        XCTAssertEqual((doc["objective"] as? [String: Any])?["examples"] as? Int, 24)
        for m in models {
            let top = try XCTUnwrap(m["top"] as? [String: Any])
            let values = try XCTUnwrap(top["values"] as? [Double])
            XCTAssertEqual(values.count, 2)
            XCTAssertGreaterThanOrEqual(values[0], values[1])
            XCTAssertEqual(top["converged"] as? [Bool], [true, true])
            let bottom = try XCTUnwrap((m["bottom"] as? [String: Any])?["values"] as? [Double])
            XCTAssertLessThanOrEqual(bottom[0], values[1])
            XCTAssertNotNil((m["trace"] as? [String: Any])?["standard_error"])
            let slq = try XCTUnwrap((m["density"] as? [String: Any])?["slq"] as? [String: Any])
            for run in try XCTUnwrap(slq["runs"] as? [[String: Any]]) {
                XCTAssertEqual((run["weights"] as? [Double])?.reduce(0, +) ?? 0, 1, accuracy: 1e-9)
            }
            let files = try XCTUnwrap(m["eigenvector_files"] as? [String])
            XCTAssertEqual(files.count, 3)
            let file = try SafetensorsFile(contentsOf: URL(fileURLWithPath: files[0]))
            XCTAssertEqual(file.names.sorted(), ["bert.encoder.layer.0.attention.self.value.weight", "bert.encoder.layer.1.attention.self.value.weight"])
            XCTAssertNotNil(m["hvps"])
            XCTAssertNotNil(m["accuracy"])
        }
        // A full-precision model has nothing to quantize: no quadratic check.
        XCTAssertNil(models[0]["quadratic_check"])
        let q = try XCTUnwrap(models[1]["quadratic_check"] as? [String: Any])
        XCTAssertNotNil(q["measured"])
        XCTAssertNotNil(q["predicted"])

        // A warm start from the top eigenvectors converges in fewer HVPs.
        let warm = dir.appendingPathComponent("warm")
        let topFiles = try XCTUnwrap(models[1]["eigenvector_files"] as? [String]).prefix(2)
        let w = try run(["hessian", "--model", bwn.path, "--task", "sst-2", "--data", data.path, "--select", "value@0,1", "--top-k", "2",
                         "--examples", "24", "--batch-size", "8", "--max-length", "16", "--max-hvps", "200", "--output", warm.path]
                        + topFiles.flatMap { ["--warm-start", $0] })
        XCTAssertEqual(w.status, 0, w.stderr)
        let warmTop = try XCTUnwrap(((try jsonObject(warm.appendingPathComponent("hessian.json"))["models"] as? [[String: Any]])?[0]["top"]) as? [String: Any])
        let coldTop = try XCTUnwrap(models[1]["top"] as? [String: Any])
        XCTAssertLessThan(try XCTUnwrap(warmTop["matvecs"] as? Int), try XCTUnwrap(coldTop["matvecs"] as? Int))
        XCTAssertEqual((warmTop["values"] as? [Double])?[0] ?? 0, (coldTop["values"] as? [Double])?[0] ?? 1, accuracy: 1e-6)

        // The full-precision model's eigenvectors have the same tensor names but another model's sha256: a warm start
        // of the BWN model from them is refused unless asked for.
        let fpFiles = try XCTUnwrap(models[0]["eigenvector_files"] as? [String]).prefix(1)
        let foreignArgs = ["hessian", "--model", bwn.path, "--task", "sst-2", "--data", data.path, "--select", "value@0,1", "--top-k", "1",
                           "--examples", "24", "--batch-size", "8", "--max-length", "16", "--max-hvps", "200"]
            + fpFiles.flatMap { ["--warm-start", $0] }
        let refused = try run(foreignArgs + ["--output", dir.appendingPathComponent("foreign").path])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("was computed on another model"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--allow-other-model"), refused.stderr)
        let allowed = try run(foreignArgs + ["--allow-other-model", "--output", dir.appendingPathComponent("foreign-allowed").path])
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
    }

    /// --block-memory applies the trace and density products in blocks: the same estimates to rounding, the block
    /// size recorded; without it the output has no block field.
    func testBlockMemoryGivesTheSameTraceAndDensity() throws {
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        var models: [[String: Any]] = []
        for extra in [[], ["--block-memory", "64"]] {
            let out = dir.appendingPathComponent("h\(extra.count)")
            let r = try run(["hessian", "--model", model.path, "--task", "sst-2", "--data", data.path, "--select", "value@0,1", "--top-k", "0",
                             "--trace", "--trace-matvecs", "12", "--density", "--runs", "5", "--steps", "6", "--examples", "16",
                             "--batch-size", "8", "--max-length", "16", "--output", out.path] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            models.append(try XCTUnwrap((try jsonObject(out.appendingPathComponent("hessian.json"))["models"] as? [[String: Any]])?.first))
        }
        XCTAssertNil(models[0]["block_columns"])
        XCTAssertEqual(models[1]["block_columns"] as? Int, 16)
        let traces = try models.map { try XCTUnwrap(($0["trace"] as? [String: Any])?["estimate"] as? Double) }
        XCTAssertEqual(traces[0], traces[1], accuracy: 1e-9 * abs(traces[0]))
        let nodes = try models.map { m in
            try XCTUnwrap(((m["density"] as? [String: Any])?["slq"] as? [String: Any])?["runs"] as? [[String: Any]]).flatMap { $0["nodes"] as? [Double] ?? [] }
        }
        XCTAssertEqual(nodes[0].count, nodes[1].count)
        for (a, b) in zip(nodes[0], nodes[1]) { XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(a))) }
    }

    func testLanczosBasisBeyondTheMachinesMemoryIsRefusedBeforeAllocating() throws {
        let dir = try temporaryDirectory()
        let (_, bwn, data) = try makeHessianModels(in: dir)
        // A tiny model's full basis fits any machine, so the budget is capped at 1 MB by the environment: the basis of
        // every parameter (thousands of vectors of thousands of entries) is then refused before it is allocated.
        let r = try run(["hessian", "--model", bwn.path, "--task", "sst-2", "--data", data.path, "--select", "all@*", "--top-k", "1",
                         "--examples", "8", "--batch-size", "8", "--max-length", "16", "--max-hvps", "100000",
                         "--output", dir.appendingPathComponent("huge").path],
                        environment: ["BINARYBERT_MEMORY_LIMIT_MB": "1"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("The Lanczos basis"), r.stderr)
        XCTAssertTrue(r.stderr.contains("of memory are available"), r.stderr)
    }

    func testPerModuleTableResumesWithoutRecomputing() throws {
        let dir = try temporaryDirectory()
        let (fp, bwn, data) = try makeHessianModels(in: dir)
        let out = dir.appendingPathComponent("per-module")
        let args = ["hessian", "--model", fp.path, "--model", bwn.path, "--task", "sst-2", "--data", data.path, "--per-module",
                    "--batches", "2", "--batch-size", "8", "--max-length", "16", "--max-hvps", "60", "--output", out.path]
        let r = try run(args)
        XCTAssertEqual(r.status, 0, r.stderr)
        let csv = out.appendingPathComponent("per-module.csv")
        let full = try String(contentsOf: csv, encoding: .utf8)
        let lines = full.split(separator: "\n")
        XCTAssertEqual(lines.first, "model,module,layer,batch,lambda_max,lambda_min,residual_max,hvps,seconds,converged")
        XCTAssertEqual(lines.count, 1 + 2 * 5 * 2 * 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: csv.path + ".partial"))
        let summary = try XCTUnwrap((try jsonObject(out.appendingPathComponent("hessian.json"))["per_module"] as? [String: Any])?["summary"] as? [[String: Any]])
        let bwnRows = summary.filter { $0["model"] as? String == "bwn" }
        XCTAssertEqual(bwnRows.count, 5)
        for row in bwnRows {
            let ratio = try XCTUnwrap(row["lambda_max_ratio"] as? Double)
            XCTAssertLessThanOrEqual(try XCTUnwrap(row["lambda_max_ratio_low"] as? Double), ratio)
            XCTAssertGreaterThanOrEqual(try XCTUnwrap(row["lambda_max_ratio_high"] as? Double), ratio)
        }

        // An interrupted run: the partial table holds the first 7 cells and a torn eighth line.
        let kept = lines.prefix(8).joined(separator: "\n") + "\n" + lines[8].prefix(10)
        try FileManager.default.removeItem(at: csv)
        try kept.write(toFile: csv.path + ".partial", atomically: true, encoding: .utf8)
        let again = try run(args)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("cell 13/13") && !again.stderr.contains("cell 14/13"), again.stderr)
        let resumed = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(resumed.count, lines.count)
        // Finished cells were kept as they were; recomputed ones agree except for their timing.
        func strip(_ l: Substring) -> String { l.split(separator: ",").enumerated().filter { $0.offset != 8 }.map(\.element).joined(separator: ",") }
        XCTAssertEqual(Set(resumed.map(strip)), Set(lines.map(strip)))
        for l in lines.prefix(8).dropFirst() { XCTAssertTrue(resumed.contains(l)) }
    }

    func testHessianRefusesBadOptions() throws {
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        let base = ["hessian", "--model", model.path, "--task", "sst-2", "--data", data.path, "--output", dir.appendingPathComponent("o").path,
                    "--max-length", "16"]
        for (extra, message) in [(["--select", "values@0"], "KIND one of"), (["--select", "value@7"], "within 0-1"),
                                 (["--select", "value@0", "--tol", "0"], "--tol"), (["--select", "value@0", "--max-hvps", "0"], "--max-hvps"),
                                 (["--select", "value@0", "--space", "pair"], "split"), (["--select", "value@0", "--method", "power", "--bottom-k", "1"], "lanczos"),
                                 (["--select", "value@0", "--dtype", "float16"], "float16"), (["--select", "value@0", "--examples", "0"], "--examples"),
                                 ([], "--select"), (["--select", "value@0", "--trace", "--trace-matvecs", "3"], "--trace-matvecs"),
                                 (["--select", "value@0", "--trace", "--probes", "3"], "--trace-matvecs"),
                                 (["--select", "value@0", "--trace", "--probes", "8", "--trace-matvecs", "8"], "old name"),
                                 (["--select", "value@0", "--quadratic-bound"], "give --quadratic-check too"),
                                 (["--heterogeneity", "--layers", "0", "--steps", "0"], "--steps"),
                                 (["--select", "value@0", "--block-memory", "-1"], "--block-memory")] {
            let r = try run(base + extra)
            XCTAssertNotEqual(r.status, 0, "\(extra)")
            XCTAssertTrue(r.stderr.contains(message), "\(extra): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
        }
    }

    /// --quadratic-bound: λ_max at w, the bound ½λ_max‖ε‖² and the Rayleigh quotient beside the check; --heterogeneity:
    /// each model's blocks (2 layers × 5 module kinds) with every pair's Jensen–Shannon distance in [0, 1].
    func testQuadraticBoundAndModuleHeterogeneity() throws {
        let dir = try temporaryDirectory()
        let (fp, bwn, data) = try makeHessianModels(in: dir)
        let common = ["--task", "sst-2", "--data", data.path, "--examples", "16", "--batch-size", "8", "--max-length", "16"]
        let bound = dir.appendingPathComponent("bound")
        let b = try run(["hessian", "--model", bwn.path, "--select", "value@0,1", "--top-k", "0", "--quadratic-check", "--quadratic-bound",
                         "--max-hvps", "60", "--tol", "1e-6", "--output", bound.path] + common)
        XCTAssertEqual(b.status, 0, b.stderr)
        let q = try XCTUnwrap((try jsonObject(bound.appendingPathComponent("hessian.json"))["models"] as? [[String: Any]])?.first?["quadratic_check"] as? [String: Any])
        let lambda = try XCTUnwrap(q["lambda_max"] as? Double), eps = try XCTUnwrap(q["epsilon_norm"] as? Double)
        XCTAssertEqual(try XCTUnwrap(q["curvature_bound"] as? Double), 0.5 * lambda * eps * eps, accuracy: 1e-9 * abs(lambda * eps * eps))
        XCTAssertLessThanOrEqual(try XCTUnwrap(q["rayleigh_quotient"] as? Double), lambda * (1 + 1e-6))

        let het = dir.appendingPathComponent("het")
        let h = try run(["hessian", "--model", fp.path, "--model", bwn.path, "--heterogeneity", "--layers", "0,1", "--runs", "1", "--steps", "6",
                         "--output", het.path] + common)
        XCTAssertEqual(h.status, 0, h.stderr)
        let doc = try XCTUnwrap(try jsonObject(het.appendingPathComponent("hessian.json"))["heterogeneity"] as? [String: Any])
        let models = try XCTUnwrap(doc["models"] as? [[String: Any]])
        XCTAssertEqual(models.map { $0["label"] as? String }, [fp.lastPathComponent, bwn.lastPathComponent])
        for m in models {
            XCTAssertEqual(m["blocks"] as? Int, 10)
            let mean = try XCTUnwrap(m["mean_distance"] as? Double)
            XCTAssertTrue(mean > 0 && mean <= 1, "\(mean)")
        }
        let table = try String(contentsOf: het.appendingPathComponent("heterogeneity.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(table.first, "model,a,b,module_a,layer_a,module_b,layer_b,distance")
        XCTAssertEqual(table.count, 1 + 2 * 45)
        for line in table.dropFirst() {
            let d = try XCTUnwrap(Double(line.split(separator: ",").last!))
            XCTAssertTrue(d >= 0 && d <= 1, String(line))
        }
    }
}
