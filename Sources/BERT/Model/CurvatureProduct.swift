/// Which curvature matrix a curvature-vector product multiplies by: the two primitives every curvature object of the
/// toolkit is composed from.
///
/// - `hessian`: ∇²L, the exact Hessian of the mean task loss (Pearlmutter's R-operator: a forward tangent, then the
///   tangent of the backward pass). Indefinite away from a minimum.
/// - `ggn`: the generalized Gauss–Newton matrix Jᵀ H_out J (Martens 2020), J the Jacobian of the logits with respect to
///   the weights and H_out the loss's Hessian with respect to the logits (softmax cross-entropy: diag(p) − ppᵀ per
///   example; squared error: 2·I), each divided by the batch size as the mean loss is. It drops the term Σ ∂L/∂z · ∇²z
///   of the Hessian; since both losses are convex in the logits it is positive semi-definite. Computed by the same
///   pass with the backward's adjoint seed set to zero, so that only the tangent's backward (Jᵀ of H_out·J v) is left.
public enum CurvatureProduct: String, Codable, Sendable, CaseIterable {
    case hessian, ggn

    /// What the product's matrix is, in words (for outputs and messages).
    public var name: String {
        switch self {
        case .hessian: return "Hessian"
        case .ggn: return "generalized Gauss–Newton matrix"
        }
    }
}
