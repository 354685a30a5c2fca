import BERT
import Foundation
import Storage
import XCTest

/// Bad options and bad inputs, as a careless or hostile user gives them: each ends in a non-zero exit with one
/// sentence naming the option or file, never a trap, and leaves no output directory behind.
extension CommandLineTests {
    /// Runs `arguments` and checks the refusal: not by a signal, non-zero, `message` in the error, `output` not created.
    func assertRefused(_ arguments: [String], _ message: String, output: URL? = nil, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try run(arguments)
        let label = arguments.joined(separator: " ")
        XCTAssertFalse(r.signaled, "trapped: \(label)\n\(r.stderr)", file: file, line: line)
        XCTAssertNotEqual(r.status, 0, "accepted: \(label)\n\(r.stdout)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains(message), "\(label): expected “\(message)” in\n\(r.stderr)", file: file, line: line)
        XCTAssertFalse(r.stderr.contains("Fatal error") || r.stderr.contains("Stack dump"), "\(label): \(r.stderr)", file: file, line: line)
        if let output { XCTAssertFalse(FileManager.default.fileExists(atPath: output.path), "\(label) left \(output.path)", file: file, line: line) }
    }

    func testTrainingOptionsAreValidatedBeforeAnyWork() throws {
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        let out = dir.appendingPathComponent("out")
        let finetune = ["finetune", "--model", model.path, "--task", "sst-2", "--data", data.path, "--output", out.path, "--max-length", "16"]
        for (extra, message) in [
            (["--limit=-1"], "--limit must be positive, not -1"),
            (["--epochs", "9223372036854775807"], "--epochs must be an integer in [1, 10000], not 9223372036854775807"),
            (["--epochs", "99999999999999999999"], "--epochs"),
            (["--batch-size", "0"], "--batch-size must be an integer in [1, 65536], not 0"),
            (["--eval-every", "0"], "--eval-every must be an integer in [1, 2147483647], not 0"),
            (["--log-every", "0"], "--log-every must be an integer in [1, 2147483647], not 0"),
            (["--curve-examples", "0"], "--curve-examples must be an integer in [1, 2147483647], not 0"),
            (["--lr=-1"], "--lr must be a number in (0, 1], not -1.0"),
            (["--lr", "nan"], "--lr must be a number in (0, 1], not nan"),
            (["--lr", "1e3"], "--lr must be a number in (0, 1], not 1000.0"),
            (["--warmup", "nan"], "--warmup must be a number in [0, 1), not nan"),
            (["--warmup=-5"], "--warmup must be a number in [0, 1), not -5.0"),
            (["--weight-decay", "inf"], "--weight-decay must be a number in [0, 1], not inf"),
            (["--max-length", "1"], "--max-length must be an integer in [2, 65536], not 1"),
            (["--max-length", "64"], "--max-length 64 exceeds the 32 positions of \(model.path)"),
            (["--threads", "0"], "--threads must be an integer in [1, 1024], not 0"),
            (["--threads", "100000"], "--threads must be an integer in [1, 1024], not 100000"),
        ] {
            try assertRefused(finetune.filter { !(extra.first == "--max-length" && ($0 == "--max-length" || $0 == "16")) } + extra,
                              message, output: out)
        }
        let quantize = ["quantize", "--teacher", model.path, "--task", "sst-2", "--data", data.path, "--output", out.path,
                        "--weight-bits", "2", "--max-length", "16"]
        for (extra, message) in [
            (["--batch-size", "0"], "--batch-size must be an integer in [1, 65536], not 0"),
            (["--eval-every", "0"], "--eval-every must be an integer in [1, 2147483647], not 0"),
            (["--log-every=-3"], "--log-every must be an integer in [1, 2147483647], not -3"),
            (["--curve-examples=-2"], "--curve-examples must be an integer in [1, 2147483647], not -2"),
            (["--lr=-1"], "--lr must be a number in (0, 1], not -1.0"),
            (["--max-length", "1"], "--max-length must be an integer in [2, 65536], not 1"),
        ] {
            try assertRefused(quantize + extra, message, output: out)
        }
        // An --output that is a file is refused and left as it was.
        let file = dir.appendingPathComponent("a-file")
        try "keep".write(to: file, atomically: true, encoding: .utf8)
        try assertRefused(finetune.map { $0 == out.path ? file.path : $0 }, "--output must be a directory, and this is a file")
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), "keep")
        // As finetune, quantize --resume continues a run and never silently starts one.
        try assertRefused(quantize + ["--resume"], "holds no checkpoint and no finished stage 1", output: out)
        try assertRefused(finetune + ["--resume"], "cannot resume: no ", output: out)
    }

    func testEvaluateChecksItsOptionsDataAndHead() throws {
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        let evaluate = ["evaluate", "--model", model.path, "--task", "sst-2", "--data", data.path, "--max-length", "16"]
        try assertRefused(evaluate + ["--batch-size", "0"], "--batch-size must be an integer in [1, 65536], not 0")
        try assertRefused(evaluate + ["--dtype", "bogus"], "--dtype")
        try assertRefused(evaluate + ["--split", "test"], "--split")
        for length in ["0", "1", "-5"] {
            try assertRefused(Array(evaluate.dropLast(2)) + ["--max-length=\(length)"], "--max-length must be an integer in [2, 65536], not \(length)")
        }
        // sts-b is a regression task: a 2-way head does not fit it.
        let sts = data.appendingPathComponent("STS-B")
        try FileManager.default.createDirectory(at: sts, withIntermediateDirectories: true)
        try "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n0\ta\tb\tc\td\te\tf\tthe film\tthe movie\t4.0\n"
            .write(to: sts.appendingPathComponent("dev.tsv"), atomically: true, encoding: .utf8)
        try assertRefused(["evaluate", "--model", model.path, "--task", "sts-b", "--data", data.path, "--max-length", "16"],
                          "has a 2-way head but sts-b needs 1 outputs")
        // A header-only and an empty dev file have no examples.
        for text in ["sentence\tlabel\n", ""] {
            try text.write(to: data.appendingPathComponent("SST-2/dev.tsv"), atomically: true, encoding: .utf8)
            try assertRefused(evaluate, "has no examples")
        }
    }

    func testForwardRefusesOutOfRangeIdsAndOverwritingItsInputs() throws {
        let dir = try temporaryDirectory()
        let model = Self.fixtures.appendingPathComponent("tiny-bert")
        let ids = dir.appendingPathComponent("ids.txt"), out = dir.appendingPathComponent("out.safetensors")
        for (id, message) in [("4294974888", "token id 4294974888 is outside the vocabulary [0, 50)"),
                              ("2147483648", "token id 2147483648 is outside the vocabulary [0, 50)"),
                              ("-1", "token id -1 is outside the vocabulary"),
                              ("99999999999999999999999", "'99999999999999999999999' is not a token id")] {
            try "1 5 \(id) 2\n".write(to: ids, atomically: true, encoding: .utf8)
            try assertRefused(["forward", "--model", model.path, "--input", ids.path, "--ids", "--output", out.path], message, output: out)
        }
        try "1 5 2\n".write(to: ids, atomically: true, encoding: .utf8)
        try assertRefused(["forward", "--model", model.path, "--input", ids.path, "--ids", "--output", ids.path], "is the --input file")
        XCTAssertEqual(try String(contentsOf: ids, encoding: .utf8), "1 5 2\n")
        try assertRefused(["forward", "--model", model.path, "--input", ids.path, "--ids", "--output",
                           model.appendingPathComponent("model.safetensors").path], "lies in the --model directory")
        try assertRefused(["forward", "--model", model.path, "--input", ids.path, "--ids", "--output",
                           dir.appendingPathComponent("missing/out.safetensors").path], "No such file or directory")
    }

    /// Configs and vocabularies that do not match their weights are refused before anything is allocated.
    func testBrokenConfigsAreRefusedBeforeAllocating() throws {
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        let configURL = model.appendingPathComponent("config.json")
        let original = try Data(contentsOf: configURL)
        func withConfig(_ key: String, _ value: Any, _ message: String) throws {
            var object = try XCTUnwrap(JSONSerialization.jsonObject(with: original) as? [String: Any])
            object[key] = value
            try JSONSerialization.data(withJSONObject: object).write(to: configURL)
            try assertRefused(["evaluate", "--model", model.path, "--task", "sst-2", "--data", data.path, "--max-length", "16"], message)
        }
        try withConfig("vocab_size", Int.max, "vocab_size must be an integer in [1, 16777216], got 9223372036854775807")
        try withConfig("vocab_size", 1_000_000_000_000, "vocab_size must be an integer in [1, 16777216]")
        try withConfig("num_hidden_layers", 1_000_000_000, "num_hidden_layers must be an integer in [1, 1024]")
        try withConfig("num_hidden_layers", 1, "holds tensor 'bert.encoder.layer.1.")
        try withConfig("num_hidden_layers", 3, "has no tensor named 'bert.encoder.layer.2.")
        try withConfig("layer_norm_eps", -1, "layer_norm_eps must be a number in (0, 1), got -1.0")
        try withConfig("vocab_size", 16, "vocab_size is 16 but")
        try original.write(to: configURL)

        // NaN weights and an unknown extra tensor.
        let net = try ModelDirectory.load(model, as: Float.self)
        net.pointer("bert.encoder.layer.0.output.dense.weight")[3] = .nan
        try ModelDirectory.save(net, to: model)
        try assertRefused(["evaluate", "--model", model.path, "--task", "sst-2", "--data", data.path, "--max-length", "16"],
                          "Tensor 'bert.encoder.layer.0.output.dense.weight' in checkpoint file '\(model.appendingPathComponent("model.safetensors").path)' is malformed: element 3 is NaN or infinite.")
        net.pointer("bert.encoder.layer.0.output.dense.weight")[3] = 0
        try ModelDirectory.save(net, to: model, extraTensors: [("stray.weight", [2], UnsafeBufferPointer(start: net.parameters.pointer, count: 2))])
        try assertRefused(["evaluate", "--model", model.path, "--task", "sst-2", "--data", data.path, "--max-length", "16"],
                          "holds tensor 'stray.weight'")
    }

    /// A second run on an output directory in use is refused, naming the holder; the first run's files are untouched.
    func testASecondRunOnALockedOutputIsRefused() throws {
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        let out = dir.appendingPathComponent("out")
        let lock = try OutputLock(directory: out)
        defer { lock.release() }
        try assertRefused(["finetune", "--model", model.path, "--task", "sst-2", "--data", data.path, "--output", out.path,
                           "--max-length", "16", "--epochs", "1"], "is in use by another run (pid \(getpid()) on ")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), [OutputLock.fileName])
    }

    /// `--resume` continues only the run it was given: other data (task, --limit, --max-length) is refused.
    func testResumeRefusesOtherDataAndCleansLeftovers() throws {
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        let out = dir.appendingPathComponent("out")
        let base = ["finetune", "--model", model.path, "--task", "sst-2", "--data", data.path, "--output", out.path,
                    "--epochs", "1", "--batch-size", "16", "--eval-every", "1"]
        let first = try run(base + ["--max-length", "16", "--limit", "32"])
        XCTAssertEqual(first.status, 0, first.stderr)
        // A crash's leftovers: a temporary of a dead process and a half-written checkpoint.
        let done = Process()
        done.executableURL = URL(fileURLWithPath: "/bin/true")
        try done.run(); done.waitUntilExit()
        let stray = out.appendingPathComponent(".model.safetensors.tmp-\(done.processIdentifier)")
        try Data("x".utf8).write(to: stray)
        try FileManager.default.createDirectory(at: out.appendingPathComponent("checkpoint-last.partial"), withIntermediateDirectories: true)
        try assertRefused(base + ["--max-length", "16", "--limit", "48", "--resume"], "the training examples differ")
        try assertRefused(base + ["--max-length", "4", "--limit", "32", "--resume"], "the training examples differ")
        XCTAssertFalse(FileManager.default.fileExists(atPath: stray.path), "a dead process's temporary is removed")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("checkpoint-last.partial").path))
        // A torn trainer state is refused with a sentence, not loaded.
        try "{\"step\": 3, \"best".write(to: out.appendingPathComponent("checkpoint-last/trainer_state.json"), atomically: true, encoding: .utf8)
        try assertRefused(base + ["--max-length", "16", "--limit", "32", "--resume"], "is torn or not a trainer state")
    }
}

