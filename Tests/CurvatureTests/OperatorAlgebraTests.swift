import XCTest
import BERT
import Probe
import Numerics
import Quantization
@testable import Curvature

/// Compositions over `LinearOperator` (D·A·D, restriction, sums and multiples) and the scale-invariant views built
/// from them, against dense matrices.
final class OperatorAlgebraTests: XCTestCase {
    func randomSymmetric(_ n: Int, seed: UInt64) -> [Double] {
        var rng = SeededRNG(seed: seed)
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0...i { let x = rng.normal(); a[i * n + j] = x; a[j * n + i] = x } }
        return a
    }

    func assertClose(_ a: [Double], _ b: [Double], _ tol: Double = 1e-12, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        let scale = max(b.map(abs).max() ?? 0, 1e-300)
        XCTAssertLessThanOrEqual(zip(a, b).map { abs($0 - $1) }.max() ?? 0, tol * scale, file: file, line: line)
    }

    func testCompositionsMatchDenseSumsAndProducts() throws {
        let n = 7
        let a = randomSymmetric(n, seed: 1), b = randomSymmetric(n, seed: 2)
        let A = DenseOperator(a, dimension: n), B = DenseOperator(b, dimension: n)
        var d: [Double] = []
        for i in 0..<n { d.append(0.5 + Double(i) * (i % 2 == 0 ? 0.3 : -0.3)) }
        func dense(_ f: (Int, Int) -> Double) -> [Double] {
            var m = [Double](repeating: 0, count: n * n)
            for i in 0..<n { for j in 0..<n { m[i * n + j] = f(i, j) } }
            return m
        }
        // D·A·D
        let dad = try DenseOperator.materialize(A.scaled(byDiagonal: d)).matrix
        assertClose(dad, dense { i, j in d[i] * a[i * n + j] * d[j] })
        // 2A − 0.5B, A + B, 3A
        let combination = try LinearCombination([(coefficient: 2, operator: A), (coefficient: -0.5, operator: B)])
        assertClose(try DenseOperator.materialize(combination).matrix, dense { i, j in 2 * a[i * n + j] - 0.5 * b[i * n + j] })
        assertClose(try DenseOperator.materialize(A.adding(B)).matrix, dense { i, j in a[i * n + j] + b[i * n + j] })
        assertClose(try DenseOperator.materialize(A.multiplied(by: 3)).matrix, dense { i, j in 3 * a[i * n + j] })
        // Restriction to coordinates {5, 6, 1, 2} (in that order): the principal submatrix.
        let order = [5, 6, 1, 2]
        let r = try DenseOperator.materialize(A.restricted(to: [5..<7, 1..<3])).matrix
        var sub: [Double] = []
        for i in order { for j in order { sub.append(a[i * n + j]) } }
        assertClose(r, sub)
        // Nested: the restriction of D·(A + B)·D.
        let nested = try DenseOperator.materialize(A.adding(B).scaled(byDiagonal: d).restricted(to: [0..<3])).matrix
        var block: [Double] = []
        for i in 0..<3 { for j in 0..<3 { block.append(d[i] * (a[i * n + j] + b[i * n + j]) * d[j]) } }
        assertClose(nested, block)
        // The algorithms run on compositions: Lanczos on D·A·D gives its dense spectrum.
        var o = Lanczos.Options()
        o.count = 2; o.maxMatvecs = n; o.tolerance = 1e-10
        let values = try Lanczos.eigenpairs(A.scaled(byDiagonal: d), options: o).values
        let spectrum = try LAPACK.symmetricEigen(dad, n: n, vectors: false).values
        for (x, y) in zip(values, spectrum.reversed()) { XCTAssertEqual(x, y, accuracy: 1e-10 * max(1, abs(y))) }
    }

    func testBadCompositionsAreRefused() throws {
        let A = DenseOperator(randomSymmetric(4, seed: 3), dimension: 4), B = DenseOperator(randomSymmetric(3, seed: 4), dimension: 3)
        func message(_ body: () throws -> Any) -> String {
            do { _ = try body(); return "" } catch { return "\(error)" }
        }
        XCTAssertEqual(message { try A.adding(B) }, "operators of dimensions 4 and 3 cannot be added")
        XCTAssertEqual(message { try A.scaled(byDiagonal: [1, 2]) }, "a diagonal scaling needs 4 entries, got 2")
        XCTAssertEqual(message { try A.scaled(byDiagonal: [1, .nan, 1, 1]) }, "the diagonal scaling is not finite at entry 1 (nan)")
        XCTAssertTrue(message { try A.restricted(to: [0..<2, 1..<3]) }.contains("overlap at coordinate 1"))
        XCTAssertTrue(message { try A.restricted(to: [3..<5]) }.contains("outside 0..<4"))
        XCTAssertEqual(message { try LinearCombination([(coefficient: Double, operator: LinearOperator)]()) }, "a linear combination needs at least one operator")
        XCTAssertEqual(message { try A.multiplied(by: .infinity) }, "a linear combination's coefficient must be finite, got inf")
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bb-algebra-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// The scale-invariant views D·H·D and D·G·D: D = |w| (latent weights for a quantized model) and D = the
    /// quantization step per tensor, each against the dense D·C·D; a restriction of a two-tensor operator equals the
    /// one-tensor operator.
    func testScaleInvariantViewsMatchDenseScaledMatrices() throws {
        let dir = try temporaryDirectory()
        let fpModel = try tinyModel(seed: 4)
        try ModelDirectory.save(fpModel, to: dir.appendingPathComponent("fp"))
        let spec = QuantizationSpec(method: "twn", weightBits: 2, quantizedTensors: QuantizationSpec.defaultQuantizedTensors(fpModel.table))
        try QuantizedModelDirectory.save(try QuantizedBertModel(model: try tinyModel(seed: 4), spec: spec), to: dir.appendingPathComponent("twn"))
        for name in ["fp", "twn"] {
            let probe = try ProbeModel<Double>(directory: dir.appendingPathComponent(name))
            let objective = try LossObjective(model: probe.model, batches: tinyBatches())
            let selection = try ParameterSelection("value@0+ffn-output@1", table: probe.model.table, layers: 2).views
            let n = selection.reduce(0) { $0 + $1.count }
            for product in CurvatureProduct.allCases {
                let raw = try DenseOperator.materialize(CurvatureView(product: product).makeOperator(probe, objective: objective, selection: selection)).matrix
                var scales: [CurvatureScale] = [.weights]
                if name == "twn" { scales.append(.steps) }
                for scale in scales {
                    let view = CurvatureView(product: product, scale: scale)
                    let d: [Double]
                    switch scale {
                    case .weights:
                        let w = probe.latentWeights() ?? probe.model.weights
                        d = selection.flatMap { v in v.range.map { abs(w[$0]) } }
                        if name == "twn" { XCTAssertTrue(selection.contains { v in v.range.contains { probe.model.weights[$0] == 0 } }) }
                    default:
                        // TWN's α: the mean non-zero |ŵ| of the tensor, one number per tensor.
                        d = selection.flatMap { v -> [Double] in
                            let nz = v.range.map { abs(probe.model.weights[$0]) }.filter { $0 > 0 }
                            return [Double](repeating: nz.reduce(0, +) / Double(nz.count), count: v.count)
                        }
                    }
                    // Applied to a few vectors (a dense oracle per view would cost n matvecs each).
                    let scaled = try view.makeOperator(probe, objective: objective, selection: selection)
                    for k in 0..<3 {
                        let x = (0..<n).map { sin(Double($0 * (k + 2))) }
                        var expected = [Double](repeating: 0, count: n)
                        for i in 0..<n { var s = 0.0; for j in 0..<n { s += raw[i * n + j] * d[j] * x[j] }; expected[i] = d[i] * s }
                        assertClose(try scaled.apply(x), expected, 1e-10)
                    }
                }
                // The restriction of the two-tensor operator to its second tensor is that tensor's own operator.
                let both = try CurvatureView(product: product).makeOperator(probe, objective: objective, selection: selection)
                let restricted = try both.restricted(to: coordinateRanges(of: selection, names: [selection[1].name]))
                let own = try CurvatureView(product: product).makeOperator(probe, objective: objective, selection: [selection[1]])
                let x = (0..<own.dimension).map { cos(Double($0)) }
                assertClose(try restricted.apply(x), try own.apply(x), 1e-10)
            }
        }
    }

    /// Each bad scale is refused in one sentence naming the tensor (or the model): a zero weight under --scale weights,
    /// steps on a full-precision model, steps on a tensor the model does not quantize.
    func testZeroScalesAndMissingStepsAreRefused() throws {
        let dir = try temporaryDirectory()
        let model = try tinyModel(seed: 4)
        let value = try XCTUnwrap(model.table["bert.encoder.layer.0.attention.self.value.weight"])
        model.parameters[value.offset + 17] = 0
        try ModelDirectory.save(model, to: dir.appendingPathComponent("fp"))
        let probe = try ProbeModel<Double>(directory: dir.appendingPathComponent("fp"))
        let objective = try LossObjective(model: probe.model, batches: tinyBatches())
        let selection = try ParameterSelection("value@0", table: probe.model.table, layers: 2).views
        func message(_ view: CurvatureView, _ p: ProbeModel<Double>, _ s: [ParameterView]) -> String {
            do { _ = try view.makeOperator(p, objective: objective, selection: s); return "" } catch { return "\(error)" }
        }
        XCTAssertEqual(message(CurvatureView(product: .ggn, scale: .weights), probe, selection),
                       "--scale weights: |w| is 0.0 at entry 17 of bert.encoder.layer.0.attention.self.value.weight, and a zero or non-finite scale in D makes D·C·D meaningless there; select other tensors or use --scale none")
        XCTAssertEqual(message(CurvatureView(scale: .steps), probe, selection),
                       "--scale steps needs a quantized model, and fp is full precision (it has no quantization step)")
        let spec = QuantizationSpec(method: "bwn", weightBits: 1, quantizedTensors: [value.name])
        try QuantizedModelDirectory.save(try QuantizedBertModel(model: try tinyModel(seed: 4), spec: spec), to: dir.appendingPathComponent("bwn"))
        let bwn = try ProbeModel<Double>(directory: dir.appendingPathComponent("bwn"))
        let ffn = try ParameterSelection("ffn-output@0", table: bwn.model.table, layers: 2).views
        XCTAssertEqual(message(CurvatureView(scale: .steps), bwn, ffn),
                       "--scale steps: bert.encoder.layer.0.output.dense.weight of bwn is not quantized, so it has no quantization step; select quantized tensors only")
        XCTAssertEqual(message(CurvatureView(scale: .steps), bwn, selection), "")
    }
}
