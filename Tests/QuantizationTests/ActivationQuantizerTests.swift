import XCTest
import BERT
import Numerics
@testable import Quantization

final class ActivationQuantizerTests: XCTestCase {
    func testSymmetricClipValuesAndGradients() {
        let state = ActivationQuantizerState(method: .clip, bits: 8, asymmetric: false)
        let x: [Double] = [-3, -1, 0.5, 2, 2.5, 4]
        var y = [Double](repeating: 0, count: 6)
        quantizeActivations(state, x, &y, 6)
        // clamp to ±2.5, s = 127/2.5
        let s = 127 / 2.5
        XCTAssertEqual(y, [-2.5, (-1 * s).rounded() / s, (0.5 * s).rounded() / s, (2 * s).rounded() / s, 2.5, 2.5])
        let dy: [Double] = [1, 2, 3, 4, 5, 6]
        var dx = [Double](repeating: 0, count: 6)
        let g = activationBackward(state, x, dy, &dx, 6)
        XCTAssertEqual(dx, [0, 2, 3, 4, 0, 0])   // x = hi counts as clipped (≥)
        XCTAssertEqual(g, [1, 11])
    }

    func testAsymmetricClipError() {
        let state = ActivationQuantizerState(method: .clip, bits: 8, asymmetric: true)
        var rng = SeededRNG(seed: 1)
        let x = (0..<500).map { _ in rng.uniform() * 2 }
        var y = x
        quantizeActivations(state, x, &y, x.count)
        let step = (x.max()! - x.min()!) / 255
        for i in x.indices { XCTAssertLessThanOrEqual(abs(y[i] - x[i]), step / 2 + 1e-12) }
    }

    func testLSQInitialisationValuesAndStepGradient() {
        let set = try! ActivationQuantizerSet(bits: 4, layers: 1)
        let x: [Double] = [-1, 0.3, 0.5, 2]
        var y = x
        set.quantize(.queryInput(0), x, &y, count: 4, training: true)
        let s = 2 * (3.8 / 4) / 7.0.squareRoot()   // 2·mean|x|/√Qp, Qp = 7
        XCTAssertEqual(set.states[.queryInput(0)]!.parameters[0], s, accuracy: 1e-15)
        for i in 0..<4 { XCTAssertEqual(y[i], (min(max(x[i] / s, -8), 7)).rounded() * s, accuracy: 1e-12) }
        var dx = [Double](repeating: 0, count: 4)
        set.backward(.queryInput(0), x, [1, 1, 1, 1], &dx, count: 4)
        var expected = 0.0
        for v in x.map({ $0 / s }) {
            expected += v < -8 ? -8 : v > 7 ? 7 : v.rounded() - v
        }
        XCTAssertEqual(set.gradients[.queryInput(0)]![0], expected / (4 * 7.0).squareRoot(), accuracy: 1e-12)
        // x/s = (−1.39, 0.42, 0.70, 2.78) all lie inside [−8, 7]: the gradient passes everywhere.
        XCTAssertEqual(dx, [1, 1, 1, 1])
    }

    func testClipStepMovesClipValues() {
        let set = try! ActivationQuantizerSet(bits: 8, layers: 1)
        var dx = [Double](repeating: 0, count: 2)
        set.backward(.keyInput(0), [-5, 5], [1, -1], &dx, count: 2)
        set.step(lr: 0.1)
        let p = set.states[.keyInput(0)]!.parameters
        XCTAssertLessThan(p[0], -2.5)   // positive gradient on lo moves it down
        XCTAssertGreaterThan(p[1], 2.5)
        XCTAssertTrue(set.gradients.isEmpty)
    }
}

final class QuantizedActivationModelTests: XCTestCase {
    let batch = TokenBatch(sequences: [[2, 11, 7, 3, 9, 4], [2, 5, 48, 3]], typeIds: [[0, 0, 0, 0, 1, 1], [0, 0, 0, 0]])

