import XCTest
import BERT
import Numerics

/// Parity with HF transformers (BertForSequenceClassification, eager attention, float64) on a tiny random model:
/// Tests/Fixtures/tiny-bert*/make_fixture.py wrote the weights, inputs, outputs and gradients.
final class PyTorchParityTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    struct Reference {
        let file: SafetensorsFile
        let batch: TokenBatch
        let targets: Targets
    }

    func reference(_ name: String, regression: Bool) throws -> Reference {
        let file = try SafetensorsFile(contentsOf: Self.fixtures.appendingPathComponent(name).appendingPathComponent("reference.safetensors"))
        let shape = file["input_ids"]!.shape
        let batch = TokenBatch(batchSize: shape[0], sequenceLength: shape[1],
                               inputIds: try file.integers("input_ids").map { Int32($0) },
                               tokenTypeIds: try file.integers("token_type_ids").map { Int32($0) },
                               attentionMask: try file.integers("attention_mask").map { Int32($0) })
        let targets: Targets = regression ? .values(try file.values("labels", as: Double.self))
                                          : .classes(try file.integers("labels").map { Int($0) })
        return Reference(file: file, batch: batch, targets: targets)
    }

    /// max |a − b| / max |b|: relative to the tensor's scale.
    func relativeError<T: BLASReal>(_ a: UnsafePointer<T>, _ b: [Double], floor: Double = 1e-300) -> Double {
        var num = 0.0, den = floor
        for i in b.indices {
            num = max(num, abs(Double(a[i]) - b[i]))
            den = max(den, abs(b[i]))
        }
        return num / den
    }

    func checkParity<T: BLASReal>(_ type: T.Type, fixture: String, regression: Bool, tolerance: Double) throws {
        let dir = Self.fixtures.appendingPathComponent(fixture)
        let model = try ModelDirectory.load(dir, as: T.self)
        let ref = try reference(fixture, regression: regression)
        let batch = ref.batch
        var rng = SeededRNG(seed: 0)
        let acts = try model.forward(batch, training: false, rng: &rng)
        let t = batch.sequenceLength, h = model.config.hiddenSize
        // Padded positions' hidden states are compared too: HF computes them the same way.
        for l in 0...model.config.numHiddenLayers {
            let e = relativeError(acts.hiddenStates[l].pointer, try ref.file.values("hidden_states.\(l)"))
            XCTAssertLessThanOrEqual(e, tolerance, "\(fixture) hidden_states.\(l) (\(T.self))")
        }
        for l in 0..<model.config.numHiddenLayers {
            let e = relativeError(acts.attentionProbs(l).pointer, try ref.file.values("attention_probs.\(l)"))
            XCTAssertLessThanOrEqual(e, tolerance, "\(fixture) attention_probs.\(l) (\(T.self))")
        }
        XCTAssertLessThanOrEqual(relativeError(acts.pooled!.pointer, try ref.file.values("pooled")), tolerance, "pooled")
        XCTAssertLessThanOrEqual(relativeError(acts.logits!.pointer, try ref.file.values("logits")), tolerance, "logits")
        _ = t; _ = h

        let loss = try model.lossAndGradient(batch, targets: ref.targets, rng: &rng)
        let refLoss = try ref.file.values("loss", as: Double.self)[0]
        XCTAssertEqual(loss, refLoss, accuracy: tolerance * abs(refLoss), "loss")
        // The key bias's gradient is exactly zero (softmax ignores a per-row shift): both sides hold rounding noise,
        // so every tensor's error is measured against at least 1e-3 of the largest gradient entry of the model.
        var scale = 0.0
        for view in model.table.views { scale = max(scale, try ref.file.values("grad." + view.name).map(abs).max() ?? 0) }
        for view in model.table.views {
            let e = relativeError(model.gradients.pointer + view.offset, try ref.file.values("grad." + view.name), floor: 1e-3 * scale)
            XCTAssertLessThanOrEqual(e, tolerance, "grad.\(view.name) (\(T.self))")
        }
    }

    func testClassificationDouble() throws { try checkParity(Double.self, fixture: "tiny-bert", regression: false, tolerance: 1e-9) }
    func testClassificationFloat() throws { try checkParity(Float.self, fixture: "tiny-bert", regression: false, tolerance: 1e-4) }
    func testRegressionDouble() throws { try checkParity(Double.self, fixture: "tiny-bert-regression", regression: true, tolerance: 1e-9) }
    func testRegressionFloat() throws { try checkParity(Float.self, fixture: "tiny-bert-regression", regression: true, tolerance: 1e-4) }

    func testSaveAndReloadRoundTrip() throws {
        let dir = Self.fixtures.appendingPathComponent("tiny-bert")
        let model = try ModelDirectory.load(dir, as: Double.self)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("bb-roundtrip-\(getpid())")
        defer { try? FileManager.default.removeItem(at: out) }
        try ModelDirectory.save(model, to: out)
        let again = try ModelDirectory.load(out, as: Double.self)
        XCTAssertEqual(again.config, model.config)
        XCTAssertEqual(again.parameters.array, model.parameters.array)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.contains(".tmp") }
        XCTAssertEqual(leftovers, [])
    }

    func testMissingAndMisshapenTensorsAreNamed() throws {
        let dir = Self.fixtures.appendingPathComponent("tiny-bert")
        let model = try ModelDirectory.load(dir, as: Double.self)
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("bb-bad-\(getpid())")
        defer { try? FileManager.default.removeItem(at: tmp) }
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: dir.appendingPathComponent("config.json"), to: tmp.appendingPathComponent("config.json"))
        // Drop one tensor.
        var writer = SafetensorsWriter()
        for v in model.table.views where v.name != "bert.encoder.layer.1.output.dense.bias" {
            writer.add(v.name, shape: v.shape, values: UnsafeBufferPointer(start: model.parameters.pointer + v.offset, count: v.count))
        }
        try writer.write(to: tmp.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try ModelDirectory.load(tmp, as: Double.self)) { error in
            XCTAssertEqual(error as? CheckpointError, .missingTensor(file: tmp.appendingPathComponent("model.safetensors").path,
                                                                     tensor: "bert.encoder.layer.1.output.dense.bias"))
        }
        // Wrong shape for the config.
        writer = SafetensorsWriter()
        for v in model.table.views {
            let shape = v.name == "bert.pooler.dense.bias" ? [v.count / 2, 2] : v.shape
            writer.add(v.name, shape: shape, values: UnsafeBufferPointer(start: model.parameters.pointer + v.offset, count: v.count))
        }
        try writer.write(to: tmp.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try ModelDirectory.load(tmp, as: Double.self)) { error in
            guard case let .shapeMismatch(_, tensor, _, _)? = error as? CheckpointError else { return XCTFail("\(error)") }
            XCTAssertEqual(tensor, "bert.pooler.dense.bias")
        }
        // Bad config JSON.
        try Data("{\"hidden_size\": 16,".utf8).write(to: tmp.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try ModelDirectory.load(tmp, as: Double.self)) { error in
            guard case let .badConfig(file, _)? = error as? CheckpointError else { return XCTFail("\(error)") }
            XCTAssertTrue(file.hasSuffix("config.json"))
        }
        // Config that contradicts itself.
        try Data("{\"vocab_size\": 50, \"hidden_size\": 15, \"num_hidden_layers\": 2, \"num_attention_heads\": 2, \"intermediate_size\": 24}".utf8)
            .write(to: tmp.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try ModelDirectory.load(tmp, as: Double.self))
    }

    func testPrefixlessNamesAndNoHead() throws {
        let dir = Self.fixtures.appendingPathComponent("tiny-bert")
        let model = try ModelDirectory.load(dir, as: Double.self)
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("bb-nohead-\(getpid())")
        defer { try? FileManager.default.removeItem(at: tmp) }
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: dir.appendingPathComponent("config.json"), to: tmp.appendingPathComponent("config.json"))
        var writer = SafetensorsWriter()
        for v in model.table.views where v.module != .classifier && v.module != .pooler {
            writer.add(String(v.name.dropFirst("bert.".count)), shape: v.shape,
                       values: UnsafeBufferPointer(start: model.parameters.pointer + v.offset, count: v.count))
        }
        writer.add("embeddings.position_ids", shape: [1, 16], integers: (0..<16).map { Int64($0) })
        try writer.write(to: tmp.appendingPathComponent("model.safetensors"))
        let encoder = try ModelDirectory.load(tmp, as: Double.self)
        XCTAssertNil(encoder.classes)
        XCTAssertFalse(encoder.hasPooler)
        let ref = try reference("tiny-bert", regression: false)
        let acts = try encoder.forward(ref.batch)
        XCTAssertLessThan(relativeError(acts.hiddenStates[2].pointer, try ref.file.values("hidden_states.2")), 1e-9)
        let withHead = try ModelDirectory.load(tmp, as: Double.self, newClassifierLabels: 4, seed: 3)
        XCTAssertEqual(withHead.classes, 4)
    }
}
