import BERT
import Foundation
import Probe
import Numerics

/// The diagonal D of a scale-invariant view D·C·D of a curvature matrix C.
/// - `none`: C itself.
/// - `weights`: D = diag(|w|), elementwise (the adaptive convention of Kwon et al. 2021, ASAM; Andriushchenko et al.
///   2023): a unit step in u = D⁻¹w moves every weight by its own magnitude, so D·C·D is unchanged when a layer's
///   weights are multiplied by c and the next layer's divided by c (Dinh et al. 2017's reparametrization). w are the
///   latent weights where the model has them (a quantized model's full-precision w, w₁ + w₂ for a split one: ŵ of a
///   ternary model is zero at a third of its entries), else the weights the forward reads.
/// - `steps`: D = the quantizer's step α per tensor (per row of an embedding table): the curvature per quantization
///   step. The quantization error ε = W − Ŵ is of the order of α, so λ_max(D·C·D) bounds εᵀCε/‖ε/α‖² — the paper's
///   ½εᵀHε ≤ ½λ_max‖ε‖² in units of the step. Quantized models only.
public enum CurvatureScale: String, Codable, Sendable, CaseIterable { case none, weights, steps }

/// One curvature object of a model: a primitive (Hessian or GGN) in a scale (raw, weights, steps). What `hessian`'s
/// --curvature and --scale select; the default is the raw Hessian.
public struct CurvatureView: Codable, Sendable, Equatable {
    public var product: CurvatureProduct
    public var scale: CurvatureScale
    public init(product: CurvatureProduct = .hessian, scale: CurvatureScale = .none) {
        self.product = product
        self.scale = scale
    }

    public var isDefault: Bool { product == .hessian && scale == .none }

    /// "hessian", "ggn", "hessian-weights", "ggn-steps": a name for files.
    public var slug: String { scale == .none ? product.rawValue : "\(product.rawValue)-\(scale.rawValue)" }

    /// The matrix in words, e.g. "D·G·D with D = diag(|w|) (G the generalized Gauss–Newton matrix)".
    public var formula: String {
        let c = product == .hessian ? "H" : "G"
        let what = "\(c) the \(product.name) of the mean task loss w.r.t. the weights the forward reads (ŵ for quantized models; STE surrogate)"
        switch scale {
        case .none: return what
        case .weights: return "D·\(c)·D with D = diag(|w|) (latent weights where the model has them), \(what)"
        case .steps: return "D·\(c)·D with D = each quantized tensor's quantization step α (per row of an embedding), \(what)"
        }
    }

    /// The operator of this view on `selection` of `probe`'s objective, applying blocks of as many vectors as
    /// `blockMemoryBytes` holds (0: one at a time). Refuses a GGN the objective cannot have, steps on a model without
    /// quantized weights, and a zero entry of D, each in one sentence naming the tensor.
    public func makeOperator<T: BLASReal>(_ probe: ProbeModel<T>, objective: LossObjective<T>, selection: [ParameterView],
                                          blockMemoryBytes: Int = 0) throws -> LinearOperator {
        let base = product == .ggn
            ? try ModelCurvature.gaussNewton(objective: objective, selection: selection)
            : ModelCurvature(objective: objective, selection: selection)
        if blockMemoryBytes > 0 { base.chooseBlockColumns(memoryBytes: blockMemoryBytes) }
        guard let d = try diagonal(probe, selection: selection) else { return base }
        return try DiagonallyScaledOperator(base, diagonal: d)
    }

    /// D over the concatenated selection (nil for `none`), every entry checked to be finite and non-zero.
    public func diagonal<T: BLASReal>(_ probe: ProbeModel<T>, selection: [ParameterView]) throws -> [Double]? {
        var d: [Double] = []
        d.reserveCapacity(selection.reduce(0) { $0 + $1.count })
        switch scale {
        case .none:
            return nil
        case .weights:
            let w = probe.latentWeights() ?? probe.model.weights
            for v in selection {
                let base = w.pointer + v.offset
                for i in 0..<v.count {
                    let x = abs(Double(base[i]))
                    guard x > 0, x.isFinite else {
                        throw CurvatureError.badScale("--scale weights: |w| is \(x) at entry \(i) of \(v.name), and a zero or non-finite scale in D makes D·C·D meaningless there; select other tensors or use --scale none")
                    }
                    d.append(x)
                }
            }
        case .steps:
            guard probe.kind != "fp" else {
                throw CurvatureError.unsupported("--scale steps needs a quantized model, and \(probe.label) is full precision (it has no quantization step)")
            }
            let steps = try probe.quantizationSteps(selection)
            for (v, step) in zip(selection, steps) {
                guard let step else {
                    throw CurvatureError.unsupported("--scale steps: \(v.name) of \(probe.label) is not quantized, so it has no quantization step; select quantized tensors only")
                }
                let cols = v.count / step.count
                for (r, s) in step.enumerated() {
                    guard s > 0, s.isFinite else {
                        throw CurvatureError.badScale("--scale steps: the quantization step of \(v.name)\(step.count > 1 ? " row \(r)" : "") of \(probe.label) is \(s), and a zero or non-finite scale in D makes D·C·D meaningless there")
                    }
                    d.append(contentsOf: repeatElement(s, count: cols))
                }
            }
        }
        return d
    }
}
