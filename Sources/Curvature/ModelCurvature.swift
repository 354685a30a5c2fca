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
        scatter(x, into: direction)
        try objective.curvatureVectorProduct(product, direction: direction, selected: selection, into: result)
        matvecs += 1
        gather(result, into: y)
    }

    /// Columns of a block apply done in one pass (`curvatureBlockProduct`); 1 (the default) applies one vector at a
    /// time, as `apply`. Set it with `chooseBlockColumns(memoryBytes:)`.
    public var blockColumns = 1 {
        didSet { precondition(blockColumns >= 1, "ModelCurvature: blockColumns must be at least 1") }
    }
    private var blockDirections: [Buffer<T>] = [], blockResults: [Buffer<T>] = []

    /// Bytes one column of a block pass costs: the model's per-column tangents and buffers on the objective's largest
    /// batch, and the column's input and output vectors in Double.
    public var columnBytes: Int { objective.curvatureColumnBytes + 2 * dimension * MemoryLayout<Double>.stride }

    /// The most columns whose per-column cost fits `memoryBytes` (at least 1, at most `limit`), made the block size.
    @discardableResult
    public func chooseBlockColumns(memoryBytes: Int, limit: Int = ModelCurvature.maxBlockColumns) -> Int {
        blockColumns = Swift.max(1, Swift.min(limit, memoryBytes / Swift.max(columnBytes, 1)))
        return blockColumns
    }

    /// Beyond this many columns a block pass gains nothing measurable (the shared forward is amortized).
    public static var maxBlockColumns: Int { 16 }

    /// k columns in passes of at most `blockColumns`; each column's result is that of `apply`.
    public func apply(block x: UnsafePointer<Double>, columns k: Int, into y: UnsafeMutablePointer<Double>) throws {
        let n = dimension
        var done = 0
        while done < k {
            let m = Swift.min(blockColumns, k - done)
            if m == 1 {
                try apply(x + done * n, into: y + done * n)
            } else {
                while blockDirections.count < m {
                    blockDirections.append(Buffer(count: objective.model.table.totalCount))
                    blockResults.append(Buffer(count: objective.model.table.totalCount))
                }
                for j in 0..<m { scatter(x + (done + j) * n, into: blockDirections[j]) }
                try objective.curvatureBlockProduct(product, directions: Array(blockDirections[0..<m]), selected: selection,
                                                    into: Array(blockResults[0..<m]))
                matvecs += m
                for j in 0..<m { gather(blockResults[j], into: y + (done + j) * n) }
            }
            done += m
        }
    }

    private func scatter(_ x: UnsafePointer<Double>, into buffer: Buffer<T>) {
        var k = 0
        for v in selection {
            T.kernelFromDouble(x + k, buffer.pointer + v.offset, v.count)
            k += v.count
        }
    }

    private func gather(_ buffer: Buffer<T>, into y: UnsafeMutablePointer<Double>) {
        var k = 0
        for v in selection {
            T.kernelToDouble(buffer.pointer + v.offset, y + k, v.count)
            k += v.count
        }
    }

    /// The selected entries of a full-layout buffer, concatenated (e.g. the current weights).
    public func gather(_ buffer: Buffer<T>) -> [Double] {
        selection.flatMap { v in (0..<v.count).map { Double(buffer[v.offset + $0]) } }
    }
}
