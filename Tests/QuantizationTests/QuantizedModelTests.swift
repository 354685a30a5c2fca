import XCTest
import BERT
import Numerics
@testable import Quantization

final class QuantizedModelTests: XCTestCase {
    func tinyModel<T: BLASReal>(_ type: T.Type, seed: UInt64 = 7) throws -> BertModel<T> {
        let config = BertConfig(vocabSize: 50, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 24,
                                hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, maxPositionEmbeddings: 16, numLabels: 3)
        let model = try BertModel<T>(config: config)
        model.randomizeAllParameters(seed: seed)
        return model
    }

    let batch = TokenBatch(sequences: [[2, 11, 7, 3, 9, 4], [2, 5, 48, 3], [2, 30, 3, 21, 3]],
                           typeIds: [[0, 0, 0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0, 1, 1]])

    func ternary<T: BLASReal>(_ type: T.Type) throws -> QuantizedBertModel<T> {
        let m = try tinyModel(T.self)
        return try QuantizedBertModel(model: m, spec: QuantizationSpec(method: "twn", weightBits: 2,
                                                                      quantizedTensors: QuantizationSpec.defaultQuantizedTensors(m.table)))
    }

    func maxRelative<T: BLASReal>(_ a: Buffer<T>, _ b: Buffer<T>) -> Double {
        var num = 0.0, den = 0.0
        for i in 0..<a.count { num = max(num, abs(Double(a[i]) - Double(b[i]))); den = max(den, abs(Double(b[i]))) }
        return num / den
    }

    /// The split binary model's hidden states and logits equal the ternary model's (Double, before any training).
    func testSplitBinaryModelEqualsTernaryModel() throws {
        let t = try ternary(Double.self)
        let (b, coefficients) = try t.splitIntoBinary()
        XCTAssertTrue(coefficients.values.allSatisfy { $0.allSatisfy(\.exact) })
        let ta = try t.model.forward(batch)
        let tHidden = ta.hiddenStates.map { Buffer($0.array) }, tLogits = Buffer(ta.logits!.array)
        let ba = try b.model.forward(batch)
        for l in 0..<tHidden.count { XCTAssertLessThan(maxRelative(ba.hiddenStates[l], tHidden[l]), 1e-12, "hidden_states.\(l)") }
        XCTAssertLessThan(maxRelative(ba.logits!, tLogits), 1e-12)
        // The halves sum to the ternary latent weights.
        for v in b.quantizedViews + b.splitBiasViews {
            for i in v.range { XCTAssertEqual(b.model.parameters[i] + b.secondHalf![i], t.model.parameters[i], accuracy: 1e-12) }
        }
    }

    /// STE: the latent gradient of the quantized model is the gradient of a full-precision model evaluated at ŵ.
    func testStraightThroughGradient() throws {
        let q = try ternary(Double.self)
        var rng = SeededRNG(seed: 0)
        let lq = try q.model.lossAndGradient(batch, targets: .classes([0, 2, 1]), rng: &rng)
        let fp = try tinyModel(Double.self)
        fp.parameters.copy(from: q.quantized)
        let lf = try fp.lossAndGradient(batch, targets: .classes([0, 2, 1]), rng: &rng)
        XCTAssertEqual(lq, lf, accuracy: 1e-14)
        XCTAssertEqual(q.model.gradients.array, fp.gradients.array)
    }

    /// Finite differences of the loss along the quantized weights ŵ match the STE gradient (the smooth part:
    /// ŵ itself is perturbed, not the latent w, whose loss is piecewise constant).
    func testGradientAlongQuantizedWeights() throws {
        let q = try ternary(Double.self)
        var rng = SeededRNG(seed: 0)
        try q.model.lossAndGradient(batch, targets: .classes([0, 2, 1]), rng: &rng)
        let g = q.model.gradients.array
        var dir = [Double](repeating: 0, count: g.count)
        rng.fillNormal(&dir, count: dir.count)
        let h = 1e-5
        func loss(_ s: Double) throws -> Double {
            let saved = q.quantized.array
            for i in 0..<dir.count { q.quantized[i] += s * dir[i] }
            defer { for i in 0..<dir.count { q.quantized[i] = saved[i] } }
            return try q.model.taskLoss(q.model.forward(batch), targets: .classes([0, 2, 1]), wantGradient: false).0
        }
        let fd = (try loss(h) - loss(-h)) / (2 * h)
        let analytic = zip(g, dir).map(*).reduce(0, +)
        XCTAssertEqual(fd, analytic, accuracy: 1e-7 * max(1, abs(analytic)))
    }

    func testSaveLoadSplitModelReproducesLogits() throws {
        let (b, _) = try ternary(Double.self).splitIntoBinary()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bb-split-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        try QuantizedModelDirectory.save(b, to: dir)
        let again = try XCTUnwrap(QuantizedModelDirectory.load(dir, as: Double.self))
        XCTAssertEqual(again.spec, b.spec)
        let l1 = try b.model.forward(batch).logits!.array
        let l2 = try again.model.forward(batch).logits!.array
        XCTAssertEqual(l1, l2)
        XCTAssertNil(try QuantizedModelDirectory.load(FileManager.default.temporaryDirectory.appendingPathComponent("nope"), as: Double.self))
    }

    func testSplittingANonTernaryModelIsRefused() throws {
        let m = try tinyModel(Double.self)
        let q = try QuantizedBertModel(model: m, spec: QuantizationSpec(method: "bwn", weightBits: 1,
                                                                       quantizedTensors: QuantizationSpec.defaultQuantizedTensors(m.table)))
        XCTAssertThrowsError(try q.splitIntoBinary())
    }
}
