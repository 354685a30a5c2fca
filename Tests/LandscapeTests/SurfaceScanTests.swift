import XCTest
import Foundation
import Probe
import BERT
import Curvature
import Storage
@testable import Landscape

final class SurfaceScanTests: XCTestCase {
    let grid = SurfaceGrid(x: GridAxis(min: -1, max: 1, count: 5), y: GridAxis(min: -0.5, max: 1, count: 4))
    func bowl(_ x: Double, _ y: Double) -> (loss: Double, metric: Double?) { (x * x + 2 * y * y + 0.1 * x * y, 0.5) }

    func scan(_ dir: URL, shard: Shard? = nil, identity: [String: String] = ["space": "latent"],
              evaluate: ((Double, Double) throws -> (loss: Double, metric: Double?))? = nil) throws -> SurfaceScan.Outcome {
        try SurfaceScan.run(grid: grid, shard: shard, directory: dir, identity: identity, sidecar: ["version": "test"], directionSeed: 1,
                            progress: { _ in }, evaluate: evaluate ?? bowl)
    }

    func testShardedAndMergedEqualsUnsharded() throws {
        let root = try LandscapeFixtures.directory(self)
        let whole = try scan(root.appendingPathComponent("whole"))
        XCTAssertEqual(whole.computed, grid.pointCount)
        let a = root.appendingPathComponent("a"), b = root.appendingPathComponent("b")
        for k in 0..<3 { _ = try scan(k == 1 ? b : a, shard: Shard(index: k, count: 3, source: "test")) }
        let merged = try SurfaceMerge.merge([a, b], into: root.appendingPathComponent("merged"))
        XCTAssertEqual(try Data(contentsOf: merged.csv), try Data(contentsOf: whole.csv))
        XCTAssertEqual(try Data(contentsOf: root.appendingPathComponent("merged/statistics.csv")),
                       try Data(contentsOf: root.appendingPathComponent("whole/statistics.csv")))
        // A missing shard is named.
        XCTAssertThrowsError(try SurfaceMerge.merge([a], into: root.appendingPathComponent("m2"))) { e in
            XCTAssertTrue("\(e)".contains("shard 1/3 is missing"), "\(e)")
        }
    }

    func testRerunComputesNothingAndMismatchIsRefused() throws {
        let dir = try LandscapeFixtures.directory(self)
        _ = try scan(dir)
        let again = try scan(dir, evaluate: { _, _ in XCTFail("recomputed"); return (0, nil) })
        XCTAssertEqual(again.computed, 0)
        XCTAssertThrowsError(try scan(dir, identity: ["space": "quantized"])) { e in
            XCTAssertEqual("\(e)", "\(dir.appendingPathComponent("surface.json").path) was made with --space = latent, this run asks for quantized: rerun with the same options or use another --output")
        }
    }

    func testASidecarKeyedByOptionSpellingsIsReadUnderTheFieldNames() throws {
        let dir = try LandscapeFixtures.directory(self)
        _ = try scan(dir, identity: ["space": "latent", "batch_size": "8", "affine": "on"])
        // Sidecars written before the identity had field names keyed it by the options' spellings.
        let url = dir.appendingPathComponent("surface.json")
        let old = JSONValue.object(["identity": .object(["--space": .string("latent"), "--batch-size": .string("8"),
                                                          "affine shortcut (--no-affine)": .string("on")])])
        try SurfaceScan.writeJSON(try XCTUnwrap(try SurfaceScan.readJSON(url).merging(old)), to: url)
        let again = try scan(dir, identity: ["space": "latent", "batch_size": "8", "affine": "on"],
                             evaluate: { _, _ in XCTFail("recomputed"); return (0, nil) })
        XCTAssertEqual(again.computed, 0)
        XCTAssertThrowsError(try scan(dir, identity: ["space": "latent", "batch_size": "16", "affine": "off"])) { e in
            XCTAssertTrue("\(e)".contains("was made with --batch-size = 8, this run asks for 16"), "\(e)")
        }
    }

