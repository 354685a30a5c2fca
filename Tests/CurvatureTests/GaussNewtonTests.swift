import XCTest
import BERT
import Numerics
import Quantization
@testable import Curvature

/// The generalized Gauss–Newton operator Jᵀ H_out J against dense oracles in Double.
final class GaussNewtonTests: XCTestCase {
    /// A one-output head (squared error) on the tiny model's shape.
    func tinyRegressionModel() throws -> BertModel<Double> { try tinyModel(seed: 5, labels: 1) }

    func regressionBatches() -> [(tokens: TokenBatch, targets: Targets)] {
        tinyBatches().enumerated().map { k, b in (b.tokens, .values((0..<b.tokens.batchSize).map { 0.3 * Double($0 + k) - 0.4 })) }
    }

    /// The dense GGN (1/N) Σᵢ Jᵢᵀ H_out(zᵢ) Jᵢ over all N examples, the logits' Jacobian Jᵢ by central differences and
    /// H_out analytic: diag(p) − ppᵀ for softmax cross-entropy, 2·I for squared error.
    func denseGaussNewton(_ objective: LossObjective<Double>, _ selection: [ParameterView]) throws -> [Double] {
        let model = objective.model
        let k = try XCTUnwrap(model.classes)
        let offsets = selection.flatMap { v in v.range.map { $0 } }
        let n = offsets.count
        func logits(_ batch: TokenBatch, _ w: Buffer<Double>) throws -> [Double] {
            try model.withWeights(w) { try model.forward(batch).logits!.array }
        }
        var g = [Double](repeating: 0, count: n * n)
        let shifted = Buffer<Double>(count: model.table.totalCount)
        for b in objective.batches {
            let rows = b.tokens.batchSize
            let z0 = try logits(b.tokens, model.weights)
            // J (rows·k, n), column j by central differences.
            var jac = [Double](repeating: 0, count: rows * k * n)
            for (j, o) in offsets.enumerated() {
                let eps = 1e-5 * (1 + abs(model.weights[o]))
                shifted.copy(from: model.weights)
                shifted[o] += eps
                let up = try logits(b.tokens, shifted)
                shifted[o] -= 2 * eps
                let down = try logits(b.tokens, shifted)
                for r in 0..<(rows * k) { jac[r * n + j] = (up[r] - down[r]) / (2 * eps) }
            }
            for i in 0..<rows {
                var hOut = [Double](repeating: 0, count: k * k)
                switch b.targets {
                case .classes:
                    let row = Array(z0[(i * k)..<((i + 1) * k)]), m = row.max()!
                    let e = row.map { exp($0 - m) }, s = e.reduce(0, +), p = e.map { $0 / s }
                    for a in 0..<k { for c in 0..<k { hOut[a * k + c] = (a == c ? p[a] : 0) - p[a] * p[c] } }
                case .values:
                    for a in 0..<k { hOut[a * k + a] = 2 }
                }
                let w = 1 / Double(objective.exampleCount)
                for a in 0..<k {
                    for c in 0..<k where hOut[a * k + c] != 0 {
                        let f = w * hOut[a * k + c]
                        let ja = (i * k + a) * n, jc = (i * k + c) * n
                        for p in 0..<n { let x = f * jac[ja + p]; if x != 0 { for q in 0..<n { g[p * n + q] += x * jac[jc + q] } } }
                    }
                }
            }
        }
        return g
    }

    func maxAbs(_ a: [Double]) -> Double { a.map(abs).max() ?? 0 }
    func maxDiff(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { abs($0 - $1) }.max() ?? 0 }

