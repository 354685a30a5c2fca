import XCTest
import BERT
import Foundation

/// `binarybert landscape` end to end on the tiny SST-2-style task (a BWN W1A8 model): resume after SIGKILL,
/// shards merged, reruns refused, NaN points, several direction seeds.
extension CommandLineTests {
    func landscapeArguments(model: URL, data: URL, output: URL, extra: [String] = []) -> [String] {
        ["landscape", "--model", model.path, "--task", "sst-2", "--data", data.path, "--select", "value@0,1", "--directions", "filter",
         "--x", "-1:1:9", "--y", "-0.5:0.5:7", "--examples", "24", "--batch-size", "8", "--max-length", "16", "--direction-seed", "3",
         "--output", output.path] + extra
    }

    func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    func testLandscapeKilledAtRandomMomentsGivesTheUninterruptedCSV() throws {
        let dir = try temporaryDirectory()
        let (_, bwn, data) = try makeHessianModels(in: dir)
        let whole = dir.appendingPathComponent("whole")
        let began = Date()
        let r = try run(landscapeArguments(model: bwn, data: data, output: whole))
        let uninterrupted = Date().timeIntervalSince(began)
        XCTAssertEqual(r.status, 0, r.stderr)
        let line = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((line["results"] as? [[String: Any]])?.first?["points"] as? Int, 63)
        let expected = try Data(contentsOf: whole.appendingPathComponent("surface.csv"))

        let killed = dir.appendingPathComponent("killed")
        let partial = killed.appendingPathComponent("surface.csv.partial")
        var rng = SystemRandomNumberGenerator()
        var kills = 0, resumedWithPoints = 0
        for _ in 0..<80 {
            let p = try start(landscapeArguments(model: bwn, data: data, output: killed))
            // Anywhere from model loading to late in an uninterrupted run.
            usleep(UInt32(Double.random(in: 0.1...0.8, using: &rng) * uninterrupted * 1e6))
            if p.isRunning {
                kill(p.processIdentifier, SIGKILL)
                kills += 1
            }
            p.waitUntilExit()
            if let text = try? String(contentsOf: partial, encoding: .utf8), text.split(separator: "\n").count > 1, p.terminationReason != .exit {
                resumedWithPoints += 1
            }
            if p.terminationReason == .exit {
                XCTAssertEqual(p.terminationStatus, 0)
                if kills >= 2 && resumedWithPoints >= 1 { break }
                // Finished before enough kills landed (a fast machine): start the scan over.
                try FileManager.default.removeItem(at: killed)
                kills = 0; resumedWithPoints = 0
            }
        }
        let final = try run(landscapeArguments(model: bwn, data: data, output: killed))
        XCTAssertEqual(final.status, 0, final.stderr)
        XCTAssertGreaterThan(kills, 0)
        XCTAssertGreaterThan(resumedWithPoints, 0, "no kill landed after the first point")
        XCTAssertEqual(try Data(contentsOf: killed.appendingPathComponent("surface.csv")), expected)
        XCTAssertEqual(try Data(contentsOf: killed.appendingPathComponent("statistics.csv")),
                       try Data(contentsOf: whole.appendingPathComponent("statistics.csv")))

        // A rerun with another option is refused, naming it.
        let other = try run(landscapeArguments(model: bwn, data: data, output: killed, extra: ["--space", "quantized"]))
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.stderr.contains("was made with --space = latent, this run asks for quantized"), other.stderr)

