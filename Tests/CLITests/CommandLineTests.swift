import XCTest
import BERT
import Foundation

/// Runs the built `binarybert` executable: exit codes, messages naming the bad file, and output files.
final class CommandLineTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    var binary: URL {
        // The test bundle sits next to the products of the same build.
        let products = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }?.bundleURL.deletingLastPathComponent()
            ?? Bundle.main.bundleURL
        return products.appendingPathComponent("binarybert")
    }

    struct Result {
        var status: Int32; var stdout: String; var stderr: String
        /// The process ended by a signal (a trap, SIGSEGV, SIGFPE, ...) rather than by exiting.
        var signaled = false
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // stderr is drained on its own thread: read one after the other, a child that fills the stderr pipe (64 KB)
        // while the stdout read waits would never exit.
        final class Box: @unchecked Sendable { var data = Data() }
        let e = Box()
        let drained = DispatchSemaphore(value: 0)
        DispatchQueue.global().async { e.data = err.fileHandleForReading.readDataToEndOfFile(); drained.signal() }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e.data, as: UTF8.self),
                      signaled: p.terminationReason == .uncaughtSignal)
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bb-cli-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testHelpListsCommands() throws {
        let r = try run(["--help"])
        XCTAssertEqual(r.status, 0)
        for command in ["info", "tokenize", "forward", "finetune", "evaluate", "quantize", "split", "bench"] {
            XCTAssertTrue(r.stdout.contains(command), command)
        }
    }

    func testLAQNeedsTernaryWeights() throws {
        let common = ["quantize", "--teacher", "t", "--task", "rt-polarity", "--data", "d", "--output", "o"]
        let r = try run(common + ["--weight-bits", "1", "--weight-method", "laq"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--weight-method laq is ternary"), r.stderr)
        let bad = try run(common + ["--weight-bits", "2", "--weight-method", "lsq"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--weight-method must be twn or laq"), bad.stderr)
    }

    /// --teacher-cache must name a folder: a file or an empty path is refused in one sentence naming the option.
    func testTeacherCacheMustNameAFolder() throws {
        let file = try temporaryDirectory().appendingPathComponent("not-a-folder")
        XCTAssertTrue(FileManager.default.createFile(atPath: file.path, contents: Data("x".utf8)))
        let common = ["quantize", "--teacher", "t", "--task", "rt-polarity", "--data", "d", "--output", "o", "--weight-bits", "1"]
        let onFile = try run(common + ["--teacher-cache", file.path])
        XCTAssertNotEqual(onFile.status, 0)
        XCTAssertTrue(onFile.stderr.contains("--teacher-cache \(file.path) is a file, not a folder"), onFile.stderr)
        let empty = try run(common + ["--teacher-cache", ""])
        XCTAssertNotEqual(empty.status, 0)
        XCTAssertTrue(empty.stderr.contains("--teacher-cache must name a folder"), empty.stderr)
    }

    func testInfoReportsBLAS() throws {
        let r = try run(["info", "--json"])
        XCTAssertEqual(r.status, 0)
        let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: String]
        XCTAssertNotNil(object?["blas_core"])
        XCTAssertTrue(object?["blas_config"]?.contains("OpenBLAS") ?? false)
    }

    func testForwardWithIdsWritesAllOutputs() throws {
        let dir = try temporaryDirectory()
        let ids = dir.appendingPathComponent("ids.txt"), out = dir.appendingPathComponent("out.safetensors")
        try "1 5 9 2\n1 7 2 8 3 2\n".write(to: ids, atomically: true, encoding: .utf8)
        let r = try run(["forward", "--model", Self.fixtures.appendingPathComponent("tiny-bert").path, "--input", ids.path,
                         "--ids", "--output", out.path, "--dtype", "float64"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let file = try SafetensorsFile(contentsOf: out)
        XCTAssertEqual(file["hidden_states.0"]?.shape, [2, 6, 16])
        XCTAssertEqual(file["hidden_states.2"]?.dtype, .F64)
        XCTAssertEqual(file["logits"]?.shape, [2, 3])
        XCTAssertEqual(file["pooled"]?.shape, [2, 16])
        XCTAssertEqual(try file.integers("attention_mask"), [1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1])
    }

    func testMalformedWeightsFailWithTheFileName() throws {
        let dir = try temporaryDirectory()
        let model = dir.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent("tiny-bert/config.json"),
                                         to: model.appendingPathComponent("config.json"))
        // Header length far past the end of the file.
        var bytes = Data([0xFF, 0xFF, 0, 0, 0, 0, 0, 0])
        bytes.append(Data("{}".utf8))
        try bytes.write(to: model.appendingPathComponent("model.safetensors"))
        let ids = dir.appendingPathComponent("ids.txt")
        try "1 2\n".write(to: ids, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out.safetensors")
        let r = try run(["forward", "--model", model.path, "--input", ids.path, "--ids", "--output", out.path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("model.safetensors"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    func testBadIdLineIsNamed() throws {
        let dir = try temporaryDirectory()
        let ids = dir.appendingPathComponent("ids.txt")
        try "1 2\n1 x 2\n".write(to: ids, atomically: true, encoding: .utf8)
        let r = try run(["forward", "--model", Self.fixtures.appendingPathComponent("tiny-bert").path, "--input", ids.path,
                         "--ids", "--output", dir.appendingPathComponent("o.safetensors").path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("ids.txt:2"), r.stderr)
    }

    func testOutOfVocabularyIdFails() throws {
        let dir = try temporaryDirectory()
        let ids = dir.appendingPathComponent("ids.txt")
        try "1 99 2\n".write(to: ids, atomically: true, encoding: .utf8)
        let r = try run(["forward", "--model", Self.fixtures.appendingPathComponent("tiny-bert").path, "--input", ids.path,
                         "--ids", "--output", dir.appendingPathComponent("o.safetensors").path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("99"), r.stderr)
    }
}