extension CommandLineTests {
    /// A full disk (a small tmpfs; skipped where the test cannot mount one): training stops with the reason, no
    /// temporary is left, and what was written before stays loadable.
    func testDiskFullStopsTrainingCleanly() throws {
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        let disk = dir.appendingPathComponent("disk")
        try FileManager.default.createDirectory(at: disk, withIntermediateDirectories: true)
        func mount(_ arguments: [String]) -> Bool {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: arguments[0])
            p.arguments = Array(arguments.dropFirst())
            p.standardError = FileHandle.nullDevice
            guard (try? p.run()) != nil else { return false }
            p.waitUntilExit()
            return p.terminationStatus == 0
        }
        guard mount(["/bin/mount", "-t", "tmpfs", "-o", "size=120k", "tmpfs", disk.path]) else { throw XCTSkip("cannot mount a tmpfs here") }
        defer { _ = mount(["/bin/umount", disk.path]) }
        let out = disk.appendingPathComponent("out")
        let r = try run(["finetune", "--model", model.path, "--task", "sst-2", "--data", data.path, "--output", out.path,
                         "--max-length", "16", "--epochs", "3", "--batch-size", "8", "--eval-every", "2", "--threads", "1"])
        XCTAssertFalse(r.signaled, r.stderr)
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("No space left on device"), r.stderr)
        let left = FileManager.default.enumerator(atPath: out.path)?.compactMap { $0 as? String }.filter { $0.contains(".tmp-") || $0.hasSuffix(".partial") } ?? []
        XCTAssertEqual(left, [], "temporaries left on the full disk")
        if FileManager.default.fileExists(atPath: out.appendingPathComponent("model.safetensors").path) {
            XCTAssertNoThrow(try ModelDirectory.load(out, as: Float.self), "the best model written before the disk filled loads")
        }
    }
}
