import BERT
import Foundation
import Numerics

/// How much of the loss increase caused by quantizing a model the second-order model explains (the approximation
/// the paper's Fig. 3 rests on): with ε = ŵ − w on the selection (ŵ the quantized weights, w the latent ones; a split
/// model's w = w₁ + w₂), g and H the gradient and Hessian at w, activations quantized as the model does,
/// predicted = gᵀε + ½εᵀHε against measured = L(ŵ) − L(w).
///
/// With `bound`, also the paper's bound on the curvature term: ½εᵀHε ≤ ½λ_max(H)‖ε‖², λ_max by Lanczos on the same
/// Hessian (at w, on the selection). A Ritz value never exceeds λ_max, so the bound reported is a lower estimate of
/// the true bound, with its residual; the Rayleigh quotient εᵀHε/‖ε‖² says how much of λ_max the actual error sees.
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
    /// Present with a bound: the Hessian's largest eigenvalue at w on the selection (a Ritz value), its residual
    /// ‖Hy − λy‖, whether Lanczos converged to its tolerance, the bound ½λ_max‖ε‖², and εᵀHε/‖ε‖².
    public var lambdaMax: Double?
    public var lambdaMaxResidual: Double?
    public var lambdaMaxConverged: Bool?
    public var curvatureBound: Double?
    public var rayleighQuotient: Double?

    enum CodingKeys: String, CodingKey {
        case lossLatent = "loss_latent", lossQuantized = "loss_quantized", measured, gradientTerm = "gradient_term"
        case curvatureTerm = "curvature_term", predicted, ratio, epsilonNorm = "epsilon_norm", hvps
        case lambdaMax = "lambda_max", lambdaMaxResidual = "lambda_max_residual", lambdaMaxConverged = "lambda_max_converged"
        case curvatureBound = "curvature_bound", rayleighQuotient = "rayleigh_quotient"
    }

    /// `latent`: the full-layout latent weights (effective ones for a split model); the objective's model currently
    /// reads ŵ. The model's weights are restored afterwards. `bound`: the Lanczos options of λ_max (nil: no bound).
    public static func run<T: BLASReal>(objective: LossObjective<T>, selection: [ParameterView], latent: Buffer<T>,
                                        bound: Lanczos.Options? = nil) throws -> QuadraticCheck {
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
        let (lossLatent, gTerm, hTerm, top) = try model.withWeights(latent) { () -> (Double, Double, Double, EigenResult?) in
            objective.invalidatePrefix()
            defer { objective.invalidatePrefix() }
            let loss = try objective.lossAndGradient(only: selection)
            var g = 0.0
            for v in selection { for i in v.range { g += Double(model.gradients[i]) * Double(epsilon[i]) } }
            let hv = Buffer<T>(count: model.table.totalCount)
            try objective.hessianVectorProduct(direction: epsilon, selected: selection, into: hv)
            var h = 0.0
            for v in selection { for i in v.range { h += Double(hv[i]) * Double(epsilon[i]) } }
            var top: EigenResult?
            if var options = bound {
                options.count = 1
                options.which = .largestAlgebraic
                top = try Lanczos.eigenpairs(ModelHessian(objective: objective, selection: selection), options: options)
            }
            return (loss, g, 0.5 * h, top)
        }
        let measured = lossQuantized - lossLatent
        let predicted = gTerm + hTerm
        var check = QuadraticCheck(lossLatent: lossLatent, lossQuantized: lossQuantized, measured: measured, gradientTerm: gTerm,
                                   curvatureTerm: hTerm, predicted: predicted, ratio: measured != 0 ? predicted / measured : nil,
                                   epsilonNorm: epsNorm2.squareRoot(), hvps: 1)
        if let top, let lambda = top.values.first {
            check.hvps += top.matvecs
            check.lambdaMax = lambda
            check.lambdaMaxResidual = top.residuals.first
            check.lambdaMaxConverged = top.converged.first
            check.curvatureBound = 0.5 * lambda * epsNorm2
            check.rayleighQuotient = epsNorm2 > 0 ? 2 * hTerm / epsNorm2 : nil
        }
        return check
    }
}
