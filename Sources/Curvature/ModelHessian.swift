import BERT
import Foundation
import Numerics

/// The exact Hessian of a model's objective restricted to a selection (see `ModelCurvature`): the curvature operator
/// with `product: .hessian`, its default.
public typealias ModelHessian<T: BLASReal> = ModelCurvature<T>

/// The same Hessian by central differences of the objective's gradient: Hv ≈ (∇L(w + εv) − ∇L(w − εv)) / 2ε with
/// ε = ∛u · (1 + ‖w_S‖)/‖v‖ (u the unit roundoff of T). A cross-check only: its error is O(ε²) + O(u/ε), and with
/// quantized activations the gradient jumps at every rounding flip, where this operator is meaningless.
public final class FiniteDifferenceHessian<T: BLASReal>: LinearOperator {
    public let objective: LossObjective<T>
    public let selection: [ParameterView]
    public let dimension: Int
    private let shifted: Buffer<T>

    public init(objective: LossObjective<T>, selection: [ParameterView]) {
        self.objective = objective
        self.selection = selection
        dimension = selection.reduce(0) { $0 + $1.count }
        shifted = Buffer(count: objective.model.table.totalCount)
    }

    public func apply(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) throws {
        let model = objective.model
        let norm = Double.nrm2(n: dimension, x: x, incx: 1)
        guard norm > 0 else { y.update(repeating: 0, count: dimension); return }
        var wNorm = 0.0
        for v in selection { for i in v.range { wNorm += Double(model.weights[i]) * Double(model.weights[i]) } }
        let eps = cbrt(Double(T.ulpOfOne)) * (1 + wNorm.squareRoot()) / norm
        func gradient(_ sign: Double) throws -> [Double] {
            shifted.copy(from: model.weights)
            var k = 0
            for v in selection {
                for i in 0..<v.count { shifted[v.offset + i] = T(Double(shifted[v.offset + i]) + sign * eps * x[k + i]) }
                k += v.count
            }
            return try model.withWeights(shifted) {
                objective.invalidatePrefix()
                defer { objective.invalidatePrefix() }
                try objective.lossAndGradient(only: selection)
                return selection.flatMap { v in (0..<v.count).map { Double(model.gradients[v.offset + $0]) } }
            }
        }
        let gp = try gradient(1), gm = try gradient(-1)
        for i in 0..<dimension { y[i] = (gp[i] - gm[i]) / (2 * eps) }
    }
}
