import BERT
import Foundation
import Numerics

/// How much of the loss increase caused by quantizing a model the second-order model explains (the approximation
/// the paper's Fig. 3 rests on): with ε = ŵ − w on the selection (ŵ the quantized weights, w the latent ones; a split
/// model's w = w₁ + w₂), g and H the gradient and Hessian at w, activations quantized as the model does,
/// predicted = gᵀε + ½εᵀHε against measured = L(ŵ) − L(w).
public struct QuadraticCheck: Codable, Sendable {
    public var lossLatent: Double
    public var lossQuantized: Double
    public var measured: Double
    public var gradientTerm: Double
    public var curvatureTerm: Double
    public var predicted: Double
    /// predicted / measured (nil when measured is 0).
    public var ratio: Double?
    public var epsilonNorm: Double
    public var hvps: Int

    enum CodingKeys: String, CodingKey {
        case lossLatent = "loss_latent", lossQuantized = "loss_quantized", measured, gradientTerm = "gradient_term"
        case curvatureTerm = "curvature_term", predicted, ratio, epsilonNorm = "epsilon_norm", hvps
    }

    /// `latent`: the full-layout latent weights (effective ones for a split model); the objective's model currently
    /// reads ŵ. The model's weights are restored afterwards.
    public static func run<T: BLASReal>(objective: LossObjective<T>, selection: [ParameterView], latent: Buffer<T>) throws -> QuadraticCheck {
        let model = objective.model
        let quantized = model.weights
        objective.invalidatePrefix()
        let lossQuantized = try objective.loss()
        let epsilon = Buffer<T>(count: model.table.totalCount)
        var epsNorm2 = 0.0
        for v in selection {
            for i in v.range {
                epsilon[i] = T(Double(quantized[i]) - Double(latent[i]))
                epsNorm2 += Double(epsilon[i]) * Double(epsilon[i])
            }
        }
        let (lossLatent, gTerm, hTerm) = try model.withWeights(latent) { () -> (Double, Double, Double) in
            objective.invalidatePrefix()
            defer { objective.invalidatePrefix() }
            let loss = try objective.lossAndGradient(only: selection)
            var g = 0.0
            for v in selection { for i in v.range { g += Double(model.gradients[i]) * Double(epsilon[i]) } }
            let hv = Buffer<T>(count: model.table.totalCount)
            try objective.hessianVectorProduct(direction: epsilon, selected: selection, into: hv)
            var h = 0.0
            for v in selection { for i in v.range { h += Double(hv[i]) * Double(epsilon[i]) } }
            return (loss, g, 0.5 * h)
        }
        let measured = lossQuantized - lossLatent
        let predicted = gTerm + hTerm
        return QuadraticCheck(lossLatent: lossLatent, lossQuantized: lossQuantized, measured: measured, gradientTerm: gTerm,
                              curvatureTerm: hTerm, predicted: predicted, ratio: measured != 0 ? predicted / measured : nil,
                              epsilonNorm: epsNorm2.squareRoot(), hvps: 1)
    }
}
