import XCTest
import BERT
import Foundation
import Numerics
@testable import Curvature

/// Cross-library check: the Hessian and the GGN of the committed tiny models' mean loss on their reference batch,
/// selection value@0,1, against curvlinops-for-pytorch in float64 (Tests/Fixtures/curvlinops/make_fixtures.py wrote
/// fixtures.json; no Python at test time). Dense matrices on both sides, so the comparison is of the operators, not of
/// solvers' tolerances.
final class CurvlinopsFixtureTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    struct Fixture: Decodable {
        struct Values: Decodable { let top: [Double]; let bottom: Double; let trace: Double }
        struct Model: Decodable {
            let fixture: String, select: String, tensors: [String], dimension: Int
            let hessian: Values, ggn: Values
        }
        let models: [Model]
    }

    func testHessianAndGaussNewtonMatchCurvlinops() throws {
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("curvlinops/fixtures.json"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: data)
        XCTAssertEqual(fixture.models.map(\.fixture), ["tiny-bert", "tiny-bert-regression"])
        for m in fixture.models {
            let dir = Self.fixtures.appendingPathComponent(m.fixture)
            let model = try ModelDirectory.load(dir, as: Double.self)
            let file = try SafetensorsFile(contentsOf: dir.appendingPathComponent("reference.safetensors"))
            let shape = try XCTUnwrap(file["input_ids"]).shape
            let batch = TokenBatch(batchSize: shape[0], sequenceLength: shape[1],
                                   inputIds: try file.integers("input_ids").map { Int32($0) },
                                   tokenTypeIds: try file.integers("token_type_ids").map { Int32($0) },
                                   attentionMask: try file.integers("attention_mask").map { Int32($0) })
            let targets: Targets = m.fixture.hasSuffix("regression") ? .values(try file.values("labels", as: Double.self))
                                                                     : .classes(try file.integers("labels").map { Int($0) })
            let objective = try LossObjective(model: model, batches: [(batch, targets)])
            let selection = try ParameterSelection(m.select, table: model.table, layers: model.config.numHiddenLayers)
            XCTAssertEqual(selection.names, m.tensors)
            XCTAssertEqual(selection.dimension, m.dimension)
            for (product, expected) in [(CurvatureProduct.hessian, m.hessian), (.ggn, m.ggn)] {
                let op = product == .ggn ? try ModelCurvature.gaussNewton(objective: objective, selection: selection.views)
                                         : ModelHessian(objective: objective, selection: selection.views)
                let dense = try DenseOperator.materialize(op)
                let n = dense.dimension
                let spectrum = try LAPACK.symmetricEigen(dense.matrix, n: n, vectors: false).values
                let top = Array(spectrum.reversed().prefix(expected.top.count))
                let trace = (0..<n).map { dense.matrix[$0 * n + $0] }.reduce(0, +)
                let scale = max(abs(spectrum.first!), abs(spectrum.last!))
                // 1e-8 relative; eigenvalues that are rounding noise (a rank-deficient GGN's zeros) against 1e-8 of 1e-6·‖C‖.
                func check(_ a: Double, _ b: Double, _ what: String) {
                    XCTAssertEqual(a, b, accuracy: 1e-8 * max(abs(b), 1e-6 * scale), "\(m.fixture) \(product.rawValue) \(what)")
                }
                for (i, (a, b)) in zip(top, expected.top).enumerated() { check(a, b, "λ\(i + 1)") }
                check(spectrum.first!, expected.bottom, "λ_min")
                check(trace, expected.trace, "trace")
            }
        }
    }
}
