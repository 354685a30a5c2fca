import Curvature
import Landscape
import Probe
import Quantization
import Storage
import XCTest
@testable import Report

/// The fake executable's command line: a stage runs as `fake OUTPUT SECONDS [fail] READS… --threads N` (its seconds
/// and failure looked up by its output), and such arguments parse back into a `hessian` of the paths read.
struct FakeCommandLine: StageCommandLine {
    var seconds: [String: Double] = [:]
    var failing: Set<String> = []

    static func command(output: String, reads: [String]) -> StageCommand {
        .hessian(HessianJob(models: reads, objective: ProbeObjectiveOptions(task: "t", data: "d"), output: output))
    }

    func arguments(_ command: StageCommand, threads: Int?, resume: Bool) -> [String] {
        guard case let .hessian(job) = command else { return [] }
        return [job.output, String(seconds[job.output] ?? 0)] + (failing.contains(job.output) ? ["fail"] : []) + job.models
            + (threads.map { ["--threads", String($0)] } ?? [])
    }

    func parse(_ arguments: [String]) throws -> (command: StageCommand, arguments: [String]) {
        let kept = arguments.firstIndex(of: "--threads").map { Array(arguments[..<$0]) } ?? arguments
        guard kept.count >= 2 else { throw ReportError.badSpec("not a fake command line") }
        return (Self.command(output: kept[0], reads: kept.dropFirst(2).filter { $0 != "fail" }), kept)
    }
}