    func testTornPartialLineIsDroppedAndTheRestKept() throws {
        let dir = try LandscapeFixtures.directory(self)
        let whole = try scan(dir.appendingPathComponent("whole"))
        let part = dir.appendingPathComponent("part")
        try FileManager.default.createDirectory(at: part, withIntermediateDirectories: true)
        let lines = try String(contentsOf: whole.csv, encoding: .utf8).split(separator: "\n")
        // Header, six whole rows and half of the seventh.
        let torn = lines[0...6].joined(separator: "\n") + "\n" + lines[7].prefix(7)
        try Data(torn.utf8).write(to: part.appendingPathComponent("surface.csv.partial"))
        var calls = 0
        let resumed = try scan(part, evaluate: { x, y in calls += 1; return self.bowl(x, y) })
        XCTAssertEqual(calls, grid.pointCount - 6)
        XCTAssertEqual(try Data(contentsOf: resumed.csv), try Data(contentsOf: whole.csv))
        XCTAssertFalse(FileManager.default.fileExists(atPath: part.appendingPathComponent("surface.csv.partial").path))
    }

    func testNonFinitePointsAreRecordedAsSuch() throws {
        let dir = try LandscapeFixtures.directory(self)
        let out = try scan(dir, evaluate: { x, y in x == 1 ? (.nan, .nan) : (x == -1 && y == 1 ? (.infinity, 0) : self.bowl(x, y)) })
        let text = try String(contentsOf: out.csv, encoding: .utf8)
        XCTAssertTrue(text.contains("4,0,1.0,-0.5,nan,nan\n"), text)
        XCTAssertTrue(text.contains("0,3,-1.0,1.0,inf,0.0\n"), text)
        let doc = try JSONSerialization.jsonObject(with: Data(contentsOf: out.sidecar)) as? [String: Any]
        XCTAssertEqual(doc?["non_finite_points"] as? Int, 5)
        XCTAssertEqual(try SurfaceCSV.read(out.csv, grid: grid).count, grid.pointCount)
    }

    func testStatisticsOfKnownSurfaces() throws {
        let g = SurfaceGrid(x: GridAxis(min: -1, max: 1, count: 9), y: GridAxis(min: -1, max: 1, count: 9))
        func stats(_ f: (Double, Double) -> Double) -> SurfaceStatistics {
            SurfaceStatistics(grid: g, loss: (0..<g.pointCount).map { let (x, y) = g.offsets($0); return f(x, y) })
        }
        let bowl = stats { x, y in x * x + 2 * y * y }
        XCTAssertEqual(bowl["loss_center"], 0)
        XCTAssertEqual(bowl["curvature_x"]!, 2, accuracy: 1e-12)
        XCTAssertEqual(bowl["curvature_y"]!, 4, accuracy: 1e-12)
        XCTAssertEqual(bowl["nonconvex_fraction"], 0)
        XCTAssertEqual(bowl["mean_abs_eigen_ratio"]!, 0.5, accuracy: 1e-12)   // |λ_min|/|λ_max| = 2/4
        XCTAssertEqual(bowl["local_minima"], 1)
        XCTAssertEqual(bowl["sharpness_r3"]!, 2, accuracy: 1e-12)      // max of x² + 2y² on the unit disc: y = ±1
        XCTAssertEqual(bowl["sharpness_r1"]!, 2 * 0.0625, accuracy: 1e-12)
        let saddle = stats { x, y in x * x - y * y }
        XCTAssertEqual(saddle["nonconvex_fraction"], 1)
        XCTAssertEqual(saddle["mean_abs_eigen_ratio"]!, 1, accuracy: 1e-12)
        XCTAssertEqual(saddle["local_minima"], 0)
        // Roughness of a plane L = 3x + y: mean of |ΔL|/h over both axes' pairs (3 and 1, equally many).
        XCTAssertEqual(stats { x, y in 3 * x + y }["roughness"]!, 2, accuracy: 1e-12)
        let runs = [bowl, saddle]
        let agg = SurfaceStatistics.aggregate(runs).first { $0.name == "nonconvex_fraction" }!
        XCTAssertEqual(agg.mean, 0.5); XCTAssertEqual(agg.std, 0.5.squareRoot(), accuracy: 1e-15); XCTAssertEqual(agg.count, 2)
    }