    /// Cross-entropy (two batches of different sizes) and squared error: the operator equals the dense Jᵀ H_out J from
    /// finite differences, is symmetric and positive semi-definite, and differs from the Hessian on a nonlinear block.
    func testMatchesDenseJacobianProductAndIsPositiveSemidefinite() throws {
        for regression in [false, true] {
            let model = try regression ? tinyRegressionModel() : tinyModel()
            let objective = try LossObjective(model: model, batches: regression ? regressionBatches() : tinyBatches())
            let selection = try ParameterSelection("value@1+ffn-output@0", table: model.table, layers: 2).views
            let ggn = try ModelCurvature.gaussNewton(objective: objective, selection: selection)
            let g = try DenseOperator.materialize(ggn).matrix
            let n = ggn.dimension
            let oracle = try denseGaussNewton(objective, selection)
            XCTAssertLessThan(maxDiff(g, oracle), 1e-7 * maxAbs(oracle), "regression \(regression)")
            var asym = 0.0
            for i in 0..<n { for j in 0..<i { asym = max(asym, abs(g[i * n + j] - g[j * n + i])) } }
            XCTAssertLessThan(asym, 1e-12 * maxAbs(g))
            let spectrum = try LAPACK.symmetricEigen(g, n: n, vectors: false).values
            XCTAssertGreaterThanOrEqual(spectrum.min()!, -1e-10 * spectrum.max()!, "regression \(regression)")
            // The Hessian of this block has the term Σ ∂L/∂z·∇²z too: it is another (indefinite) matrix.
            let h = try DenseOperator.materialize(ModelHessian(objective: objective, selection: selection)).matrix
            XCTAssertGreaterThan(maxDiff(g, h), 1e-3 * maxAbs(h))
            XCTAssertLessThan(try LAPACK.symmetricEigen(h, n: n, vectors: false).values.min()!, -1e-6)
            XCTAssertNoThrow(try ggn.checkFixed(seed: 3))
        }
    }

    /// Where the logits are linear in the weights (the classifier's weight and bias), the Hessian is exactly Jᵀ H_out J:
    /// the GGN equals the Hessian there, for cross-entropy and for squared error.
    func testEqualsTheHessianWhereTheLogitsAreLinear() throws {
        for regression in [false, true] {
            let model = try regression ? tinyRegressionModel() : tinyModel()
            let objective = try LossObjective(model: model, batches: regression ? regressionBatches() : tinyBatches())
            let selection = try ParameterSelection("classifier", table: model.table, layers: 2, includeBiases: true).views
            let g = try DenseOperator.materialize(ModelCurvature.gaussNewton(objective: objective, selection: selection)).matrix
            let h = try DenseOperator.materialize(ModelHessian(objective: objective, selection: selection)).matrix
            XCTAssertLessThan(maxDiff(g, h), 1e-12 * maxAbs(h), "regression \(regression)")
        }
    }

    /// Every algorithm runs on it unchanged: Lanczos's extremes and Hutch++'s trace with a full sketch against the dense
    /// spectrum, SLQ's trace, power iteration's top eigenvalue.
    func testAlgorithmsRunOnTheGaussNewtonOperator() throws {
        let model = try tinyModel()
        let objective = try LossObjective(model: model, batches: tinyBatches())
        let selection = try ParameterSelection("value@1", table: model.table, layers: 2).views
        let ggn = try ModelCurvature.gaussNewton(objective: objective, selection: selection)
        let dense = try DenseOperator.materialize(ggn)
        let n = dense.dimension
        let spectrum = try LAPACK.symmetricEigen(dense.matrix, n: n, vectors: false).values
        let trace = (0..<n).map { dense.matrix[$0 * n + $0] }.reduce(0, +)
        var o = Lanczos.Options()
        o.count = 3; o.maxMatvecs = n; o.tolerance = 1e-9
        let top = try Lanczos.eigenpairs(ggn, options: o)
        for (a, b) in zip(top.values, spectrum.reversed().prefix(3)) { XCTAssertEqual(a, b, accuracy: 1e-8 * spectrum.last!) }
        let hutch = try TraceEstimator.estimate(ggn, method: .hutchpp, matvecs: 3 * (n + 1), seed: 1)
        XCTAssertEqual(hutch.estimate, trace, accuracy: 1e-8 * abs(trace))
        var p = PowerIteration.Options()
        p.count = 1; p.maxIterations = 400; p.tolerance = 1e-10
        XCTAssertEqual(try PowerIteration.eigenpairs(ggn, options: p).values[0], spectrum.last!, accuracy: 1e-4 * spectrum.last!)
        let slq = try SpectralDensity.estimate(ggn, runs: 2, steps: 20, seed: 1)
        XCTAssertTrue(slq.runs.flatMap(\.nodes).allSatisfy { $0 >= -1e-10 * spectrum.last! })
    }

