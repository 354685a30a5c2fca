import XCTest
@testable import BERT
import Numerics

/// Mask gradients against finite differences of explicit masks, exact reordering, and ranked slicing.
final class HeadNeuronImportanceTests: XCTestCase {
    let targets = Targets.classes([0, 2, 1])

    func loss(_ model: BertModel<Double>, _ targets: Targets) throws -> Double {
        try model.taskLoss(model.forward(tinyBatch()), targets: targets, wantGradient: false).0
    }

    /// Multiplies the parameters at `indices` by `factor`.
    func scale(_ model: BertModel<Double>, _ indices: [Int], by factor: Double) {
        for i in indices { model.parameters[i] *= factor }
    }

    /// ∂L/∂m of head h, with the mask realised on the values: scaling head h's rows of W_v and b_v by m scales its
    /// context ctx_h = P_h·v_h by m (independent of the W_ao identity used by `maskGradients`). ∂L/∂m of neuron n:
    /// scaling column n of W_out by m, i.e. W_out · (m ⊙ act).
    func checkMaskGradients(_ model: BertModel<Double>, targets: Targets) throws {
        var rng = SeededRNG(seed: 0)
        try model.lossAndGradient(tinyBatch(), targets: targets, rng: &rng)
        let g = model.maskGradients()
        let c = model.config, d = c.headDim, hidden = c.hiddenSize, inter = c.intermediateSize, eps = 1e-5
        func centralDifference(_ indices: [Int]) throws -> Double {
            scale(model, indices, by: 1 + eps)
            let lp = try loss(model, targets)
            scale(model, indices, by: 1 / (1 + eps))
            scale(model, indices, by: 1 - eps)
            let lm = try loss(model, targets)
            scale(model, indices, by: 1 / (1 - eps))
            return (lp - lm) / (2 * eps)
        }
        var largest = 0.0
        for l in 0..<c.numHiddenLayers {
            let vw = model.table.view("bert.encoder.layer.\(l).attention.self.value.weight").offset
            let vb = model.table.view("bert.encoder.layer.\(l).attention.self.value.bias").offset
            for h in 0..<c.numAttentionHeads {
                let rows = Array((h * d)..<((h + 1) * d))
                let indices = rows.flatMap { r in (0..<hidden).map { vw + r * hidden + $0 } } + rows.map { vb + $0 }
                let fd = try centralDifference(indices)
                XCTAssertEqual(g.heads[l][h], fd, accuracy: 1e-7 * max(1, abs(fd)), "layer \(l) head \(h)")
                largest = max(largest, abs(fd))
            }
            let wo = model.table.view("bert.encoder.layer.\(l).output.dense.weight").offset
            for n in 0..<inter {
                let fd = try centralDifference((0..<hidden).map { wo + $0 * inter + n })
                XCTAssertEqual(g.neurons[l][n], fd, accuracy: 1e-7 * max(1, abs(fd)), "layer \(l) neuron \(n)")
            }
        }
        XCTAssertGreaterThan(largest, 1e-4, "the check should not pass on vanishing gradients")
    }

    func testMaskGradientsMatchFiniteDifferencesCrossEntropy() throws {
        try checkMaskGradients(makeTinyModel(Double.self), targets: targets)
    }

    func testMaskGradientsMatchFiniteDifferencesRegression() throws {
        try checkMaskGradients(makeTinyModel(Double.self, numLabels: 1, seed: 11), targets: .values([0.5, -1, 2]))
    }

    func testAccumulateSumsMagnitudes() {
        var total = HeadNeuronImportance(heads: [[0, 0]], neurons: [[0]])
        total.accumulate(HeadNeuronImportance(heads: [[-1, 2]], neurons: [[-3]]))
        total.accumulate(HeadNeuronImportance(heads: [[0.5, -2]], neurons: [[1]]))
        XCTAssertEqual(total, HeadNeuronImportance(heads: [[1.5, 4]], neurons: [[4]], batches: 2))
        XCTAssertEqual(HeadNeuronImportance(heads: [[1, 3, 3, 0]], neurons: [[]]).headOrder, [[1, 2, 0, 3]])
    }

    /// Random head and neuron permutations of a tiny model.
    func permutations(_ c: BertConfig, seed: UInt64) -> (heads: [[Int]], neurons: [[Int]]) {
        var rng = SeededRNG(seed: seed)
        let heads = (0..<c.numHiddenLayers).map { l in l == 0 ? Array((0..<c.numAttentionHeads).reversed()) : Array(0..<c.numAttentionHeads) }
        let neurons = (0..<c.numHiddenLayers).map { _ in Array(0..<c.intermediateSize).shuffled(using: &rng) }
        return (heads, neurons)
    }

