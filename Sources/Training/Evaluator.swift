import BERT
import Foundation
import Numerics
import Text

/// Predictions and task metrics of a model on an encoded dataset (eval mode, no dropout).
public enum Evaluator {
    public struct Result: Sendable {
        public var metrics: [String: Double]
        public var loss: Double
        public var classPredictions: [Int]?
        public var regressionPredictions: [Double]?
    }

    public static func evaluate<T: BLASReal>(_ model: BertModel<T>, on data: EncodedDataset, batchSize: Int = 64) throws -> Result {
        guard let k = model.classes else { throw ModelError.noClassifier }
        var classes = [Int](repeating: 0, count: data.count)
        var values = [Double](repeating: 0, count: data.count)
        // Longest batch first, so the model's activation workspace is allocated once (ascending lengths would
        // outgrow it batch after batch); the loss is still summed shortest first, as it always was.
        let batches = data.lengthSortedBatches(batchSize: batchSize)
        var batchLoss = [Double](repeating: 0, count: batches.count)
        for (position, indices) in batches.enumerated().reversed() {
            let (tokens, targets) = data.batch(indices)
            let acts = try model.forward(tokens)
            let (loss, _) = try model.taskLoss(acts, targets: targets, wantGradient: false)
            batchLoss[position] = loss * Double(indices.count)
            let logits = acts.logits!
            for (row, i) in indices.enumerated() {
                if data.task.isRegression {
                    values[i] = Double(logits[row * k])
                } else {
                    var best = 0
                    for j in 1..<k where logits[row * k + j] > logits[row * k + best] { best = j }
                    classes[i] = best
                }
            }
        }
        var lossSum = 0.0
        for loss in batchLoss { lossSum += loss }
        let labels = data.items.map(\.label)
        let metrics = data.task.isRegression
            ? Metrics.evaluate(task: data.task, classPredictions: nil, regressionPredictions: values, labels: labels)
            : Metrics.evaluate(task: data.task, classPredictions: classes, regressionPredictions: nil, labels: labels)
        return Result(metrics: metrics, loss: lossSum / Double(max(1, data.count)),
                      classPredictions: data.task.isRegression ? nil : classes,
                      regressionPredictions: data.task.isRegression ? values : nil)
    }
}
