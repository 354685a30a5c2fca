import Foundation
import XCTest

/// Same seed and thread count → the same bytes, for every command that computes; and the probes (evaluation,
/// forward, HVPs, scans) give the same bytes at any thread count (the GEMM splitter cuts rows, never a reduction).
extension CommandLineTests {
    /// Runs `arguments(output, threads)` into two fresh directories and returns the bytes of `files` from each.
    func outputs(_ name: String, in dir: URL, threads: [Int], files: [String], _ arguments: (URL, Int) -> [String]) throws -> [[Data]] {
        try threads.enumerated().map { k, t in
            let out = dir.appendingPathComponent("\(name)-\(k)-t\(t)")
            let r = try run(arguments(out, t))
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            return try files.map { try Data(contentsOf: out.appendingPathComponent($0)) }
        }
    }

    func testSameSeedAndThreadsGiveTheSameBytes() throws {
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        let task = ["--task", "sst-2", "--data", data.path, "--max-length", "16"]
        let runs: [(String, [String], (URL, Int) -> [String])] = [
            ("finetune", ["model.safetensors", "checkpoint-last/optimizer.safetensors"], { out, t in
                ["finetune", "--model", model.path, "--output", out.path, "--epochs", "1", "--batch-size", "8", "--eval-every", "3",
                 "--threads", "\(t)"] + task }),
            ("quantize", ["model.safetensors", "quantization.json"], { out, t in
                ["quantize", "--teacher", model.path, "--output", out.path, "--weight-bits", "1", "--epochs", "1", "--batch-size", "8",
                 "--threads", "\(t)"] + task }),
            ("slice", ["model.safetensors", "config.json"], { out, t in
                ["slice", "--model", model.path, "--width", "0.5", "--rank", "--batches", "2", "--batch-size", "8", "--output", out.path,
                 "--threads", "\(t)"] + task }),
        ]
        for (name, files, arguments) in runs {
            let three = try outputs(name, in: dir, threads: [2, 2, 1], files: files, arguments)
            XCTAssertEqual(three[0], three[1], "\(name) with one seed and 2 threads differs between runs")
            XCTAssertEqual(three[0], three[2], "\(name): 1 and 2 threads differ")
        }
    }

    func testProbesGiveTheSameBytesAtAnyThreadCount() throws {
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        let task = ["--task", "sst-2", "--data", data.path, "--max-length", "16"]
        let lines = dir.appendingPathComponent("lines.txt")
        try "the movie is good\nthe film is dull\tthe movie is nice\n".write(to: lines, atomically: true, encoding: .utf8)
        let probes: [(String, [String], (URL, Int) -> [String])] = [
            ("forward", ["out.safetensors"], { out, t in
                try? FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
                return ["forward", "--model", model.path, "--input", lines.path, "--output", out.appendingPathComponent("out.safetensors").path,
                        "--threads", "\(t)"] }),
            ("landscape", ["surface.csv"], { out, t in
                ["landscape", "--model", model.path, "--select", "value@0,1", "--directions", "filter", "--x", "-1:1:5", "--y", "-1:1:3",
                 "--examples", "24", "--batch-size", "8", "--output", out.path, "--threads", "\(t)"] + task }),
            ("hessian", ["model/top-0.safetensors"], { out, t in
                ["hessian", "--model", model.path, "--select", "value@0,1", "--top-k", "1", "--examples", "24", "--batch-size", "8",
                 "--max-hvps", "40", "--output", out.path, "--threads", "\(t)"] + task }),
        ]
        for (name, files, arguments) in probes {
            let runs = try outputs(name, in: dir, threads: [1, 2, 2], files: files, arguments)
            XCTAssertEqual(runs[1], runs[2], "\(name): two runs with 2 threads differ")
            XCTAssertEqual(runs[0], runs[1], "\(name): 1 and 2 threads differ")
        }
    }
}
