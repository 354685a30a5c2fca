import XCTest
import Numerics
import BERT
import Foundation
@testable import Quantization

/// Adaptive splitting's selection: the DP equals brute force, fits in exact bytes, and bounds its discretisation loss.
final class KnapsackTests: XCTestCase {
    func randomItems(_ n: Int, rng: inout SeededRNG) -> [Knapsack.Item] {
        (0..<n).map { i in
            Knapsack.Item(name: "m\(i)", cost: 1_000 + Int(rng.next() % 200_000), gain: rng.uniform() * 2 - 0.3)
        }
    }

    func testDynamicProgrammingEqualsBruteForceAtByteResolution() throws {
        var rng = SeededRNG(seed: 7)
        for trial in 0..<40 {
            let items = randomItems(3 + trial % 10, rng: &rng)
            let total = items.reduce(0) { $0 + $1.cost }
            let budget = Int(rng.next() % UInt64(total + 1))
            // Costs in units of 100 B, exact at resolution 100 after rounding the items to whole hundreds.
            let whole = items.map { Knapsack.Item(name: $0.name, cost: ($0.cost / 100) * 100, gain: $0.gain) }
            let dp = try Knapsack.maximize(whole, budget: budget, resolution: 100)
            let brute = Knapsack.bruteForce(whole, budget: budget)
            XCTAssertEqual(dp.gain, brute.gain, accuracy: 1e-9, "trial \(trial)")
            XCTAssertLessThanOrEqual(dp.cost, budget)
            XCTAssertEqual(dp.worstCaseLoss, 0, accuracy: 1e-9)
        }
    }

    func testCoarseResolutionStaysFeasibleAndBoundsItsLoss() throws {
        var rng = SeededRNG(seed: 11)
        for trial in 0..<40 {
            let items = randomItems(4 + trial % 9, rng: &rng)
            let total = items.reduce(0) { $0 + $1.cost }
            let budget = Int(rng.next() % UInt64(total + 1))
            let dp = try Knapsack.maximize(items, budget: budget, resolution: 4_096)
            let brute = Knapsack.bruteForce(items, budget: budget)
            XCTAssertLessThanOrEqual(dp.cost, budget, "the rounded-up costs keep every choice within the exact budget")
            XCTAssertLessThanOrEqual(dp.gain, brute.gain + 1e-9)
            XCTAssertGreaterThanOrEqual(dp.upperBound + 1e-9, brute.gain, "the rounded-down relaxation bounds the optimum")
            XCTAssertLessThanOrEqual(brute.gain - dp.gain, dp.worstCaseLoss + 1e-9)
        }
    }

    func testControlsFillTheBudgetInTheirOrder() {
        let items = [Knapsack.Item(name: "a", cost: 5, gain: 3), .init(name: "b", cost: 4, gain: 1), .init(name: "c", cost: 3, gain: 2)]
        XCTAssertEqual(Knapsack.fill(items, budget: 8, order: Knapsack.leastGainOrder(items)), [1, 2])
        XCTAssertEqual(Knapsack.randomOrder(count: 10, seed: 3), Knapsack.randomOrder(count: 10, seed: 3))
        XCTAssertNotEqual(Knapsack.randomOrder(count: 10, seed: 3), Knapsack.randomOrder(count: 10, seed: 4))
    }

    func testBadInputIsRefused() {
        let items = [Knapsack.Item(name: "a", cost: 5, gain: .nan)]
        XCTAssertThrowsError(try Knapsack.maximize(items, budget: 10, resolution: 1))
        XCTAssertThrowsError(try Knapsack.maximize([], budget: 10, resolution: 0))
        XCTAssertThrowsError(try Knapsack.maximize([], budget: 1 << 40, resolution: 1))
    }
}

/// The candidates' byte counts are the packed export's.
final class SplitCandidateTests: XCTestCase {
    func testCandidateBytesAddUpToThePackedExports() throws {
        let config = BertConfig(vocabSize: 40, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 24,
                                maxPositionEmbeddings: 16, numLabels: 2)
        let base = try BertModel<Double>(config: config)
        base.initializeWeights(seed: 5)
        let names = QuantizationSpec.defaultQuantizedTensors(base.table)
        let ternary = try QuantizedBertModel(model: base, spec: QuantizationSpec(method: "twn", weightBits: 2, quantizedTensors: names))
        let binary = try QuantizedBertModel(model: base, spec: QuantizationSpec(method: "bwn", weightBits: 1, quantizedTensors: names))
        let (split, _) = try ternary.splitIntoBinary()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bb-candidates-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let b = try PackedModel.export(binary, to: dir.appendingPathComponent("b"))
        let s = try PackedModel.export(split, to: dir.appendingPathComponent("s"))
        let candidates = SplitCandidate.of(binary)
        XCTAssertEqual(candidates.count, 2 * 6 + 2, "Q, K, V, O, FFN in and out per layer, the word embedding, the pooler")
        XCTAssertEqual(candidates.first { $0.name.hasSuffix("word_embeddings.weight") }?.rows, 40)
        // Random latents have no exact zeros, so the split adds exactly the candidates' second halves.
        XCTAssertEqual(s.totalBytes - b.totalBytes, candidates.reduce(0) { $0 + $1.splitBytes })
    }
}
