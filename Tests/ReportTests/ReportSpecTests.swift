import Quantization
import XCTest
@testable import Report

/// Specs are decoded strictly and validated against the stages' own ranges before any work; each refusal is one
/// sentence naming the key.
final class ReportSpecTests: XCTestCase {
    func quickJSON() throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: try ReportSpec.preset(.quick).json()) as? [String: Any])
    }

    func refusal(_ object: [String: Any]) -> String? {
        do {
            let s = try ReportSpec.decode(try JSONSerialization.data(withJSONObject: object))
            try s.validate()
            return nil
        } catch { return "\(error)" }
    }

    func refusal(text: String) -> String? {
        do {
            try ReportSpec.decode(Data(text.utf8)).validate()
            return nil
        } catch { return "\(error)" }
    }

    func testPresetsRoundTripAndValidate() throws {
        for p in ReportSpec.Preset.allCases {
            let s = ReportSpec.preset(p)
            XCTAssertNoThrow(try s.validate(), p.rawValue)
            XCTAssertEqual(try ReportSpec.decode(try s.json()), s)
        }
        XCTAssertGreaterThanOrEqual(ReportSpec.preset(.quick).replicateSeeds.count, 3)
        XCTAssertGreaterThanOrEqual(ReportSpec.preset(.standard).replicateSeeds.count, 5)
    }

    func testUnknownRepeatedAndMissingKeysAreNamed() throws {
        var o = try quickJSON()
        o["probe_exampels"] = 16
        XCTAssertEqual(refusal(o), "report spec: unknown key \"probe_exampels\" (did you mean \"probe_examples\"?)")
        let text = String(decoding: try ReportSpec.preset(.quick).json(), as: UTF8.self)
            .replacingOccurrences(of: "\"batch_size\" : 32,", with: "\"batch_size\" : 32,\n  \"batch_size\" : 16,")
        XCTAssertTrue(refusal(text: text)?.contains("the key \"batch_size\" appears twice (line") ?? false, refusal(text: text) ?? "accepted")
        o = try quickJSON()
        o.removeValue(forKey: "log_every")
        XCTAssertEqual(refusal(o), "report spec: the key \"log_every\" is missing")
        o = try quickJSON()
        o.removeValue(forKey: "train_subset")
        XCTAssertNil(refusal(o), "train_subset may be left out (the whole split)")
        XCTAssertEqual(refusal(text: "[1, 2]"), "report spec: the file is not a JSON object")
    }

    func testWrongKindsOfValueNameTheKey() throws {
        for (key, value) in [("batch_size", 16.5 as Any), ("batch_size", -1 as Any), ("replicate_seeds", "1" as Any), ("bwn_single_budget", 3 as Any)] {
            var o = try quickJSON()
            o[key] = value
            let message = refusal(o) ?? "accepted"
            XCTAssertTrue(message.contains(key) && !message.contains("valid JSON"), "\(key) = \(value): \(message)")
        }
        let huge = String(decoding: try ReportSpec.preset(.quick).json(), as: UTF8.self)
            .replacingOccurrences(of: "\"batch_size\" : 32", with: "\"batch_size\" : 1180591620717411303424")
        XCTAssertTrue(refusal(text: huge)?.contains("\"batch_size\"") ?? false, refusal(text: huge) ?? "accepted")
    }

    func testRangesAndRepeatsAreRefusedBeforeAnyWork() throws {
        let cases: [(String, Any, String)] = [
            ("replicate_seeds", [1, 2, 1], "replicate_seeds repeats the seed 1"),
            ("uniform_bits", [8, 8], "uniform_bits repeats 8"),
            ("uniform_bits", [3], "uniform_bits takes 4 and 8, not 3"),
            ("trace_probes", 5, "trace_probes is 5; it takes a whole number from 6 to"),
            ("lanczos_tolerance", 1.0, "lanczos_tolerance is 1.0; it takes a number in (0.0, 1.0)"),
            ("per_module_layers", "bogus", "per_module_layers is \"bogus\""),
            ("per_module_layers", "0,0", "per_module_layers repeats layer 0"),
            ("ones_points", 100_001, "ones_points is 100001"),
            ("train_subset", 32, "train_subset is 32; it needs at least two batches"),
            ("confidence", 1.5, "confidence is 1.5"),
        ]
        for (key, value, expected) in cases {
            var o = try quickJSON()
            o[key] = value
            let message = refusal(o) ?? "accepted"
            XCTAssertTrue(message.contains(expected), "\(key) = \(value): \(message)")
        }
        XCTAssertThrowsError(try ReportSpec.layerList("0,7", layers: 6)) { XCTAssertTrue("\($0)".contains("layer 7")) }
        var one = try quickJSON()
        one["replicate_seeds"] = [7]
        XCTAssertNil(refusal(one), "a one-replicate run is allowed (its verdicts say they cannot be judged)")
    }
}

/// The plan: one shared teacher, then every student and every probe for every replicate, each with its own seeds.
final class ReportPlanTests: XCTestCase {
    func quantize(_ stage: ReportStage?) throws -> QuantizeJob {
        guard case let .quantize(job)? = stage?.command else { throw XCTSkip("\(stage?.id ?? "nil") is not a quantize stage") }
        return job
    }