/// The stage runner's order and concurrency: a stage starts only after every stage it reads has finished, stages
/// that do not depend on each other run at once, a lone stage gets every thread, and a failure stops new work but
/// lets the running stages finish with their markers.
final class StageRunnerTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("stage-runner-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    /// A stand-in for `binarybert`: `fake OUTPUT SECONDS [fail] --threads N` writes OUTPUT/ran (its start, end and
    /// threads), sleeps, and prints a JSON line; `fail` exits 3 instead.
    func fakeExecutable() throws -> URL {
        let url = root.appendingPathComponent("fake")
        let script = """
        #!/bin/sh
        out="$1"; seconds="$2"; shift 2
        if [ "$1" = fail ]; then exit 3; fi
        threads=""
        while [ $# -gt 0 ]; do [ "$1" = --threads ] && threads="$2"; shift; done
        mkdir -p "$out"
        start=$(date +%s.%N)
        sleep "$seconds"
        echo "$start $(date +%s.%N) $threads" > "$out/ran"
        echo '{"threads": '"$threads"'}'
        """
        try script.write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url
    }

    var commandLine = FakeCommandLine()

    func stage(_ name: String, seconds: Double, reads: [String] = [], fail: Bool = false, cost: Double = 1) -> ReportStage {
        let out = root.appendingPathComponent("work/\(name)").path
        commandLine.seconds[out] = seconds
        if fail { commandLine.failing.insert(out) }
        var s = ReportStage(id: name, title: name, command: FakeCommandLine.command(output: out, reads: reads.map { root.appendingPathComponent("work/\($0)").path }),
                            cost: cost)
        s.inputs = reads
        return s
    }

    func ran(_ name: String) throws -> (start: Double, end: Double, threads: Int) {
        let text = try String(contentsOf: root.appendingPathComponent("work/\(name)/ran"), encoding: .utf8)
        let f = text.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        return (Double(f[0])!, Double(f[1])!, Int(f[2])!)
    }

    func runner() throws -> StageRunner {
        StageRunner(executable: try fakeExecutable(), work: root.appendingPathComponent("work"), commandLine: commandLine, log: { _ in })
    }

    func testIndependentStagesRunAtOnceAndDependentOnesAfterTheirInputs() throws {
        // a alone first (all threads), then b and c at once (half each), then d after both.
        let stages = [stage("a", seconds: 0.3), stage("b", seconds: 1, reads: ["a"]), stage("c", seconds: 1, reads: ["a"]),
                      stage("d", seconds: 0.1, reads: ["b", "c"])]
        let (records, reused) = try runner().run(stages, jobs: 2, threads: 4)
        XCTAssertEqual(reused, 0)
        XCTAssertEqual(records.map(\.id), ["a", "b", "c", "d"], "records in plan order")
        let a = try ran("a"), b = try ran("b"), c = try ran("c"), d = try ran("d")
        XCTAssertEqual(a.threads, 4, "a stage that runs alone gets every thread")
        XCTAssertEqual(b.threads, 2)
        XCTAssertEqual(c.threads, 2)
        XCTAssertGreaterThanOrEqual(b.start, a.end)
        XCTAssertGreaterThanOrEqual(c.start, a.end)
        XCTAssertLessThan(max(b.start, c.start), min(b.end, c.end), "b and c overlap")
        XCTAssertGreaterThanOrEqual(d.start, max(b.end, c.end))
        XCTAssertEqual(records[1].result?["threads"]?.double, 2)
        XCTAssertNotNil(records[1].started)
        // The markers compare without --threads: a second run with one job reuses every stage.
        let again = try runner().run(stages, jobs: 1, threads: 1)
        XCTAssertEqual(again.reused, 4)
        XCTAssertEqual(ReportJob.busySeconds(records).map { $0 < records.reduce(0) { $0 + $1.seconds } }, true,
                       "the wall time of overlapping stages is less than their sum")
    }

    func testOneJobRunsThePlanInOrder() throws {
        let stages = [stage("a", seconds: 0.1), stage("b", seconds: 0.1), stage("c", seconds: 0.1, reads: ["a"])]
        _ = try runner().run(stages, jobs: 1, threads: 3)
        let a = try ran("a"), b = try ran("b"), c = try ran("c")
        XCTAssertGreaterThanOrEqual(b.start, a.end)
        XCTAssertGreaterThanOrEqual(c.start, b.end)
        XCTAssertEqual([a.threads, b.threads, c.threads], [3, 3, 3])
    }

    func testTheLongestChainGoesFirst() throws {
        // One slot: x (short, nothing after it) and y (short, a long stage after it) are both ready; y goes first.
        let stages = [stage("x", seconds: 0.1, cost: 1), stage("y", seconds: 0.1, cost: 1), stage("z", seconds: 0.1, reads: ["y"], cost: 50)]
        _ = try runner().run(stages, jobs: 1, threads: 1)
        XCTAssertLessThan(try ran("y").start, try ran("x").start)
    }

    func testAFailureStopsNewStagesAndLetsRunningOnesFinish() throws {
        let stages = [stage("slow", seconds: 1), stage("broken", seconds: 0, fail: true), stage("after", seconds: 0.1, reads: ["broken"]),
                      stage("later", seconds: 0.1, reads: ["slow"])]
        XCTAssertThrowsError(try runner().run(stages, jobs: 2, threads: 2)) { error in
            XCTAssertTrue("\(error)".contains("broken"), "\(error)")
        }
        let r = try runner()
        XCTAssertNotNil(try r.finished(stages[0]), "the running stage finished and kept its marker")
        XCTAssertNil(try r.finished(stages[2]))
        XCTAssertNil(try r.finished(stages[3]), "no stage starts after a failure")
    }

    func testAStageReadsTheOutputsOfEarlierStagesItsCommandReads() {
        func s(_ id: String, _ command: StageCommand) -> ReportStage { ReportStage(id: id, title: id, command: command, cost: 1) }
        func split(_ model: String, _ output: String) -> StageCommand { .split(SplitJob(model: model, output: output)) }
        func scan(_ directions: DirectionKind) -> StageCommand {
            var o = LandscapeOptions(select: "value@0", grid: SurfaceGrid(x: GridAxis(min: 0, max: 1, count: 2), y: nil))
            o.directions = directions
            return .landscape(LandscapeJob(model: "m", scan: o, objective: ProbeObjectiveOptions(task: "t", data: "d"), output: "w/x"))
        }
        let earlier = ["teacher", "rep-1/tws", "rep-1/tws-split", "rep-1/probes/spectra"].map { s($0, split("m", "w/\($0)")) }
        XCTAssertEqual(s("x", split("w/rep-1/tws-split", "w/x")).reads(earlier), ["rep-1/tws-split"], "tws-split is not tws")
        XCTAssertEqual(s("x", scan(.model("w/rep-1/tws"))).reads(earlier), ["rep-1/tws"])
        XCTAssertEqual(s("x", scan(.hessian("w/rep-1/probes/spectra/bwn/top-0.safetensors"))).reads(earlier), ["rep-1/probes/spectra"])
        var student = QuantizeJob(teacher: "w/teacher/stage1/snapshots/step-000000", taskData: .init(task: "t", data: "d"), output: "w/x", weightBits: 1)
        student.initial = "w/rep-1/tws"
        XCTAssertEqual(s("x", .quantize(student)).reads(earlier), ["teacher", "rep-1/tws"])
        XCTAssertEqual(s("x", split("ww/teacher", "w/teachers")).reads(earlier), [])
    }

    /// A marker records the stage's command; one written before commands were recorded (its arguments alone, with
    /// the threads it ran on) is recognised through the command line's parser, and a marker of another command is
    /// refused.
    func testMarkersAreRecognisedByTheirCommandOrTheirArguments() throws {
        let a = stage("a", seconds: 0), b = stage("b", seconds: 0, reads: ["a"])
        let runner = try runner()
        _ = try runner.run([a], jobs: 1, threads: 3)
        let written = try JSONValue.parse(Data(contentsOf: runner.markerURL("a")))
        XCTAssertNotNil(written["command"]?["hessian"]?["objective"]?["max_length"], "the typed command, in snake_case")
        XCTAssertEqual(written["arguments"], .array(commandLine.arguments(a.command, threads: nil, resume: false).map { .string($0) }),
                       "the arguments without the run's threads")
        XCTAssertEqual(try runner.finished(a)?.command, a.command)

        let old = try JSONFormat.file(["id": JSONValue.string("b"), "seconds": .number(1),
                                       "arguments": .array(commandLine.arguments(b.command, threads: 8, resume: false).map { .string($0) })])
        try old.write(to: runner.markerURL("b"))
        let reused = try XCTUnwrap(try runner.finished(b))
        XCTAssertEqual(reused.command, b.command)
        XCTAssertEqual(reused.arguments, commandLine.arguments(b.command, threads: nil, resume: false), "read without the threads")
        XCTAssertEqual(try runner.run([a, b], jobs: 1, threads: 1).reused, 2)

        var changed = b
        changed.command = FakeCommandLine.command(output: b.output, reads: [])
        XCTAssertThrowsError(try runner.finished(changed)) { XCTAssertTrue("\($0)".contains("finished earlier with other options"), "\($0)") }
    }

    /// The students of one replicate (same teacher, data, batch size and seed) share one teacher-cache folder, each
    /// replicate its own; other stages get none. A folder is removed once every stage of its group has finished.
    func testAReplicatesStudentsShareTheirTeacherTargetsUntilTheLastOneFinishes() throws {
        let plan = try ReportPlan(spec: ReportSpec.preset(.quick), work: "w", layers: 6, trainExamples: 640)
        let runner = try runner()
        var groups: [URL: [String]] = [:]
        for stage in plan.stages {
            let url = runner.teacherCache(for: stage)
            if case let .quantize(job) = stage.command, job.distillation.epochsPerStage > 0 {
                groups[try XCTUnwrap(url, stage.id), default: []].append(stage.id)
            } else {
                XCTAssertNil(url, stage.id)
            }
        }
        XCTAssertEqual(groups.count, plan.replicates.count)
        for (url, ids) in groups {
            let replicate = try XCTUnwrap(ids.first?.split(separator: "/").first)
            XCTAssertTrue(ids.allSatisfy { $0.hasPrefix(replicate + "/") }, "\(ids)")
            XCTAssertTrue(Set(ids).isSuperset(of: ["bwn", "ternary", "tws"].map { "\(replicate)/\($0)" }), "\(ids)")
            XCTAssertEqual(url.deletingLastPathComponent().lastPathComponent, StageRunner.teacherCacheFolder)
        }

        // Pruned group by group: only the folder whose stages have all finished goes.
        let (first, firstIDs) = try XCTUnwrap(groups.first)
        for url in groups.keys { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        let last = try XCTUnwrap(firstIDs.last)
        try runner.pruneTeacherCaches(plan.stages) { k in firstIDs.contains(plan.stages[k].id) && plan.stages[k].id != last }
        XCTAssertTrue(groups.keys.allSatisfy { FileManager.default.fileExists(atPath: $0.path) })
        try runner.pruneTeacherCaches(plan.stages) { k in firstIDs.contains(plan.stages[k].id) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: first.path))
        XCTAssertEqual(groups.keys.filter { FileManager.default.fileExists(atPath: $0.path) }.count, groups.count - 1)

        runner.shareTeacher = false
        XCTAssertTrue(plan.stages.allSatisfy { runner.teacherCache(for: $0) == nil })
    }

    func testEveryStageOfThePresetsReadsOnlyEarlierStagesAndTheProbesWaitForTheirModels() throws {
        for preset in ReportSpec.Preset.allCases {
            let plan = try ReportPlan(spec: ReportSpec.preset(preset), work: "w", layers: 6, trainExamples: 640)
            var seen: Set<String> = []
            for stage in plan.stages {
                for input in stage.inputs { XCTAssertTrue(seen.contains(input), "\(preset) \(stage.id) reads \(input) before it exists") }
                seen.insert(stage.id)
            }
            let byID = Dictionary(uniqueKeysWithValues: plan.stages.map { ($0.id, $0) })
            let r = "rep-\(plan.replicates[0])"
            XCTAssertEqual(byID["\(r)/tws"]?.inputs, ["teacher", "\(r)/tws-split"])
            XCTAssertEqual(byID["\(r)/ternary"]?.inputs, ["teacher"])
            XCTAssertEqual(byID["\(r)/probes/eigen-1d-bwn"].map { Set($0.inputs) }, ["\(r)/bwn", "\(r)/probes/spectra"])
            XCTAssertEqual(byID["\(r)/probes/per-module"].map { Set($0.inputs) }, ["teacher", "\(r)/ternary", "\(r)/bwn"])
            XCTAssertEqual(byID["\(r)/probes/along-training/bwn/value/stage2"]?.inputs, ["\(r)/bwn"])
        }
    }
}
