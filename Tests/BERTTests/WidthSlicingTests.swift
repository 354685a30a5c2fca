import XCTest
@testable import BERT
import Numerics

final class WidthSlicingTests: XCTestCase {
    func testFullWidthIsIdentical() throws {
        let model = try makeTinyModel(Double.self)
        let copy = try model.sliced(width: 1)
        XCTAssertEqual(copy.parameters.array, model.parameters.array)
        XCTAssertEqual(try copy.forward(tinyBatch()).logits!.array, try model.forward(tinyBatch()).logits!.array)
    }

    /// Slicing equals zeroing the dropped heads' value rows and the dropped neurons' output columns.
    func testHalfWidthEqualsMaskedFullModel() throws {
        let model = try makeTinyModel(Double.self)
        let half = try model.sliced(width: 0.5)
        XCTAssertEqual(half.config.numAttentionHeads, 1)
        XCTAssertEqual(half.config.intermediateSize, 12)
        XCTAssertEqual(half.config.allHeadSize, 8)
        let masked = try makeTinyModel(Double.self)
        let h = model.config.hiddenSize, keptA = 8, keptI = 12
        for l in 0..<model.config.numHiddenLayers {
            let ao = masked.table.view("bert.encoder.layer.\(l).attention.output.dense.weight")
            for r in 0..<h { for col in keptA..<h { masked.parameters[ao.offset + r * h + col] = 0 } }
            let fo = masked.table.view("bert.encoder.layer.\(l).output.dense.weight")
            let inter = model.config.intermediateSize
            for r in 0..<h { for col in keptI..<inter { masked.parameters[fo.offset + r * inter + col] = 0 } }
        }
        let a = try half.forward(tinyBatch()).logits!.array
        let b = try masked.forward(tinyBatch()).logits!.array
        for i in a.indices { XCTAssertEqual(a[i], b[i], accuracy: 1e-12) }
    }

    func testSlicedGradientCheck() throws {
        let half = try makeTinyModel(Double.self).sliced(width: 0.5)
        var rng = SeededRNG(seed: 1)
        try half.lossAndGradient(tinyBatch(), targets: .classes([0, 2, 1]), rng: &rng)
        let g = half.gradients.array
        let eps = 1e-6
        for k in 0..<30 {
            let i = (k * 104_729) % half.parameters.count
            let saved = half.parameters[i]
            half.parameters[i] = saved + eps
            let lp = try half.taskLoss(half.forward(tinyBatch()), targets: .classes([0, 2, 1]), wantGradient: false).0
            half.parameters[i] = saved - eps
            let lm = try half.taskLoss(half.forward(tinyBatch()), targets: .classes([0, 2, 1]), wantGradient: false).0
            half.parameters[i] = saved
            XCTAssertEqual(g[i], (lp - lm) / (2 * eps), accuracy: 1e-7 * max(1, abs(g[i])), "parameter \(i)")
        }
    }

    func testSlicedConfigRoundTrips() throws {
        let half = try makeTinyModel(Double.self).sliced(width: 0.5)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bb-sliced-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        try ModelDirectory.save(half, to: dir)
        let again = try ModelDirectory.load(dir, as: Double.self)
        XCTAssertEqual(again.config.attentionHeadSize, 8)
        XCTAssertEqual(again.parameters.array, half.parameters.array)
    }
}
