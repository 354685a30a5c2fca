import BERT
import Foundation
import Numerics

/// Adam as in the original BERT code ("BertAdam"): β (0.9, 0.999), ε 1e-6, no bias correction by default,
/// decoupled weight decay (p ← p − lr·(update + λ·p)) except on biases and LayerNorm gains, and each tensor's
/// gradient clipped to norm `maxGradNorm` separately (torch's clip_grad_norm_ formula, with its +1e-6).
public final class BertAdam<T: BLASReal> {
    public struct Group {
        public var views: [ParameterView]
        public var weightDecay: Double
        /// Multiplies the scheduled learning rate (e.g. a separate rate for clip values).
        public var learningRateScale: Double

        public init(views: [ParameterView], weightDecay: Double, learningRateScale: Double = 1) {
            self.views = views
            self.weightDecay = weightDecay
            self.learningRateScale = learningRateScale
        }
    }

    public let groups: [Group]
    public let beta1: Double, beta2: Double, epsilon: Double
    public let maxGradNorm: Double?
    public let biasCorrection: Bool
    /// First and second moments, laid out like the parameter buffer. The update divides by √v + ε (v = the second
    /// moment, bias-corrected when `biasCorrection`), which LAQ reads as its diagonal curvature.
    public let firstMoment: Buffer<T>, secondMoment: Buffer<T>
    public private(set) var stepCount = 0

    public init(parameterCount: Int, groups: [Group], beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-6,
                maxGradNorm: Double? = 1.0, biasCorrection: Bool = false) {
        self.groups = groups
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.maxGradNorm = maxGradNorm
        self.biasCorrection = biasCorrection
        firstMoment = Buffer(count: parameterCount)
        secondMoment = Buffer(count: parameterCount)
    }

    /// The usual two groups of a BERT model: decay on matrices and embeddings, none on biases and LayerNorm gains.
    public convenience init(model: BertModel<T>, weightDecay: Double = 0.01, maxGradNorm: Double? = 1.0, biasCorrection: Bool = false) {
        let decay = model.table.views.filter { $0.role == .matrix || $0.role == .embedding }
        let noDecay = model.table.views.filter { $0.role == .bias || $0.role == .norm }
        self.init(parameterCount: model.table.totalCount,
                  groups: [Group(views: decay, weightDecay: weightDecay), Group(views: noDecay, weightDecay: 0)],
                  maxGradNorm: maxGradNorm, biasCorrection: biasCorrection)
    }

    /// Applies one update with learning rate `lr` to `parameters` using `gradients` (same layout).
    public func step(parameters: Buffer<T>, gradients: Buffer<T>, lr: Double) {
        stepCount += 1
        let c1 = biasCorrection ? 1 - pow(beta1, Double(stepCount)) : 1
        let c2 = biasCorrection ? 1 - pow(beta2, Double(stepCount)) : 1
        for group in groups {
            for view in group.views {
                let g = gradients.pointer + view.offset
                var scale = 1.0
                if let maxNorm = maxGradNorm {
                    let norm = Double(T.nrm2(n: view.count, x: g, incx: 1))
                    let coefficient = maxNorm / (norm + 1e-6)
                    if coefficient < 1 { scale = coefficient }
                }
                T.kernelAdamStep(parameters.pointer + view.offset, g, firstMoment.pointer + view.offset,
                                 secondMoment.pointer + view.offset, view.count, lr: lr * group.learningRateScale,
                                 beta1: beta1, beta2: beta2, eps: epsilon, weightDecay: group.weightDecay,
                                 correction1: c1, correction2: c2, gradScale: scale)
            }
        }
    }

    /// Restores the step count when resuming (moments are loaded into the buffers by the caller).
    public func restore(stepCount: Int) { self.stepCount = stepCount }
}
