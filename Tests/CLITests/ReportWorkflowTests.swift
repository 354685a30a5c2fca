import XCTest
import Foundation

/// `report --workflow snakemake`: the plan of a tiny spec run by Snakemake gives the built-in runner's tables and
/// figures byte for byte; an unknown engine, a folder of another plan's workflow and a workflow run against a changed
/// spec are refused in one sentence. Snakemake comes from the virtual environment `.ci/run` makes (or PATH).
extension CommandLineTests {
    /// `.ci/venv/bin/snakemake` of this checkout, else `snakemake` on PATH.
    var snakemake: URL? {
        let root = Self.fixtures.deletingLastPathComponent().deletingLastPathComponent()
        let venv = root.appendingPathComponent(".ci/venv/bin/snakemake")
        if FileManager.default.isExecutableFile(atPath: venv.path) { return venv }
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let url = URL(fileURLWithPath: String(folder)).appendingPathComponent("snakemake")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }

    /// The quick spec cut to one replicate on the tiny model and its SST-2 folder, with `changes` applied.
    func writeTinySpec(_ url: URL, model: URL, data: URL, _ changes: [String: Any] = [:]) throws {
        let printed = try run(["report", "--print-spec"])
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(printed.stdout.utf8)) as? [String: Any])
        object["model"] = model.path
        object["data"] = data.appendingPathComponent("SST-2").path
        object["task"] = "sst-2"
        object["replicate_seeds"] = [1]
        for (key, value) in changes { object[key] = value }
        try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: url)
    }

    /// Snakemake run in the workflow's folder (where it keeps its logs).
    func runSnakemake(_ executable: URL, _ arguments: [String], in folder: URL) throws -> Result {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        p.currentDirectoryURL = folder
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("snakemake-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        p.waitUntilExit()
        try handle.close()
        return Result(status: p.terminationStatus, stdout: "", stderr: (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    func testReportWorkflowUnderSnakemakeWritesTheBuiltInRunnersBytes() throws {
        guard let snakemake else {
            throw XCTSkip("snakemake is not installed: .ci/run makes .ci/venv with it (or put snakemake on PATH)")
        }
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        let spec = dir.appendingPathComponent("spec.json")
        try writeTinySpec(spec, model: model, data: data)
        func report(_ name: String) -> [String] {
            ["report", "--spec", spec.path, "--work", dir.appendingPathComponent("work-\(name)").path,
             "--output", dir.appendingPathComponent("plots-\(name)").path, "--threads", "2"]
        }
        let builtIn = try run(report("runner"))
        XCTAssertEqual(builtIn.status, 0, builtIn.stderr)

        let flow = dir.appendingPathComponent("flow")
        let export = try run(report("flow") + ["--workflow", "snakemake", "--workflow-dir", flow.path])
        XCTAssertEqual(export.status, 0, export.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(export.stdout.utf8)) as? [String: Any])
        let stages = try XCTUnwrap(summary["stages"] as? Int)
        let snakefile = try String(contentsOf: flow.appendingPathComponent("Snakefile"), encoding: .utf8)
        XCTAssertEqual(snakefile.components(separatedBy: "\nrule stage_").count - 1, stages)
        // Writing the same plan's workflow again is allowed.
        XCTAssertEqual(try run(report("flow") + ["--workflow", "snakemake", "--workflow-dir", flow.path]).status, 0)

        let arguments = ["--cores", "2"]
        let first = try runSnakemake(snakemake, arguments, in: flow)
        XCTAssertEqual(first.status, 0, first.stderr)
        let runner = dir.appendingPathComponent("plots-runner"), engine = dir.appendingPathComponent("plots-flow")
        let files = try FileManager.default.contentsOfDirectory(atPath: runner.path).filter { $0.hasSuffix(".csv") || $0.hasSuffix(".svg") }
        XCTAssertGreaterThan(files.filter { $0.hasSuffix(".csv") }.count, 15)
        for name in files {
            XCTAssertEqual(try Data(contentsOf: engine.appendingPathComponent(name)), try Data(contentsOf: runner.appendingPathComponent(name)),
                           "\(name) differs between the built-in runner and Snakemake")
        }
        // Every stage is done: Snakemake has nothing left, and the built-in runner on the same work reuses all of them.
        let again = try runSnakemake(snakemake, arguments, in: flow)
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("Nothing to be done"), again.stderr)
        let reuse = try run(report("flow"))
        XCTAssertEqual(reuse.status, 0, reuse.stderr)
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(reuse.stdout.utf8)) as? [String: Any])?["ran"] as? Int, 0)

        // A changed spec: its workflow is refused in a folder of another plan's, and the old workflow refuses to run.
        try writeTinySpec(spec, model: model, data: data, ["probe_examples": 12])
        let other = try run(report("flow") + ["--workflow", "snakemake", "--workflow-dir", flow.path])
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.stderr.contains("holds the workflow of another plan"), other.stderr)
        let stale = try runSnakemake(snakemake, arguments, in: flow)
        XCTAssertNotEqual(stale.status, 0)
        XCTAssertTrue(stale.stderr.contains("the workflow was written for plan"), stale.stderr)
        // ... and so is a rule's own call.
        let stage = try run(report("flow") + ["--run-stage", "teacher", "--plan-hash", try XCTUnwrap(summary["plan_hash"] as? String)])
        XCTAssertNotEqual(stage.status, 0)
        XCTAssertTrue(stage.stderr.contains("the workflow was written for plan"), stage.stderr)
    }

    func testReportWorkflowRefusesAnUnknownEngineAndABusyFolder() throws {
        let dir = try temporaryDirectory()
        let unknown = try run(["report", "--workflow", "nextflow"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("nextflow") && unknown.stderr.contains("snakemake"), unknown.stderr)
        let (model, data) = try makeTinyTask(in: dir)
        let spec = dir.appendingPathComponent("spec.json")
        try writeTinySpec(spec, model: model, data: data)
        let busy = dir.appendingPathComponent("busy")
        try FileManager.default.createDirectory(at: busy, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: busy.appendingPathComponent("notes.txt"))
        let refused = try run(["report", "--spec", spec.path, "--work", dir.appendingPathComponent("work").path,
                               "--workflow", "snakemake", "--workflow-dir", busy.path])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("is not empty and holds no report workflow"), refused.stderr)
        let stage = try run(["report", "--spec", spec.path, "--work", dir.appendingPathComponent("work").path, "--run-stage", "nope"])
        XCTAssertNotEqual(stage.status, 0)
        XCTAssertTrue(stage.stderr.contains("--run-stage nope is no stage of this plan"), stage.stderr)
        // A stage whose inputs have not finished is refused, naming them.
        let early = try run(["report", "--spec", spec.path, "--work", dir.appendingPathComponent("work").path, "--run-stage", "rep-1/ternary"])
        XCTAssertNotEqual(early.status, 0)
        XCTAssertTrue(early.stderr.contains("reads the output of stage teacher, which has not finished"), early.stderr)
    }
}
