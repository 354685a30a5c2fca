import Foundation
import Numerics
import XCTest

/// The SIGKILL harness: each resumable command (finetune, quantize, landscape, adaptive-split, hessian --per-module) is killed at seeded random moments, then continued the way a user
/// (or `Analyses/lib.sh`) continues it — `--resume` when the output holds progress, a fresh start otherwise — until
/// it finishes; its final files must equal, byte for byte, those of an uninterrupted run, and no temporary or
/// half-written checkpoint may remain.
extension CommandLineTests {
    struct KillCase {
        var name: String
        /// The command writing into an output directory; `resume` adds the command's resume flag where it has one.
        var command: (_ output: URL, _ resume: Bool) -> [String]
        /// Whether a killed run's output holds progress to `--resume` from.
        var hasProgress: (URL) -> Bool
        /// Files (relative to the output) whose bytes must match the uninterrupted run.
        var files: [String]
        /// What of a file must match (default: all of it; e.g. a table without its timing column).
        var compared: (Data) -> Data = { $0 }
    }

    func exists(_ dir: URL, _ names: [String]) -> Bool {
        names.contains { FileManager.default.fileExists(atPath: dir.appendingPathComponent($0).path) }
    }

    /// Starts `arguments`, kills the process with SIGKILL after `delay` seconds (if it is still running); true when it
    /// finished on its own with status 0.
    func runKilled(_ arguments: [String], after delay: Double) throws -> Bool {
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(delay)
        while p.isRunning && Date() < deadline { usleep(2_000) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        return p.terminationReason == .exit && p.terminationStatus == 0
    }

    func checkKilledRunsResume(_ c: KillCase, kills: Int, seed: UInt64, in dir: URL) throws {
        let reference = dir.appendingPathComponent("\(c.name)-reference")
        let t0 = Date()
        let r = try run(c.command(reference, false))
        XCTAssertEqual(r.status, 0, "\(c.name): \(r.stderr)")
        let duration = Date().timeIntervalSince(t0)
        let expected = try c.files.map { c.compared(try Data(contentsOf: reference.appendingPathComponent($0))) }
        var rng = SeededRNG(seed: seed, stream: 0xC1A5)
        for k in 0..<kills {
            let out = dir.appendingPathComponent("\(c.name)-killed-\(k)")
            // One or two kills at uniform moments of the uninterrupted run's duration, then runs to the end.
            var delays = [Double(rng.next() % 1000) / 1000 * duration]
            if k % 2 == 1 { delays.append(Double(rng.next() % 1000) / 1000 * duration) }
            var finished = false
            for delay in delays where !finished {
                finished = try runKilled(c.command(out, c.hasProgress(out)), after: delay)
            }
            var attempts = 0
            while !finished && attempts < 3 {
                let resumed = try run(c.command(out, c.hasProgress(out)))
                XCTAssertEqual(resumed.status, 0, "\(c.name) kill \(k) (after \(delays)): \(resumed.stderr)")
                finished = resumed.status == 0
                attempts += 1
            }
            for (file, bytes) in zip(c.files, expected) {
                XCTAssertEqual((try? Data(contentsOf: out.appendingPathComponent(file))).map(c.compared), bytes,
                               "\(c.name) killed after \(delays.map { String(format: "%.3f s", $0) }): \(file) differs from the uninterrupted run")
            }
            let left = FileManager.default.enumerator(atPath: out.path)?.compactMap { $0 as? String }
                .filter { $0.contains(".tmp-") || $0.hasSuffix("checkpoint-last.partial") || $0.hasSuffix("checkpoint-last.old") } ?? []
            XCTAssertEqual(left, [], "\(c.name) kill \(k) left temporaries")
        }
    }

    func testKilledTrainingRunsResumeToTheSameBytes() throws {
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        let task = ["--task", "sst-2", "--data", data.path, "--max-length", "16", "--batch-size", "8", "--threads", "1"]
        let checkpoints = ["checkpoint-last", "checkpoint-last.old"]
        let finetune = KillCase(name: "finetune", command: { out, resume in
            ["finetune", "--model", model.path, "--output", out.path, "--epochs", "2", "--eval-every", "2"] + task + (resume ? ["--resume"] : [])
        }, hasProgress: { self.exists($0, checkpoints) }, files: ["model.safetensors", "checkpoint-last/model.safetensors", "checkpoint-last/optimizer.safetensors"])
        try checkKilledRunsResume(finetune, kills: 6, seed: 1, in: dir)
        let quantize = KillCase(name: "quantize", command: { out, resume in
            ["quantize", "--teacher", model.path, "--output", out.path, "--weight-bits", "2", "--epochs", "1", "--eval-every", "2"]
                + task + (resume ? ["--resume"] : [])
        }, hasProgress: { self.exists($0, ["stage1/metrics.json", "stage1/checkpoint-last", "stage1/checkpoint-last.old"] + checkpoints) },
           files: ["model.safetensors", "quantization.json", "stage1/model.safetensors"])
        try checkKilledRunsResume(quantize, kills: 6, seed: 2, in: dir)
        // Log rows every step, snapshots (the last one linked as the saved model), stage 1 without dev evaluation: the
        // logs resume to the same rows (without their timing column).
        let withoutTiming: (Data) -> Data = { data in
            Data(String(decoding: data, as: UTF8.self).split(separator: "\n")
                .map { $0.split(separator: ",", omittingEmptySubsequences: false).dropLast().joined(separator: ",") }
                .joined(separator: "\n").utf8)
        }
        let logged = KillCase(name: "quantize-logged", command: { out, resume in
            ["quantize", "--teacher", model.path, "--output", out.path, "--weight-bits", "1", "--epochs", "1", "--eval-every", "3",
             "--log-every", "1", "--save-every", "2", "--no-stage1-eval"] + task + (resume ? ["--resume"] : [])
        }, hasProgress: { self.exists($0, ["stage1/metrics.json", "stage1/checkpoint-last", "stage1/checkpoint-last.old"] + checkpoints) },
           files: ["train_log.csv", "stage1/train_log.csv"], compared: withoutTiming)
        try checkKilledRunsResume(logged, kills: 4, seed: 3, in: dir)
    }

    func testKilledScansAndAdaptiveSplitsResumeToTheSameBytes() throws {
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        // A landscape scan continues point by point from surface.csv.partial (no flag).
        let landscape = KillCase(name: "landscape", command: { out, _ in
            ["landscape", "--model", model.path, "--task", "sst-2", "--data", data.path, "--select", "value@0,1", "--directions", "filter",
             "--x", "-1:1:9", "--y", "-0.5:0.5:7", "--examples", "24", "--batch-size", "8", "--max-length", "16", "--threads", "1",
             "--output", out.path]
        }, hasProgress: { _ in false }, files: ["surface.csv"])
        try checkKilledRunsResume(landscape, kills: 4, seed: 3, in: dir)
        // adaptive-split reuses every finished step and resumes training steps (no flag).
        let adaptive = KillCase(name: "adaptive-split", command: { out, _ in
            ["adaptive-split", "--teacher", model.path, "--task", "sst-2", "--data", data.path, "--output", out.path, "--budget", "0.0048",
             "--ternary-epochs", "1", "--mixed-epochs", "1", "--finetune-epochs", "1", "--max-length", "16", "--batch-size", "8",
             "--probe-examples", "8", "--probe-batch-size", "4", "--trace-matvecs", "6", "--resolution", "64", "--threads", "1"]
        }, hasProgress: { _ in false }, files: ["selection.json", "final/model.safetensors", "packed/model.packed.safetensors"])
        try checkKilledRunsResume(adaptive, kills: 3, seed: 4, in: dir)
        // The per-module curvature table continues cell by cell from per-module.csv.partial (no flag); cells are
        // compared without their timing column.
        var perModule = KillCase(name: "hessian-per-module", command: { out, _ in
            ["hessian", "--model", model.path, "--task", "sst-2", "--data", data.path, "--per-module", "--batches", "2",
             "--examples", "16", "--batch-size", "8", "--max-length", "16", "--max-hvps", "12", "--threads", "1", "--output", out.path]
        }, hasProgress: { _ in false }, files: ["per-module.csv"])
        perModule.compared = { data in
            let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map { line -> String in
                var f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                if f.count == 10 { f.remove(at: 8) }   // seconds
                return f.joined(separator: ",")
            }
            return Data(lines.joined(separator: "\n").utf8)
        }
        try checkKilledRunsResume(perModule, kills: 4, seed: 5, in: dir)
    }
}
