import Foundation
import Numerics

/// Supervised losses on the classifier's output, each returning the mean loss over the batch and writing
/// ∂loss/∂logits into `gradient` (B, K) when given.
public enum TaskLoss {
    /// Mean cross-entropy of softmax(logits (B, K)) against class indices.
    public static func crossEntropy<T: BLASReal>(logits: UnsafePointer<T>, labels: [Int], classes k: Int,
                                                 gradient: UnsafeMutablePointer<T>?) -> Double {
        let b = labels.count
        var total = 0.0
        for i in 0..<b {
            let row = logits + i * k
            var m = Double(row[0])
            for j in 1..<k { m = max(m, Double(row[j])) }
            var s = 0.0
            for j in 0..<k { s += Foundation.exp(Double(row[j]) - m) }
            let logZ = m + Foundation.log(s)
            total += logZ - Double(row[labels[i]])
            if let gradient {
                for j in 0..<k {
                    let p = Foundation.exp(Double(row[j]) - logZ)
                    gradient[i * k + j] = T((p - (j == labels[i] ? 1 : 0)) / Double(b))
                }
            }
        }
        return total / Double(b)
    }

    /// Mean squared error of predictions (B, 1) against targets.
    public static func meanSquaredError<T: BLASReal>(predictions: UnsafePointer<T>, targets: [Double],
                                                     gradient: UnsafeMutablePointer<T>?) -> Double {
        let b = targets.count
        var total = 0.0
        for i in 0..<b {
            let d = Double(predictions[i]) - targets[i]
            total += d * d
            gradient?[i] = T(2 * d / Double(b))
        }
        return total / Double(b)
    }
}

/// Supervision for one batch: class indices or regression targets.
public enum Targets: Sendable, Equatable {
    case classes([Int])
    case values([Double])

    public var count: Int {
        switch self {
        case let .classes(c): return c.count
        case let .values(v): return v.count
        }
    }
}

extension BertModel {
    /// Forward, task loss and backward in one call: zeroes `gradients`, then fills them. Returns the mean loss.
    @discardableResult
    public func lossAndGradient(_ batch: TokenBatch, targets: Targets, training: Bool = false,
                                rng: inout SeededRNG) throws -> Double {
        let acts = try forward(batch, training: training, rng: &rng)
        zeroGradients()
        let (loss, dLogits) = try taskLoss(acts, targets: targets, wantGradient: true)
        backward(acts, seeds: OutputGradients(logits: dLogits))
        return loss
    }

    /// The task loss of a forward pass's logits, and optionally its gradient.
    public func taskLoss(_ acts: Activations<T>, targets: Targets, wantGradient: Bool) throws -> (Double, Buffer<T>?) {
        guard let logits = acts.logits, let k = classes else { throw ModelError.noClassifier }
        let b = acts.batchSize
        if targets.count != b { throw ModelError.labelCount(expected: b, found: targets.count) }
        let grad: Buffer<T>? = wantGradient ? Buffer(count: b * k) : nil
        switch targets {
        case let .classes(labels):
            for (i, y) in labels.enumerated() where y < 0 || y >= k { throw ModelError.labelOutOfRange(index: i, label: y, classes: k) }
            return (TaskLoss.crossEntropy(logits: logits.pointer, labels: labels, classes: k, gradient: grad?.pointer), grad)
        case let .values(v):
            guard k == 1 else { throw ModelError.labelCount(expected: k, found: 1) }
            return (TaskLoss.meanSquaredError(predictions: logits.pointer, targets: v, gradient: grad?.pointer), grad)
        }
    }
}
