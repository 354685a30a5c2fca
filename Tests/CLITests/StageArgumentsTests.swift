import Foundation
import Report
import Storage
import XCTest
@testable import binarybert

/// The report's stages on the command line: every stage of every preset, written as arguments, parses back into the
/// same typed command; and the arguments the committed reports' stages were recorded with (before commands were
/// typed) parse into the commands the plan builds now, so their markers stay valid.
final class StageArgumentsTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let line = StageArguments()

    func testEveryStageOfEveryPresetRoundTripsThroughItsArguments() throws {
        for preset in ReportSpec.Preset.allCases {
            let plan = try ReportPlan(spec: .preset(preset), work: "runs/w", layers: 6, trainExamples: 640)
            for stage in plan.stages {
                // The options of one run (threads, resumption, a shared teacher cache) are no part of the command.
                let cache = stage.resume == .quantize ? "runs/w/teacher-cache/seed-1" : nil
                let words = line.arguments(stage.command, threads: 3, resume: stage.resume != .rerun, teacherCache: cache)
                XCTAssertEqual(words.contains("--teacher-cache"), cache != nil, "\(preset) \(stage.id): \(words)")
                let parsed = try line.parse(words)
                XCTAssertEqual(parsed.command, stage.command, "\(preset) \(stage.id): \(words)")
                XCTAssertEqual(parsed.arguments, line.arguments(stage.command, threads: nil, resume: false), "\(preset) \(stage.id)")
                let json = try JSONFormat.file(stage.command)
                XCTAssertEqual(try JSONFormat.decoder().decode(StageCommand.self, from: json), stage.command, "\(preset) \(stage.id)")
            }
        }
    }

    /// Options the presets never use read back too: each command line parses, is written back and parses into the
    /// same command, whose JSON decodes into it.
    func testOptionsBeyondThePresetsRoundTrip() throws {
        let data = ["--task", "sst-2", "--data", "d", "--max-length", "24"]
        let lines: [[String]] = [
            ["finetune", "--model", "m", "--output", "o", "--limit", "40", "--warmup", "0.2", "--weight-decay", "0", "--log-every", "3",
             "--curve-every", "2", "--curve-examples", "50", "--skip-bad-rows"] + data,
            ["quantize", "--teacher", "t", "--output", "o", "--weight-bits", "2", "--weight-method", "laq", "--act-bits", "4", "--width", "0.5",
             "--no-rank", "--rank-batches", "4", "--teacher-epochs", "1", "--skip-stage1", "--init", "i",
             "--curve-every", "3", "--curve-examples", "64"] + data,
            ["hessian", "--model", "a", "--model", "b", "--select", "value@0", "--top-k", "2", "--bottom-k", "1", "--include-biases", "--trace",
             "--estimator", "hutchinson", "--density", "--sigma", "0.5", "--grid", "64", "--space", "pair", "--curvature", "ggn", "--scale", "weights",
             "--warm-start", "w/top-0.safetensors", "--allow-other-model", "--per-module", "--layers", "0-1", "--split", "dev", "--batching", "padded",
             "--output", "o"] + data,
            ["landscape", "--model", "m", "--select", "value@0", "--y-select", "value@1", "--one-d", "include", "--space", "steps",
             "--directions", "random", "--y-directions", "layer", "--x=-2:2.5:5", "--y", "0:1:3", "--shard", "1/4", "--no-cache", "--no-affine",
             "--cache-mb", "64", "--dtype", "float64", "--output", "o"] + data,
            ["adaptive-split", "--teacher", "t", "--output", "o", "--budget", "3.5", "--resolution", "64", "--ternary-epochs", "1",
             "--probe-batch-size", "8", "--trace-seed", "3", "--dtype", "float64", "--subset", "100", "--subset-seed", "2"] + data,
        ]
        for words in lines {
            let command = try line.parse(words).command
            let written = line.arguments(command, threads: nil, resume: false)
            XCTAssertEqual(try line.parse(written).command, command, written.joined(separator: " "))
            XCTAssertEqual(try JSONFormat.decoder().decode(StageCommand.self, from: try JSONFormat.file(command)), command, words[0])
        }
    }

    func testTheCommittedReportsRecordedArgumentsParseIntoThePlansCommands() throws {
        for folder in ["Plots/quick", "Plots/standard"] {
            let report = try JSONValue.parse(Data(contentsOf: Self.root.appendingPathComponent("\(folder)/report.json")))
            let spec = try ReportSpec.decode(try JSONEncoder().encode(try XCTUnwrap(report["spec"])))
            let recorded = try XCTUnwrap(report["stages"]?.array)
            let plan = try ReportPlan(spec: spec, work: "runs/report-\(spec.preset.rawValue)", layers: try XCTUnwrap(report["layers"]?.int),
                                      trainExamples: try XCTUnwrap(report["train_examples"]?.int))
            XCTAssertEqual(recorded.compactMap { $0["id"]?.string }, plan.stages.map(\.id), folder)
            for (stage, entry) in zip(plan.stages, recorded) {
                let arguments = try XCTUnwrap(entry["arguments"]?.array).compactMap(\.string)
                let parsed = try line.parse(arguments)
                XCTAssertEqual(parsed.command, stage.command, "\(folder) \(stage.id)")
                XCTAssertEqual(parsed.arguments, arguments, "\(folder) \(stage.id)")
            }
        }
    }

    /// `hessian --probes` is the old name of `--trace-matvecs`: it still reads (markers and scripts use it), hidden.
    func testTheOldNameOfTheTraceProductsStillReads() throws {
        let base = ["hessian", "--model", "m", "--task", "sst-2", "--data", "d", "--select", "value@0", "--trace", "--output", "o"]
        let old = try line.parse(base + ["--probes", "9"]).command, new = try line.parse(base + ["--trace-matvecs", "9"]).command
        XCTAssertEqual(old, new)
        guard case let .hessian(job) = new else { return XCTFail("\(new)") }
        XCTAssertEqual(job.analysis.probes, 9)
        let words = line.arguments(new, threads: nil, resume: false)
        XCTAssertEqual(words.firstIndex(of: "--trace-matvecs").map { words[$0 + 1] }, "9", "\(words)")
        XCTAssertFalse(words.contains("--probes"))
        XCTAssertFalse(HessianCommand.helpMessage().contains("--probes"), "the old name is hidden")
    }

    func testACommandOutsideAReportIsRefused() {
        XCTAssertThrowsError(try line.parse(["info"])) { XCTAssertTrue("\($0)".contains("is not a command of a report's stage"), "\($0)") }
        XCTAssertThrowsError(try line.parse(["landscape", "--merge", "a", "b"]))
        XCTAssertThrowsError(try line.parse(["quantize", "--weight-bits", "3"]))
    }
}
