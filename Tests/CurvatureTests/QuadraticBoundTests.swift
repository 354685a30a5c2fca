import XCTest
import BERT
import Probe
import Numerics
import Quantization
@testable import Curvature

/// The quadratic check's bound ½εᵀHε ≤ ½λ_max‖ε‖²: λ_max is the largest eigenvalue of the dense Hessian at the latent
/// weights w (LAPACK on the materialized operator), the Rayleigh quotient of the actual error lies below it, and the
/// model reads ŵ again afterwards.
final class QuadraticBoundTests: XCTestCase {
    func testBoundUsesTheLargestEigenvalueOfTheHessianAtTheLatentWeights() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bb-bound-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let fp = try tinyModel(seed: 4)
        let spec = QuantizationSpec(method: "twn", weightBits: 2, quantizedTensors: QuantizationSpec.defaultQuantizedTensors(fp.table))
        try QuantizedModelDirectory.save(try QuantizedBertModel(model: try tinyModel(seed: 4), spec: spec), to: dir)
        let probe = try ProbeModel<Double>(directory: dir)
        let objective = try LossObjective(model: probe.model, batches: tinyBatches())
        let selection = try ParameterSelection("value@0+ffn-output@1", table: probe.model.table, layers: 2).views
        let latent = try XCTUnwrap(probe.latentWeights())
        let before = probe.model.weights.array

        var options = Lanczos.Options()
        options.maxMatvecs = 400
        options.tolerance = 1e-10
        options.seed = 3
        let check = try QuadraticCheck.run(objective: objective, selection: selection, latent: latent, bound: options)
        XCTAssertEqual(probe.model.weights.array, before, "the model reads ŵ again")

        let dense = try probe.model.withWeights(latent) { () -> [Double] in
            objective.invalidatePrefix()
            defer { objective.invalidatePrefix() }
            return try DenseOperator.materialize(ModelHessian(objective: objective, selection: selection)).matrix
        }
        let n = selection.reduce(0) { $0 + $1.count }
        let oracle = try XCTUnwrap(try LAPACK.symmetricEigen(dense, n: n, vectors: false).values.max())
        let lambda = try XCTUnwrap(check.lambdaMax)
        XCTAssertEqual(lambda, oracle, accuracy: 1e-8 * abs(oracle))
        XCTAssertEqual(check.lambdaMaxConverged, true)
        let eps2 = check.epsilonNorm * check.epsilonNorm
        XCTAssertEqual(try XCTUnwrap(check.curvatureBound), 0.5 * lambda * eps2, accuracy: 1e-12 * abs(lambda * eps2))
        let rayleigh = try XCTUnwrap(check.rayleighQuotient)
        XCTAssertEqual(rayleigh, 2 * check.curvatureTerm / eps2, accuracy: 1e-12 * abs(rayleigh))
        XCTAssertLessThanOrEqual(rayleigh, lambda * (1 + 1e-9))
        XCTAssertLessThanOrEqual(check.curvatureTerm, try XCTUnwrap(check.curvatureBound) * (1 + 1e-9))
        XCTAssertGreaterThan(check.hvps, 1)

        // Without a bound the check is what it was: no λ_max fields.
        let plain = try QuadraticCheck.run(objective: objective, selection: selection, latent: latent)
        XCTAssertNil(plain.lambdaMax)
        XCTAssertNil(plain.curvatureBound)
        XCTAssertEqual(plain.curvatureTerm, check.curvatureTerm, accuracy: 1e-14 * abs(check.curvatureTerm))
        XCTAssertEqual(plain.hvps, 1)
    }
}
