import XCTest
import BERT
import Numerics
@testable import Training

final class ImportanceEstimatorTests: XCTestCase {
    /// The estimate is Σ |mask gradients| over the first N seeded training batches, in eval mode (the model has
    /// dropout 0.1, which must be off), and leaves the gradients zeroed.
    func testEstimateSumsMagnitudesOverTheFirstBatches() throws {
        let config = BertConfig(vocabSize: 50, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 24,
                                hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1, maxPositionEmbeddings: 16, numLabels: 2)
        let model = try BertModel<Double>(config: config)
        model.randomizeAllParameters(seed: 4)
        let data = SyntheticTask.data(count: 40, seed: 1)
        let estimate = try ImportanceEstimator.estimate(model, on: data, batches: 3, batchSize: 8, seed: 5)
        XCTAssertEqual(estimate.batches, 3)
        XCTAssertTrue(model.gradients.array.allSatisfy { $0 == 0 })
        XCTAssertEqual(try ImportanceEstimator.estimate(model, on: data, batches: 3, batchSize: 8, seed: 5), estimate)

        var expected = HeadNeuronImportance(config: config)
        var rng = SeededRNG(seed: 0)
        for indices in data.shuffledBatches(batchSize: 8, seed: 5, epoch: 0).prefix(3) {
            let (tokens, targets) = data.batch(indices)
            try model.lossAndGradient(tokens, targets: targets, training: false, rng: &rng)
            expected.accumulate(model.maskGradients())
        }
        XCTAssertEqual(estimate, expected)
        XCTAssertTrue(estimate.heads.joined().allSatisfy { $0 > 0 })
    }
}