    /// Float and Double agree to Float's precision; the objective weights batches by size as the Hessian's does.
    func testFloatAgreesWithDoubleAndBatchesAreWeightedByExamples() throws {
        let model = try tinyModel()
        let selection = try ParameterSelection("qk@0", table: model.table, layers: 2)
        let v = (0..<selection.dimension).map { sin(Double($0) * 0.7) }
        let double = try ModelCurvature.gaussNewton(objective: LossObjective(model: model, batches: tinyBatches()), selection: selection.views).apply(v)
        let single = try BertModel<Float>(config: model.config)
        for i in 0..<model.parameters.count { single.parameters[i] = Float(model.parameters[i]) }
        let float = try ModelCurvature.gaussNewton(objective: LossObjective(model: single, batches: tinyBatches()),
                                                   selection: try ParameterSelection("qk@0", table: single.table, layers: 2).views).apply(v)
        XCTAssertLessThan(maxDiff(float, double), 1e-4 * maxAbs(double))
        let ids = [[2, 11, 7, 3, 9, 4], [2, 5, 48, 3], [2, 30, 3, 21, 3], [2, 8, 9, 3], [2, 17, 3]]
        let types = [[0, 0, 0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0]]
        let one = try LossObjective(model: model, batches: [(TokenBatch(sequences: ids, typeIds: types), .classes([0, 2, 1, 1, 1]))])
        let c = try ModelCurvature.gaussNewton(objective: one, selection: selection.views).apply(v)
        XCTAssertLessThan(maxDiff(c, double), 1e-10 * maxAbs(double))
    }

    /// A quantized model (TWN weights, 8-bit activations): through the STE surrogate, with the Hessian's masks. On
    /// the classifier (logits linear in it) GGN = Hessian; on a block below it is symmetric positive semi-definite.
    func testQuantizedModelThroughTheStraightThroughEstimator() throws {
        let base = try tinyModel(seed: 9)
        let spec = QuantizationSpec(method: "twn", weightBits: 2, activationBits: 8, quantizedTensors: QuantizationSpec.defaultQuantizedTensors(base.table))
        let q = try QuantizedBertModel(model: base, spec: spec)
        var rng = SeededRNG(seed: 1)
        try q.model.forward(tinyBatches()[0].tokens, training: true, rng: &rng)
        q.model.activationQuantizer?.frozen = true
        let objective = try LossObjective(model: q.model, batches: tinyBatches())
        let cls = try ParameterSelection("classifier", table: q.model.table, layers: 2, includeBiases: true).views
        let g = try DenseOperator.materialize(ModelCurvature.gaussNewton(objective: objective, selection: cls)).matrix
        let h = try DenseOperator.materialize(ModelHessian(objective: objective, selection: cls)).matrix
        XCTAssertLessThan(maxDiff(g, h), 1e-12 * maxAbs(h))
        let value = try ParameterSelection("value@0", table: q.model.table, layers: 2).views
        let gv = try ModelCurvature.gaussNewton(objective: objective, selection: value)
        let dense = try DenseOperator.materialize(gv).matrix
        let n = gv.dimension
        var asym = 0.0
        for i in 0..<n { for j in 0..<i { asym = max(asym, abs(dense[i * n + j] - dense[j * n + i])) } }
        XCTAssertLessThan(asym, 1e-12 * maxAbs(dense))
        let spectrum = try LAPACK.symmetricEigen(dense, n: n, vectors: false).values
        XCTAssertGreaterThan(spectrum.max()!, 0)
        XCTAssertGreaterThanOrEqual(spectrum.min()!, -1e-10 * spectrum.max()!)
        XCTAssertNoThrow(try gv.checkFixed(seed: 2))
    }

    /// A GGN the objective cannot have is refused in one sentence: no classifier head, or regression targets on a
    /// multi-output head.
    func testUnsupportedHeadOrLossIsRefused() throws {
        let model = try tinyModel()
        let bad = try LossObjective(model: model, batches: [(tinyBatches()[1].tokens, .values([0.5, 1]))])
        let selection = try ParameterSelection("value@0", table: model.table, layers: 2).views
        XCTAssertThrowsError(try ModelCurvature.gaussNewton(objective: bad, selection: selection)) { e in
            XCTAssertEqual("\(e)", "the generalized Gauss–Newton matrix supports squared error on a one-output head only; batch 0 has regression targets for a 3-way head")
        }
    }
}