    func model(actBits: Int) throws -> QuantizedBertModel<Double> {
        let config = BertConfig(vocabSize: 50, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 24,
                                hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, maxPositionEmbeddings: 16, numLabels: 3)
        let m = try BertModel<Double>(config: config)
        m.randomizeAllParameters(seed: 3)
        return try QuantizedBertModel(model: m, spec: QuantizationSpec(method: "twn", weightBits: 2, activationBits: actBits,
                                                                      quantizedTensors: QuantizationSpec.defaultQuantizedTensors(m.table)))
    }

    /// With clip values wide enough that nothing is clipped, the rounding error vanishes as the bit count grows:
    /// a wiring mistake would not. (The default ±2.5 clips this random model's query/key values: the quantizer's
    /// job, not an error.)
    func testActivationRoundingConvergesToFullPrecision() throws {
        let a32 = try model(actBits: 32)
        let reference = try a32.model.forward(batch).logits!.array
        let scale = reference.map(abs).max()!
        var errors: [Int: Double] = [:]
        for bits in [8, 12, 16] {
            var states: [String: ActivationQuantizerState] = [:]
            for site in ActivationSite.all(layers: 2) {
                var st = ActivationQuantizerState(method: .clip, bits: bits, asymmetric: site.isAsymmetric)
                st.parameters = [-100, 100]
                states[site.description] = st
            }
            var spec = a32.spec
            spec.activationBits = 8
            spec.activationQuantizers = states
            let q = try QuantizedBertModel(model: try model(actBits: 32).model, spec: spec)
            let logits = try q.model.forward(batch).logits!.array
            errors[bits] = zip(logits, reference).map { abs($0 - $1) }.max()! / scale
        }
        XCTAssertLessThan(errors[8]!, 0.1)
        XCTAssertLessThan(errors[12]!, errors[8]! / 8)
        XCTAssertLessThan(errors[16]!, 1e-3)
    }

    /// TWS with 8-bit activations: the split binary model still equals the ternary one (halves kept in Double).
    func testSplitEquivalenceWithQuantizedActivations() throws {
        for bits in [8, 4] {
            let t = try model(actBits: bits)
            let tl = try t.model.forward(batch).logits!.array
            let (b, _) = try t.splitIntoBinary()
            let bl = try b.model.forward(batch).logits!.array
            let scale = tl.map(abs).max()!
            for i in tl.indices { XCTAssertEqual(bl[i], tl[i], accuracy: 1e-6 * scale, "A\(bits)") }
        }
    }

    func testSaveLoadAndPackedExportKeepActivationQuantizers() throws {
        let q = try model(actBits: 4)
        let expected = try q.model.forward(batch).logits!.array   // initialises the LSQ steps
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bb-aq-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        try QuantizedModelDirectory.save(q, to: dir)
        let again = try XCTUnwrap(QuantizedModelDirectory.load(dir, as: Double.self))
        XCTAssertEqual(try again.model.forward(batch).logits!.array, expected)
        let packedDir = dir.appendingPathComponent("packed")
        try PackedModel.export(q, to: packedDir)
        XCTAssertEqual(try PackedModel.load(packedDir, as: Double.self).forward(batch).logits!.array, expected)
    }

    /// A quantized model directory whose quantization.json lacks the activation quantizers, or one site of them, is
    /// refused by name instead of running with default clips or steps (another model, silently).
    func testMissingActivationQuantizerStatesAreRefused() throws {
        let q = try model(actBits: 8)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bb-aq-missing-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        try QuantizedModelDirectory.save(q, to: dir)
        let url = dir.appendingPathComponent(QuantizationSpec.fileName)
        let original = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var object = original
        object.removeValue(forKey: "activation_quantizers")
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        XCTAssertThrowsError(try QuantizedModelDirectory.load(dir, as: Double.self)) {
            XCTAssertTrue("\($0)".contains("no activation_quantizers"), "\($0)")
        }
        object = original
        var sites = try XCTUnwrap(object["activation_quantizers"] as? [String: Any])
        let dropped = sites.keys.sorted()[0]
        sites.removeValue(forKey: dropped)
        object["activation_quantizers"] = sites
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        XCTAssertThrowsError(try QuantizedModelDirectory.load(dir, as: Double.self)) {
            XCTAssertTrue("\($0)".contains("has no entry for \(dropped)"), "\($0)")
        }
    }
}