    func testShardsFromLaunchers() throws {
        XCTAssertEqual(try Shard.fromEnvironment(["OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_SIZE": "4"]), Shard(index: 1, count: 4, source: "OMPI_COMM_WORLD_RANK/OMPI_COMM_WORLD_SIZE"))
        XCTAssertEqual(try Shard.fromEnvironment(["PMI_RANK": "0", "PMI_SIZE": "2"])?.description, "0/2")
        XCTAssertEqual(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "3", "SLURM_ARRAY_TASK_COUNT": "4",
                                                  "SLURM_PROCID": "0", "SLURM_NTASKS": "1"])?.description, "2/4")
        XCTAssertEqual(try Shard.fromEnvironment(["SLURM_PROCID": "2", "SLURM_NTASKS": "3"])?.description, "2/3")
        XCTAssertNil(try Shard.fromEnvironment(["SLURM_PROCID": "0", "SLURM_NTASKS": "1"]))
        XCTAssertNil(try Shard.fromEnvironment([:]))
        XCTAssertThrowsError(try Shard.fromEnvironment(["PMI_RANK": "3", "PMI_SIZE": "2"]))
        // Extreme values are refused in a sentence, never trap in the offset arithmetic.
        XCTAssertThrowsError(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "-9223372036854775808", "SLURM_ARRAY_TASK_MIN": "1",
                                                        "SLURM_ARRAY_TASK_COUNT": "4"])) { XCTAssertTrue("\($0)".contains("SLURM_ARRAY_TASK_ID"), "\($0)") }
        XCTAssertThrowsError(try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "9223372036854775807",
                                                        "SLURM_ARRAY_TASK_COUNT": "4"]))
        XCTAssertThrowsError(try Shard(parsing: "2/2")) { XCTAssertTrue("\($0)".contains("--shard '2/2' must be K/N"), "\($0)") }
        XCTAssertEqual(try Shard(parsing: "1/3").stem, "part-1-of-3")
    }

    func testGridAxisParsing() throws {
        let a = try GridAxis(parsing: "-1:1:21", option: "--x")
        XCTAssertEqual(a.value(10), 0)
        XCTAssertEqual(a.value(20), 1)
        XCTAssertThrowsError(try GridAxis(parsing: "1:-1:5", option: "--y")) { XCTAssertTrue("\($0)".hasPrefix("--y '1:-1:5' needs MIN < MAX"), "\($0)") }
        XCTAssertThrowsError(try GridAxis(parsing: "0:1", option: "--x"))
        XCTAssertThrowsError(try GridAxis(parsing: "0:nan:3", option: "--x"))
        // Finite bounds whose span overflows (the issue's -1e308:1e308:3 wrote x = nan and loss nan with exit 0).
        XCTAssertThrowsError(try GridAxis(parsing: "-1e308:1e308:3", option: "--x")) { XCTAssertTrue("\($0)".contains("span MAX − MIN too large"), "\($0)") }
        // Huge but representable offsets stay allowed: a scan that blows the loss up records NaN (a CLI test relies on it).
        XCTAssertTrue(try GridAxis(parsing: "0:1e300:3", option: "--x").values.allSatisfy(\.isFinite))
        // A grid inside each axis's limit but far too large as a whole is refused before any allocation.
        let wide = try GridAxis(parsing: "-1:1:100000", option: "--x")
        XCTAssertThrowsError(try SurfaceGrid.checked(x: wide, y: wide)) { XCTAssertTrue("\($0)".contains("100000 × 100000 points"), "\($0)") }
        XCTAssertNoThrow(try SurfaceGrid.checked(x: wide, y: nil))
    }

    /// A prefix cache over the --cache-mb budget is refused before any point, naming the option and the size.
    func testPrefixCacheOverBudgetIsRefused() throws {
        let dir = try LandscapeFixtures.directory(self)
        let probe = try ProbeModel<Double>(directory: try LandscapeFixtures.fullPrecision(in: dir))
        let objective = try LossObjective(model: probe.model, batches: LandscapeFixtures.batches())
        var request = LandscapeRequest(select: "value@1", grid: SurfaceGrid(x: GridAxis(min: -1, max: 1, count: 3), y: nil))
        request.cacheMB = 0
        XCTAssertThrowsError(try LandscapeRun.run(probe: probe, objective: objective, request: request, output: dir.appendingPathComponent("o"),
                                                  progress: { _ in })) { e in
            XCTAssertTrue("\(e)".hasPrefix("--cache-mb is 0 MB but the prefix cache of 5 examples needs"), "\(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("o/surface.csv.partial").path))
        request.prefixCache = false
        XCTAssertEqual(try LandscapeRun.run(probe: probe, objective: objective, request: request, output: dir.appendingPathComponent("o"),
                                            progress: { _ in }).first?.outcome.computed, 3)
    }
}