    /// The random draws of a probe: its examples' sample seed, its Lanczos/Hutch++ seed and its first direction seed.
    func draws(_ command: StageCommand) -> [UInt64?] {
        switch command {
        case let .landscape(job): return [job.objective.sampleSeed, nil, job.scan.drawsDirections ? job.scan.directionSeed : nil]
        case let .hessian(job): return [job.objective.sampleSeed, job.analysis.seed, nil]
        case let .sharpness(job): return [job.objective.sampleSeed, job.seed, nil]
        default: return []
        }
    }

    func testEveryReplicateTrainsEveryStudentAndRunsEveryProbe() throws {
        let spec = ReportSpec.preset(.quick)
        let plan = try ReportPlan(spec: spec, work: "w", layers: 6, trainExamples: 640)
        let ids = plan.stages.map(\.id)
        XCTAssertEqual(Set(ids).count, ids.count, "stage ids are unique")
        XCTAssertEqual(ids.filter { $0.hasSuffix("teacher") && !$0.contains("probes") }, ["teacher"], "one shared teacher")
        var perReplicate: [Set<String>] = []
        for seed in spec.replicateSeeds {
            let prefix = "rep-\(seed)/"
            let mine = Set(ids.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }.filter { !$0.hasSuffix("-packed") })
            for model in ["ternary", "bwn", "tws-split", "tws"] + spec.uniformBits.map { "w\($0)a8" } { XCTAssertTrue(mine.contains(model), "\(seed): \(model)") }
            perReplicate.append(mine)
            let ternary = try quantize(plan.stages.first { $0.id == prefix + "ternary" })
            let bwn = try quantize(plan.stages.first { $0.id == prefix + "bwn" })
            XCTAssertEqual(bwn.distillation.epochsPerStage, 2 * ternary.distillation.epochsPerStage, "BWN gets the TWS route's steps")
            XCTAssertEqual(ternary.distillation.seed, seed)
            XCTAssertEqual(ternary.teacher, "w/teacher")
            // The replicate's own probe draws.
            for stage in plan.stages where stage.id.hasPrefix(prefix + "probes/") {
                let d = draws(stage.command)
                XCTAssertEqual(d.count, 3, stage.id)
                XCTAssertEqual(d, [seed, d[1] == nil ? nil : seed, d[2] == nil ? nil : seed * 1000], stage.id)
            }
        }
        XCTAssertTrue(perReplicate.allSatisfy { $0 == perReplicate[0] }, "every replicate runs the same stages")
        XCTAssertTrue(perReplicate[0].contains("probes/per-module") && perReplicate[0].contains("probes/spectra"))
        XCTAssertEqual(ids.filter { $0.hasSuffix("-packed") }.count, 3, "packed exports of the first replicate only")
        // Curvature along training: one stage per model, block and distillation stage.
        XCTAssertEqual(perReplicate[0].filter { $0.hasPrefix("probes/along-training/") }.count, 2 * 2 * 2)
    }
}

/// A report run inside a multi-task allocation hands its children none of the launcher variables a stage would read
/// as "compute only your shard".
final class StageEnvironmentTests: XCTestCase {
    func testLauncherVariablesDoNotReachTheStages() {
        let env = ["SLURM_PROCID": "0", "SLURM_NTASKS": "2", "OMPI_COMM_WORLD_RANK": "1", "PMI_RANK": "0", "SLURM_ARRAY_TASK_ID": "3",
                   "PATH": "/usr/bin", "SLURM_JOB_ID": "7"]
        let child = StageRunner.childEnvironment(env)
        XCTAssertEqual(child, ["PATH": "/usr/bin", "SLURM_JOB_ID": "7"])
    }
}

/// `report --render-only` never computes from a partly read table: a number column's bad cell is refused by name.
final class TidyTableStrictnessTests: XCTestCase {
    func testACorruptNumberCellIsRefusedWithFileRowAndColumn() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tidy-\(UUID().uuidString).csv")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        try "model,module,lambda_max\nbwn,mha-qk,1.5\nternary,mha-qk,8.93e-07x\nfp,mha-qk,nan\n".write(to: url, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TidyTable.read(url)) {
            XCTAssertEqual("\($0)", "\(url.path): row 3, column lambda_max: \"8.93e-07x\" is not a number (the column's other cells are)")
        }
        try "model,x\nbwn,\nternary,-inf\n".write(to: url, atomically: true, encoding: .utf8)
        XCTAssertEqual(try TidyTable.read(url).rows.count, 2, "empty cells and spelled-out non-finite values are numbers")
    }

    func testAHeaderWithBytesThatAreNotUTF8IsRefusedWithTheBytesEscaped() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tidy-\(UUID().uuidString).csv")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        try (Data("model,lambda".utf8) + Data([0xFF, 0xFE]) + Data("max\nbwn,1.5\n".utf8)).write(to: url)
        XCTAssertThrowsError(try TidyTable.read(url)) {
            XCTAssertTrue("\($0)".contains("\(url.path):1: holds bytes that are not UTF-8: 'model,lambda\\xFF\\xFEmax'"), "\($0)")
            XCTAssertFalse("\($0)".contains("\u{FFFD}"))
        }
    }
}
