import XCTest
@testable import BERT
import Numerics

/// A packed batch (sequences back to back, no padding rows) gives the padded batch's outputs, gradient and
/// Hessian-vector product: the padding only ever fed masked keys and rows nothing reads.
final class PackedBatchTests: XCTestCase {
    let sequences = [[2, 11, 7, 3, 9, 4], [2, 5, 48, 3], [2, 30, 3, 21, 3]]
    let types = [[0, 0, 0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0, 1, 1]]
    let labels = Targets.classes([0, 2, 1])

    var padded: TokenBatch { TokenBatch(sequences: sequences, typeIds: types) }
    var packed: TokenBatch { TokenBatch(packing: sequences, typeIds: types) }

    func testLayoutOffsets() {
        let l = packed.layout
        XCTAssertEqual(l.lengths, [6, 4, 5])
        XCTAssertEqual(l.offsets, [0, 6, 10])
        XCTAssertEqual(l.tokenCount, 15)
        XCTAssertEqual(l.scoreCount(heads: 2), 2 * (36 + 16 + 25))
        XCTAssertEqual(l.scoreOffset(2, head: 1, heads: 2), 2 * (36 + 16) + 25)
        XCTAssertTrue(l.isPacked)
        let p = padded.layout
        XCTAssertEqual(p.offsets, [0, 6, 12])
        XCTAssertEqual(p.scoreOffset(2, head: 1, heads: 2), (2 * 2 + 1) * 36)
        XCTAssertFalse(p.isPacked)
        XCTAssertEqual(packed.sequenceLength, 6)
        XCTAssertEqual(packed.inputIds.count, 15)
    }

    /// Every real token's hidden state in every layer, the pooled output and the logits agree.
    func testForwardEqualsThePaddedForward() throws {
        for activation in ["gelu", "relu"] {
            let model = try makeTinyModel(Double.self, activation: activation)
            let a = try model.forward(padded)
            let hiddenPadded = a.hiddenStates.map(\.array), logitsPadded = a.logits!.array
            let b = try model.forward(packed)
            let h = model.config.hiddenSize
            for (l, states) in hiddenPadded.enumerated() {
                for (s, len) in packed.layout.lengths.enumerated() {
                    for t in 0..<len {
                        for c in 0..<h {
                            XCTAssertEqual(b.hiddenStates[l][(packed.layout.offsets[s] + t) * h + c], states[(s * 6 + t) * h + c],
                                           accuracy: 1e-12, "\(activation): hidden_states.\(l) sequence \(s) token \(t)")
                        }
                    }
                }
            }
            for (x, y) in zip(b.logits!.array, logitsPadded) { XCTAssertEqual(x, y, accuracy: 1e-12) }
        }
    }

    func testGradientEqualsThePaddedGradient() throws {
        let model = try makeTinyModel(Double.self)
        var rng = SeededRNG(seed: 0)
        _ = try model.lossAndGradient(padded, targets: labels, rng: &rng)
        let g0 = model.gradients.array
        _ = try model.lossAndGradient(packed, targets: labels, rng: &rng)
        let g1 = model.gradients.array
        var d2 = 0.0, r2 = 0.0
        for (x, y) in zip(g1, g0) { d2 += (x - y) * (x - y); r2 += y * y }
        XCTAssertLessThanOrEqual((d2 / r2).squareRoot(), 1e-12)
    }

    /// The packed gradient is also right on its own (central differences of the packed loss).
    func testGradientMatchesFiniteDifferences() throws {
        let model = try makeTinyModel(Double.self)
        var rng = SeededRNG(seed: 0)
        _ = try model.lossAndGradient(packed, targets: labels, rng: &rng)
        try assertGradientsMatchFiniteDifferences(model) { m in
            try m.taskLoss(m.forward(self.packed), targets: self.labels, wantGradient: false).0
        }
    }

    func testHessianVectorProductEqualsThePaddedOne() throws {
        let model = try makeTinyModel(Double.self)
        let n = model.table.totalCount
        let v = Buffer<Double>(count: n)
        var rng = SeededRNG(seed: 11)
        rng.fillNormal(v.pointer, count: n)
        let h0 = Buffer<Double>(count: n), h1 = Buffer<Double>(count: n)
        try model.hessianVectorProduct(padded, targets: labels, direction: v, selected: model.table.views, into: h0)
        try model.hessianVectorProduct(packed, targets: labels, direction: v, selected: model.table.views, into: h1)
        var d2 = 0.0, r2 = 0.0
        for i in 0..<n { d2 += (h1[i] - h0[i]) * (h1[i] - h0[i]); r2 += h0[i] * h0[i] }
        XCTAssertLessThanOrEqual((d2 / r2).squareRoot(), 1e-12)
    }

    /// One workspace serves batches of every shape up to its capacity: a forward, gradient and HVP after a larger
    /// batch equal those of a model that never saw it.
    func testWorkspaceResizedForSmallerBatchesGivesFreshResults() throws {
        let used = try makeTinyModel(Double.self), fresh = try makeTinyModel(Double.self)
        let small = TokenBatch(packing: [[2, 9, 3], [2, 14, 15, 3]])
        let smallLabels = Targets.classes([1, 0])
        var rng = SeededRNG(seed: 0)
        let n = used.table.totalCount
        let v = Buffer<Double>(count: n)
        rng.fillNormal(v.pointer, count: n)
        let h0 = Buffer<Double>(count: n), h1 = Buffer<Double>(count: n)
        _ = try used.forward(packed)
        try used.hessianVectorProduct(padded, targets: labels, direction: v, selected: used.table.views, into: h0)
        _ = try used.lossAndGradient(packed, targets: labels, rng: &rng)
        h0.zero()  // hessianVectorProduct accumulates
        var grads: [[Double]] = []
        for model in [used, fresh] {
            _ = try model.lossAndGradient(small, targets: smallLabels, rng: &rng)
            grads.append(model.gradients.array)
            try model.hessianVectorProduct(small, targets: smallLabels, direction: v, selected: model.table.views, into: model === used ? h0 : h1)
        }
        func worst(_ a: [Double], _ b: [Double]) -> (Double, String) {
            var w = 0.0, at = ""
            for view in used.table.views {
                for i in view.range where abs(a[i] - b[i]) > w { w = abs(a[i] - b[i]); at = view.name }
            }
            return (w, at)
        }
        XCTAssertEqual(worst(grads[0], grads[1]).0, 0, "gradient differs most in \(worst(grads[0], grads[1]).1)")
        XCTAssertEqual(worst(h0.array, h1.array).0, 0, "HVP differs most in \(worst(h0.array, h1.array).1)")
        XCTAssertEqual(try used.forward(small).logits!.array, try fresh.forward(small).logits!.array)
        XCTAssertEqual(try used.forward(small).hiddenStates[2].count, small.tokenCount * used.config.hiddenSize)
    }
}
