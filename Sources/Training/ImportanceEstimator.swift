import BERT
import Foundation
import Numerics

/// Head and neuron importance of a model on a task (see `HeadNeuronImportance`): the task loss (cross-entropy, or
/// MSE for regression) against the dataset's labels, with dropout off, over the first `batches` batches of a
/// seeded shuffle of `data`, accumulating |∂L/∂m| per batch as DynaBERT's `compute_neuron_head_importance` does.
public enum ImportanceEstimator {
    public static func estimate<T: BLASReal>(_ model: BertModel<T>, on data: EncodedDataset, batches: Int, batchSize: Int,
                                             seed: UInt64) throws -> HeadNeuronImportance {
        guard data.count > 0 else { throw TrainingError.emptyDataset("the importance data") }
        var importance = HeadNeuronImportance(config: model.config)
        var rng = SeededRNG(seed: seed)
        for indices in data.shuffledBatches(batchSize: batchSize, seed: seed, epoch: 0).prefix(max(1, batches)) {
            let (tokens, targets) = data.batch(indices)
            try model.lossAndGradient(tokens, targets: targets, training: false, rng: &rng)
            importance.accumulate(model.maskGradients())
        }
        model.zeroGradients()
        return importance
    }
}
