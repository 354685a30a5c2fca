import BERT
import Foundation
import Numerics

/// A curvature matrix of a model's objective (mean loss over its batches) restricted to a selection of tensors, as a
/// linear operator on the concatenated selected entries (in the selection's order): the exact Hessian or the
/// generalized Gauss–Newton matrix Jᵀ H_out J (`CurvatureProduct`), both by one R-operator pass per batch. These are
/// the two primitives; every other curvature object (scaled, restricted, summed) is a composition of them over
/// `LinearOperator`. Vectors are Double; the model computes in its own type T. For a quantized model both are taken
/// with respect to ŵ (the weights the forward reads; a split model's effective ŵ₁ + ŵ₂) through the STE surrogate.
public final class ModelCurvature<T: BLASReal>: LinearOperator {
    public let objective: LossObjective<T>
    public let selection: [ParameterView]
    public let product: CurvatureProduct
    public let dimension: Int
    public private(set) var matvecs = 0
    private let direction: Buffer<T>, result: Buffer<T>

    /// The Hessian (the default) or the GGN of `objective` on `selection`. The GGN is refused for a model without a
    /// classifier head (no logits to take the loss's Hessian in); its losses, softmax cross-entropy and squared
    /// error, are the task losses every batch's targets select.
    public init(objective: LossObjective<T>, selection: [ParameterView], product: CurvatureProduct = .hessian) {
        self.objective = objective
        self.selection = selection
        self.product = product
        dimension = selection.reduce(0) { $0 + $1.count }
        direction = Buffer(count: objective.model.table.totalCount)
        result = Buffer(count: objective.model.table.totalCount)
    }

    /// The generalized Gauss–Newton operator, after checking that the objective has what it needs: logits (a
    /// classifier head) and a loss convex in them (cross-entropy on class targets, squared error on a one-output head).
    public static func gaussNewton(objective: LossObjective<T>, selection: [ParameterView]) throws -> ModelCurvature<T> {
        try requireGaussNewtonSupport(objective)
        return ModelCurvature(objective: objective, selection: selection, product: .ggn)
    }

    /// Refuses a GGN the objective cannot have, in one sentence.
    public static func requireGaussNewtonSupport(_ objective: LossObjective<T>) throws {
        guard let k = objective.model.classes else {
            throw CurvatureError.unsupported("the generalized Gauss–Newton matrix needs a classifier head (logits to take the loss's Hessian in); this model has none")
        }
        for (i, b) in objective.batches.enumerated() {
            if case .values = b.targets, k != 1 {
                throw CurvatureError.unsupported("the generalized Gauss–Newton matrix supports squared error on a one-output head only; batch \(i) has regression targets for a \(k)-way head")
            }
        }
    }

    public func apply(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) throws {
        var k = 0
        for v in selection {
            T.kernelFromDouble(x + k, direction.pointer + v.offset, v.count)
            k += v.count
        }
        try objective.curvatureVectorProduct(product, direction: direction, selected: selection, into: result)
        matvecs += 1
        k = 0
        for v in selection {
            T.kernelToDouble(result.pointer + v.offset, y + k, v.count)
            k += v.count
        }
    }

    /// The selected entries of a full-layout buffer, concatenated (e.g. the current weights).
    public func gather(_ buffer: Buffer<T>) -> [Double] {
        selection.flatMap { v in (0..<v.count).map { Double(buffer[v.offset + $0]) } }
    }
}
