import BERT
import Foundation
import Numerics

/// Width reduction of a full-precision model, optionally keeping the most important heads and neurons.
public enum ImportanceSlicing {
    /// How to rank before slicing: the importance data and batching.
    public struct Ranking {
        public var train: EncodedDataset
        public var batches: Int
        public var batchSize: Int
        public var maxLength: Int
        public var seed: UInt64

        public init(train: EncodedDataset, batches: Int, batchSize: Int, maxLength: Int, seed: UInt64) {
            self.train = train; self.batches = batches; self.batchSize = batchSize; self.maxLength = maxLength; self.seed = seed
        }
    }

    /// With `ranking`: importance on its batches (`ImportanceEstimator`), the model reordered most important first,
    /// then `sliced(width:)`; the report describes the ranking. Without: `sliced(width:)` keeps the first ones.
    public static func slice(_ model: BertModel<Float>, width: Double, ranking: Ranking?,
                      progress: ProgressReporter) throws -> (model: BertModel<Float>, report: ImportanceReport?) {
        guard let ranking else { return (try model.sliced(width: width), nil) }
        let start = Date()
        let importance = try ImportanceEstimator.estimate(model, on: ranking.train, batches: ranking.batches,
                                                          batchSize: ranking.batchSize, seed: ranking.seed)
        let report = ImportanceReport(importance: importance, task: ranking.train.task.name, batchSize: ranking.batchSize,
                                      maxLength: ranking.maxLength, width: width)
        let kept = model.config.sliced(width: width).numAttentionHeads
        let dropped = importance.headOrder.map { Array($0.dropFirst(kept)) }
        progress.note(String(format: "importance: %d batches in %.1fs; dropped heads by layer: %@", importance.batches,
                             Date().timeIntervalSince(start), dropped.map { $0.map(String.init).joined(separator: ",") }
                                .joined(separator: " | ")))
        return (try model.reorderedByImportance(importance).sliced(width: width), report)
    }
}
