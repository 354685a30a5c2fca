import XCTest
@testable import Report

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

    func stage(_ name: String, seconds: Double, reads: [String] = [], fail: Bool = false, cost: Double = 1) -> ReportStage {
        let out = root.appendingPathComponent("work/\(name)").path
        var s = ReportStage(id: name, title: name,
                            arguments: [out, String(seconds)] + (fail ? ["fail"] : []) + reads.map { root.appendingPathComponent("work/\($0)").path }
                                + ["--threads", "8"],
                            output: out, cost: cost)
        s.inputs = reads
        return s
    }

    func ran(_ name: String) throws -> (start: Double, end: Double, threads: Int) {
        let text = try String(contentsOf: root.appendingPathComponent("work/\(name)/ran"), encoding: .utf8)
        let f = text.split(separator: " ").map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) }
        return (Double(f[0])!, Double(f[1])!, Int(f[2])!)
    }

    func runner() throws -> StageRunner {
        StageRunner(executable: try fakeExecutable(), work: root.appendingPathComponent("work"), log: { _ in })
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

    func testAStageReadsTheOutputsItsArgumentsName() {
        func s(_ id: String, _ arguments: [String]) -> ReportStage { ReportStage(id: id, title: id, arguments: arguments, output: "w/\(id)", cost: 1) }
        let earlier = [s("teacher", []), s("rep-1/tws", []), s("rep-1/tws-split", []), s("rep-1/probes/spectra", [])]
        XCTAssertEqual(s("x", ["--model", "w/rep-1/tws-split"]).reads(earlier), ["rep-1/tws-split"], "tws-split is not tws")
        XCTAssertEqual(s("x", ["--directions", "model:w/rep-1/tws"]).reads(earlier), ["rep-1/tws"])
        XCTAssertEqual(s("x", ["--directions", "hessian:w/rep-1/probes/spectra/bwn/top-0.safetensors"]).reads(earlier), ["rep-1/probes/spectra"])
        XCTAssertEqual(s("x", ["--model", "w/teacher/stage1/snapshots/step-000000", "--init=w/rep-1/tws"]).reads(earlier), ["teacher", "rep-1/tws"])
        XCTAssertEqual(s("x", ["--model", "ww/teacher", "--output", "w/teachers"]).reads(earlier), [])
    }

    func testEveryStageOfThePresetsReadsOnlyEarlierStagesAndTheProbesWaitForTheirModels() throws {
        for preset in ReportSpec.Preset.allCases {
            let plan = try ReportPlan(spec: ReportSpec.preset(preset), work: "w", layers: 6, trainExamples: 640, threads: 2)
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
