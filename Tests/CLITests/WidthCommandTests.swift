import XCTest
import BERT
import Foundation

/// `slice --rank` and `quantize --width 0.5` end to end on a tiny SST-2-style task (a few optimizer steps).
extension CommandLineTests {
    /// A 2-layer, 2-head tiny classifier with its own 17-word vocabulary, and SST-2 files (48 train, 16 dev rows).
    func makeTinyTask(in dir: URL) throws -> (model: URL, data: URL) {
        let words = ["good", "great", "fine", "nice", "bad", "awful", "poor", "dull", "the", "movie", "film", "is"]
        let vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words
        let config = BertConfig(vocabSize: vocab.count, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2,
                                intermediateSize: 24, maxPositionEmbeddings: 32, numLabels: 2)
        let model = try BertModel<Float>(config: config)
        model.initializeWeights(seed: 3)
        let modelDir = dir.appendingPathComponent("model")
        try ModelDirectory.save(model, to: modelDir)
        try (vocab.joined(separator: "\n") + "\n").write(to: modelDir.appendingPathComponent("vocab.txt"), atomically: true, encoding: .utf8)
        let data = dir.appendingPathComponent("data/SST-2")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        for (split, count) in [("train", 48), ("dev", 16)] {
            var lines = ["sentence\tlabel"]
            for i in 0..<count {
                let positive = i % 2 == 0
                let adjective = words[(positive ? 0 : 4) + (i / 2) % 4]
                lines.append("the \(words[9 + i % 2]) is \(adjective)\t\(positive ? 1 : 0)")
            }
            try (lines.joined(separator: "\n") + "\n").write(to: data.appendingPathComponent("\(split).tsv"), atomically: true, encoding: .utf8)
        }
        return (modelDir, dir.appendingPathComponent("data"))
    }