        // Shards (one from --shard, one from Open MPI's variables) merged give the same bytes.
        let sharded = dir.appendingPathComponent("sharded")
        XCTAssertEqual(try run(landscapeArguments(model: bwn, data: data, output: sharded, extra: ["--shard", "0/2"])).status, 0)
        let p = try start(landscapeArguments(model: bwn, data: data, output: sharded), environment: ["OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_SIZE": "2"])
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: sharded.appendingPathComponent("part-1-of-2.csv").path))
        let merged = dir.appendingPathComponent("merged")
        let m = try run(["landscape", "--merge", sharded.path, "--output", merged.path])
        XCTAssertEqual(m.status, 0, m.stderr)
        XCTAssertEqual(try Data(contentsOf: merged.appendingPathComponent("surface.csv")), expected)
    }

    func testLandscapeRecordsNaNAndRepeatsDirectionSeeds() throws {
        let dir = try temporaryDirectory()
        let (fp, _, data) = try makeHessianModels(in: dir)
        // Offsets of 1e39 overflow float32 weights to ±inf: the points are recorded as nan, not dropped.
        let blown = dir.appendingPathComponent("blown")
        let r = try run(["landscape", "--model", fp.path, "--task", "sst-2", "--data", data.path, "--select", "classifier", "--directions", "random",
                         "--x", "0:1e39:2", "--examples", "8", "--max-length", "16", "--output", blown.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let csv = try String(contentsOf: blown.appendingPathComponent("surface.csv"), encoding: .utf8)
        XCTAssertTrue(csv.hasSuffix(",nan,nan\n"), csv)
        XCTAssertEqual(try jsonObject(blown.appendingPathComponent("surface.json"))["space"] as? String, "full-precision")

        let seeds = dir.appendingPathComponent("seeds")
        let s = try run(["landscape", "--model", fp.path, "--task", "sst-2", "--data", data.path, "--select", "value@0,1", "--directions", "filter",
                         "--x", "-1:1:5", "--y", "-1:1:5", "--direction-seeds", "2", "--examples", "8", "--max-length", "16", "--output", seeds.path])
        XCTAssertEqual(s.status, 0, s.stderr)
        let summary = try String(contentsOf: seeds.appendingPathComponent("statistics-summary.csv"), encoding: .utf8)
        XCTAssertTrue(summary.hasPrefix("statistic,mean,std,count\nloss_center,"), summary)
        XCTAssertTrue(summary.contains("\nroughness,"), summary)
        for seed in ["seed-0", "seed-1"] {
            let doc = try jsonObject(seeds.appendingPathComponent("\(seed)/surface.json"))
            let dirs = try XCTUnwrap(doc["directions"] as? [String: Any])
            XCTAssertLessThan(abs(try XCTUnwrap(dirs["cosine_after_orthogonalization"] as? Double)), 1e-6)
            XCTAssertNotNil((doc["statistics"] as? [String: Any])?["nonconvex_fraction"])
        }
        // The centre is the same model whatever the directions.
        let a = try String(contentsOf: seeds.appendingPathComponent("seed-0/surface.csv"), encoding: .utf8).split(separator: "\n")[13]
        let b = try String(contentsOf: seeds.appendingPathComponent("seed-1/surface.csv"), encoding: .utf8).split(separator: "\n")[13]
        XCTAssertTrue(a.hasPrefix("2,2,0.0,0.0,"), String(a))
        XCTAssertEqual(a, b)
    }

    /// --batching auto packs a full-precision model's batches and pads an A8 model's (its clip quantizer's range is
    /// per batch); the affine shortcut and the batching are part of a scan's identity.
    func testLandscapeBatchingAndAffineShortcutAreRecorded() throws {
        let dir = try temporaryDirectory()
        let (fp, bwn, data) = try makeHessianModels(in: dir)
        func scan(_ model: URL, _ name: String, _ extra: [String] = []) throws -> (Result, [String: Any]?) {
            let out = dir.appendingPathComponent(name)
            let r = try run(["landscape", "--model", model.path, "--task", "sst-2", "--data", data.path, "--select", "ffn-output@1",
                             "--directions", "filter", "--x", "-1:1:3", "--y", "-1:1:3", "--examples", "8", "--max-length", "16",
                             "--space", "quantized", "--output", out.path] + extra)
            return (r, try? jsonObject(out.appendingPathComponent("surface.json")))
        }
        let (a, docA) = try scan(fp, "fp")
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertEqual((docA?["objective"] as? [String: Any])?["batching"] as? String, "packed")
        XCTAssertEqual((docA?["prefix_cache"] as? [String: Any])?["affine_stage"] as? String, "ffn-output@1")
        let (b, docB) = try scan(bwn, "bwn")
        XCTAssertEqual(b.status, 0, b.stderr)
        XCTAssertEqual((docB?["objective"] as? [String: Any])?["batching"] as? String, "padded")
        // Same scan, now without the shortcut or with other batches: refused, naming the option.
        let (c, _) = try scan(fp, "fp", ["--no-affine"])
        XCTAssertNotEqual(c.status, 0)
        XCTAssertTrue(c.stderr.contains("--no-affine"), c.stderr)
        let (d, _) = try scan(fp, "fp", ["--batching", "padded"])
        XCTAssertNotEqual(d.status, 0)
        XCTAssertTrue(d.stderr.contains("--batching"), d.stderr)
        // Packed and padded, with and without the shortcut: the same surface within float32 rounding.
        let (e, _) = try scan(fp, "fp-padded", ["--batching", "padded", "--no-affine"])
        XCTAssertEqual(e.status, 0, e.stderr)
        func losses(_ name: String) throws -> [Double] {
            try String(contentsOf: dir.appendingPathComponent("\(name)/surface.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
                .map { Double($0.split(separator: ",")[4])! }
        }
        for (x, y) in zip(try losses("fp"), try losses("fp-padded")) { XCTAssertEqual(x, y, accuracy: 1e-5 * max(1, abs(y))) }
    }

    func testLandscapeRejectsBadOptions() throws {
        let common = ["landscape", "--model", "m", "--task", "sst-2", "--data", "d", "--select", "value@0", "--output", "o"]
        for (extra, message) in [(["--x", "1:0:3"], "--x '1:0:3' needs MIN < MAX"), (["--directions", "sideways"], "'sideways' is not a direction"),
                                 (["--space", "diagonal"], "--space"), (["--shard", "3/2"], "--shard '3/2' must be K/N"),
                                 (["--direction-seeds", "0"], "--direction-seeds must be in 1...1000"),
                                 (["--examples", "0"], "--examples must be an integer in [1, 2147483647], not 0"), (["--cache-mb=-1"], "--cache-mb must be an integer in [0, 1073741824], not -1"),
                                 (["--y-directions", "file:"], "'file:' is not a direction"), (["--one-d", "some"], "--one-d")] {
            let r = try run(common + extra)
            XCTAssertNotEqual(r.status, 0, extra.joined(separator: " "))
            XCTAssertTrue(r.stderr.contains(message), "\(extra): \(r.stderr)")
        }
        let bench = try run(["bench-landscape", "--model", "m", "--task", "sst-2", "--data", "d", "--points", "0"])
        XCTAssertNotEqual(bench.status, 0)
        XCTAssertTrue(bench.stderr.contains("--points must be in 1...100000"), bench.stderr)
    }
}