    func testReorderingPreservesOutputs() throws {
        let model = try makeTinyModel(Double.self)
        let (heads, neurons) = permutations(model.config, seed: 3)
        let permuted = try model.reordered(headOrder: heads, neuronOrder: neurons)
        XCTAssertNotEqual(permuted.parameters.array, model.parameters.array)
        let a = try model.forward(tinyBatch()), b = try permuted.forward(tinyBatch())
        func assertClose(_ x: [Double], _ y: [Double], _ what: String) {
            XCTAssertEqual(x.count, y.count, what)
            let worst = zip(x, y).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, 1e-12, what)
        }
        for l in a.hiddenStates.indices { assertClose(a.hiddenStates[l].array, b.hiddenStates[l].array, "hidden_states.\(l)") }
        assertClose(a.pooled!.array, b.pooled!.array, "pooled")
        assertClose(a.logits!.array, b.logits!.array, "logits")
        // Head j of the permuted model's scores is head heads[l][j] of the original's.
        let c = model.config, t = tinyBatch().sequenceLength, block = t * t
        for l in 0..<c.numHiddenLayers {
            let sa = a.attentionScores(l).array, sb = b.attentionScores(l).array
            for bi in 0..<tinyBatch().batchSize {
                for (j, old) in heads[l].enumerated() {
                    let x = Array(sa[((bi * c.numAttentionHeads + old) * block)..<((bi * c.numAttentionHeads + old + 1) * block)])
                    let y = Array(sb[((bi * c.numAttentionHeads + j) * block)..<((bi * c.numAttentionHeads + j + 1) * block)])
                    // Padding keys hold the same huge negative value in both; the rest agree to rounding.
                    XCTAssertTrue(zip(x, y).allSatisfy { $0 == $1 || abs($0 - $1) <= 1e-12 }, "layer \(l) head \(j)")
                }
            }
        }
    }

    func testInversePermutationRestoresParameters() throws {
        let model = try makeTinyModel(Double.self)
        let (heads, neurons) = permutations(model.config, seed: 5)
        func inverse(_ p: [Int]) -> [Int] {
            var q = p
            for (j, old) in p.enumerated() { q[old] = j }
            return q
        }
        let back = try model.reordered(headOrder: heads, neuronOrder: neurons)
            .reordered(headOrder: heads.map(inverse), neuronOrder: neurons.map(inverse))
        XCTAssertEqual(back.parameters.array, model.parameters.array)
    }

    func testImportanceFollowsThePermutation() throws {
        let model = try makeTinyModel(Double.self)
        let (heads, neurons) = permutations(model.config, seed: 9)
        let permuted = try model.reordered(headOrder: heads, neuronOrder: neurons)
        var rng = SeededRNG(seed: 0)
        try model.lossAndGradient(tinyBatch(), targets: targets, rng: &rng)
        try permuted.lossAndGradient(tinyBatch(), targets: targets, rng: &rng)
        let a = model.maskGradients(), b = permuted.maskGradients()
        for l in heads.indices {
            for (j, old) in heads[l].enumerated() { XCTAssertEqual(b.heads[l][j], a.heads[l][old], accuracy: 1e-12) }
            for (j, old) in neurons[l].enumerated() { XCTAssertEqual(b.neurons[l][j], a.neurons[l][old], accuracy: 1e-12) }
        }
    }

    func testBadPermutationsAreRejected() throws {
        let model = try makeTinyModel(Double.self)
        let neurons = [Array(0..<24), Array(0..<24)]
        XCTAssertThrowsError(try model.reordered(headOrder: [[0, 0], [0, 1]], neuronOrder: neurons)) { error in
            XCTAssertEqual(error as? ReorderingError, .notAPermutation(what: "head", layer: 0, size: 2))
        }
        XCTAssertThrowsError(try model.reordered(headOrder: [[0, 1]], neuronOrder: neurons)) { error in
            XCTAssertEqual(error as? ReorderingError, .layerCount(expected: 2, found: 1))
        }
    }

    /// A model whose head 0 of layer 0, head 1 of layer 1 and every odd FFN neuron contribute nothing (zero output
    /// columns): their importance is exactly 0, ranked half-width slicing drops exactly them, and the sliced model
    /// computes the full model's function.
    func testRankedSlicingKeepsTheImportantHeadsAndNeurons() throws {
        let model = try makeTinyModel(Double.self)
        let c = model.config, hidden = c.hiddenSize, a = c.allHeadSize, inter = c.intermediateSize, d = c.headDim
        let deadHead = [0, 1]
        for l in 0..<c.numHiddenLayers {
            let ao = model.table.view("bert.encoder.layer.\(l).attention.output.dense.weight").offset
            let fo = model.table.view("bert.encoder.layer.\(l).output.dense.weight").offset
            for r in 0..<hidden {
                for col in (deadHead[l] * d)..<((deadHead[l] + 1) * d) { model.parameters[ao + r * a + col] = 0 }
                for n in stride(from: 1, to: inter, by: 2) { model.parameters[fo + r * inter + n] = 0 }
            }
        }
        var importance = HeadNeuronImportance(config: c)
        var rng = SeededRNG(seed: 0)
        for labels in [[0, 2, 1], [1, 1, 0]] {
            try model.lossAndGradient(tinyBatch(), targets: .classes(labels), rng: &rng)
            importance.accumulate(model.maskGradients())
        }
        for l in 0..<c.numHiddenLayers {
            XCTAssertEqual(importance.heads[l][deadHead[l]], 0)
            XCTAssertGreaterThan(importance.heads[l][1 - deadHead[l]], 0)
            XCTAssertEqual(importance.headOrder[l], [1 - deadHead[l], deadHead[l]])
            for n in 0..<inter { XCTAssertEqual(importance.neurons[l][n] == 0, n % 2 == 1, "layer \(l) neuron \(n)") }
            XCTAssertEqual(Set(importance.neuronOrder[l].prefix(inter / 2)), Set(stride(from: 0, to: inter, by: 2)))
        }
        let ranked = try model.reorderedByImportance(importance).sliced(width: 0.5)
        XCTAssertEqual(ranked.config.numAttentionHeads, 1)
        XCTAssertEqual(ranked.config.intermediateSize, 12)
        let full = try model.forward(tinyBatch()).logits!.array
        let kept = try ranked.forward(tinyBatch()).logits!.array
        for i in full.indices { XCTAssertEqual(kept[i], full[i], accuracy: 1e-12) }
        // Keeping the first heads and neurons instead loses the live head 1 of layer 1 and half the live neurons.
        let first = try model.sliced(width: 0.5).forward(tinyBatch()).logits!.array
        XCTAssertGreaterThan(zip(first, full).map { abs($0 - $1) }.max()!, 1e-3)
    }
}