    func jsonObject(_ url: URL) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any], url.path)
    }

    func testSliceWithRankingWritesImportance() throws {
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        let out = dir.appendingPathComponent("sliced")
        let r = try run(["slice", "--model", model.path, "--width", "0.5", "--output", out.path, "--rank", "--task", "sst-2",
                         "--data", data.path, "--batches", "3", "--batch-size", "8", "--max-length", "16"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let config = try jsonObject(out.appendingPathComponent("config.json"))
        XCTAssertEqual(config["num_attention_heads"] as? Int, 1)
        XCTAssertEqual(config["intermediate_size"] as? Int, 12)
        XCTAssertEqual(config["attention_head_size"] as? Int, 8)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("vocab.txt").path))
        let report = try jsonObject(out.appendingPathComponent("importance.json"))
        XCTAssertEqual(report["batches"] as? Int, 3)
        let headOrder = try XCTUnwrap(report["head_order"] as? [[Int]])
        let neuronOrder = try XCTUnwrap(report["neuron_order"] as? [[Int]])
        let heads = try XCTUnwrap(report["head_importance"] as? [[Double]])
        XCTAssertEqual(headOrder.count, 2)
        for l in 0..<2 {
            XCTAssertEqual(headOrder[l].sorted(), [0, 1])
            XCTAssertEqual(neuronOrder[l].sorted(), Array(0..<24))
            XCTAssertGreaterThanOrEqual(heads[l][headOrder[l][0]], heads[l][headOrder[l][1]])
        }

        let missing = try run(["slice", "--model", model.path, "--width", "0.5", "--output", out.path, "--rank"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("--task"), missing.stderr)
    }

    func testQuantizeAtHalfWidthTrainsANarrowTeacher() throws {
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        let out = dir.appendingPathComponent("quantized")
        let r = try run(["quantize", "--teacher", model.path, "--task", "sst-2", "--data", data.path, "--output", out.path,
                         "--weight-bits", "2", "--width", "0.5", "--teacher-epochs", "1", "--epochs", "1", "--batch-size", "16",
                         "--max-length", "16", "--rank-batches", "2", "--lr", "1e-3"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let teacher = out.appendingPathComponent("teacher-w0.5")
        XCTAssertEqual(try jsonObject(teacher.appendingPathComponent("config.json"))["num_attention_heads"] as? Int, 1)
        XCTAssertNotNil(try jsonObject(teacher.appendingPathComponent("importance.json"))["head_order"])
        XCTAssertNotNil(try jsonObject(teacher.appendingPathComponent("metrics.json"))["best"])
        XCTAssertEqual(try jsonObject(out.appendingPathComponent("config.json"))["intermediate_size"] as? Int, 12)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("quantization.json").path))
        let metrics = try jsonObject(out.appendingPathComponent("metrics.json"))
        XCTAssertEqual(metrics["width"] as? Double, 0.5)
        XCTAssertEqual(metrics["width_ranked"] as? Bool, true)
        XCTAssertEqual(metrics["width_teacher"] as? String, teacher.path)
        XCTAssertEqual(try nonSnakeCaseKeys(under: [out]), [], "every JSON document quantize writes is snake_case")

        let bad = try run(["quantize", "--teacher", model.path, "--task", "sst-2", "--data", data.path, "--output", out.path,
                           "--weight-bits", "2", "--width", "1.5"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--width"), bad.stderr)
    }

    /// `quantize --resume` on a finished half-width run reuses the teacher and stage 1 and reports the same result;
    /// `--limit` keeps the first N training rows.
    func testQuantizeResumeReusesFinishedWork() throws {
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        let out = dir.appendingPathComponent("quantized")
        let args = ["quantize", "--teacher", model.path, "--task", "sst-2", "--data", data.path, "--output", out.path,
                    "--weight-bits", "2", "--width", "0.5", "--teacher-epochs", "1", "--epochs", "1", "--batch-size", "8",
                    "--max-length", "16", "--rank-batches", "2", "--lr", "1e-3", "--limit", "32", "--threads", "1"]
        let first = try run(args)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stderr.contains("training: 32 examples"), first.stderr)
        let again = try run(args + ["--resume"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stderr.contains("teacher at width 0.5: finished earlier"), again.stderr)
        XCTAssertTrue(again.stderr.contains("stage 1: finished earlier"), again.stderr)
        let a = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        let b = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(a["best"] as? [String: Double], b["best"] as? [String: Double])
        XCTAssertEqual(a["best_step"] as? Int, b["best_step"] as? Int)
    }

    /// `quantize --epochs 0` trains nothing: the binarized teacher (post-training BWN, W1A4 with LSQ steps set from
    /// the first training batch) is saved with its dev metrics and evaluates to them again.
    func testQuantizeWithoutTrainingSavesTheInitialisation() throws {
        let dir = try temporaryDirectory()
        let (model, data) = try makeTinyTask(in: dir)
        let out = dir.appendingPathComponent("bwn-init")
        let r = try run(["quantize", "--teacher", model.path, "--task", "sst-2", "--data", data.path, "--output", out.path,
                         "--weight-bits", "1", "--act-bits", "4", "--epochs", "0", "--max-length", "16", "--threads", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let metrics = try jsonObject(out.appendingPathComponent("metrics.json"))
        XCTAssertEqual(metrics["steps"] as? Int, 0)
        let spec = try jsonObject(out.appendingPathComponent("quantization.json"))
        XCTAssertEqual(spec["method"] as? String, "bwn")
        let evaluated = try run(["evaluate", "--model", out.path, "--task", "sst-2", "--data", data.path, "--max-length", "16"])
        XCTAssertEqual(evaluated.status, 0, evaluated.stderr)
        let accuracy = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluated.stdout.utf8)) as? [String: Any])["accuracy"] as? Double
        XCTAssertEqual(accuracy, (metrics["best"] as? [String: Double])?["accuracy"])

        let negative = try run(["quantize", "--teacher", model.path, "--task", "sst-2", "--data", data.path, "--output", out.path,
                                "--weight-bits", "1", "--epochs=-1"])
        XCTAssertNotEqual(negative.status, 0)
        XCTAssertTrue(negative.stderr.contains("--epochs must be an integer in [0, 10000], not -1"), negative.stderr)

        // An already quantized --init is its own starting point: refused (re-saving would round a split's float64
        // latent weights to float32), and nothing is written.
        let again = dir.appendingPathComponent("again")
        let refused = try run(["quantize", "--teacher", model.path, "--task", "sst-2", "--data", data.path, "--output", again.path,
                               "--init", out.path, "--weight-bits", "1", "--act-bits", "4", "--epochs", "0", "--max-length", "16"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("\(out.path) is already quantized"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: again.path))
    }
}
