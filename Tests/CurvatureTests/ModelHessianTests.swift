import XCTest
import BERT
import Numerics
@testable import Curvature

func tinyModel(seed: UInt64 = 7, layers: Int = 2, labels: Int = 3) throws -> BertModel<Double> {
    let config = BertConfig(vocabSize: 50, hiddenSize: 16, numHiddenLayers: layers, numAttentionHeads: 2, intermediateSize: 24,
                            hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, maxPositionEmbeddings: 16, numLabels: labels)
    let model = try BertModel<Double>(config: config)
    model.randomizeAllParameters(seed: seed)
    return model
}

/// Two batches of different sizes (the objective weights them by example count).
func tinyBatches() -> [(tokens: TokenBatch, targets: Targets)] {
    [(TokenBatch(sequences: [[2, 11, 7, 3, 9, 4], [2, 5, 48, 3], [2, 30, 3, 21, 3]],
                 typeIds: [[0, 0, 0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0, 1, 1]]), .classes([0, 2, 1])),
     (TokenBatch(sequences: [[2, 8, 9, 3], [2, 17, 3]]), .classes([1, 1]))]
}

final class ModelHessianTests: XCTestCase {
    func testBlockOperatorMatchesFiniteDifferencesAndLanczosMatchesSyevr() throws {
        let model = try tinyModel()
        let objective = try LossObjective(model: model, batches: tinyBatches())
        let selection = try ParameterSelection("value@1+ffn-output@0", table: model.table, layers: 2)
        let exact = ModelHessian(objective: objective, selection: selection.views)
        let fd = FiniteDifferenceHessian(objective: objective, selection: selection.views)
        XCTAssertEqual(exact.dimension, 16 * 16 + 16 * 24)
        let h = try DenseOperator.materialize(exact)
        let n = h.dimension
        var asym = 0.0, norm = 0.0
        for i in 0..<n { for j in 0..<n { asym = max(asym, abs(h.matrix[i * n + j] - h.matrix[j * n + i])); norm = max(norm, abs(h.matrix[i * n + j])) } }
        XCTAssertLessThan(asym, 1e-12 * norm)
        // A few columns against central differences of the gradient.
        var rng = SeededRNG(seed: 2)
        for _ in 0..<3 {
            var v = [Double](repeating: 0, count: n)
            for i in 0..<n { v[i] = rng.normal() }
            let a = try exact.apply(v), b = try fd.apply(v)
            let err = zip(a, b).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot() / b.map { $0 * $0 }.reduce(0, +).squareRoot()
            XCTAssertLessThan(err, 1e-6)
        }
        let spectrum = try LAPACK.symmetricEigen(h.matrix, n: n).values
        var o = Lanczos.Options()
        o.count = 3
        o.maxMatvecs = n
        o.tolerance = 1e-8
        let ends = try Lanczos.extremes(exact, options: o, ends: [.largestAlgebraic, .smallestAlgebraic])
        for (a, b) in zip(ends[0].values, spectrum.reversed().prefix(3)) { XCTAssertEqual(a, b, accuracy: 1e-6 * max(1, abs(b))) }
        for (a, b) in zip(ends[1].values, spectrum.prefix(3)) { XCTAssertEqual(a, b, accuracy: 1e-6 * max(1, abs(b))) }
        XCTAssertTrue(ends.allSatisfy(\.allConverged))
        XCTAssertNoThrow(try exact.checkFixed(seed: 4))
    }

    /// The objective is the mean over examples: a single concatenated batch gives the same loss and HVP.
    func testObjectiveWeightsBatchesByExampleCount() throws {
        let model = try tinyModel()
        let two = try LossObjective(model: model, batches: tinyBatches())
        let ids = [[2, 11, 7, 3, 9, 4], [2, 5, 48, 3], [2, 30, 3, 21, 3], [2, 8, 9, 3], [2, 17, 3]]
        let types = [[0, 0, 0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0]]
        let one = try LossObjective(model: model, batches: [(TokenBatch(sequences: ids, typeIds: types), .classes([0, 2, 1, 1, 1]))])
        XCTAssertEqual(try two.loss(), try one.loss(), accuracy: 1e-12)
        let sel = try ParameterSelection("qk@0", table: model.table, layers: 2)
        let v = [Double]((0..<sel.dimension).map { sin(Double($0)) })
        let a = try ModelHessian(objective: two, selection: sel.views).apply(v)
        let c = try ModelHessian(objective: one, selection: sel.views).apply(v)
        for (x, y) in zip(a, c) { XCTAssertEqual(x, y, accuracy: 1e-10 * max(1, abs(y))) }
    }

    func testSelectionGrammar() throws {
        let model = try tinyModel()
        let t = model.table
        XCTAssertEqual(try ParameterSelection("value@0,1", table: t, layers: 2).names,
                       ["bert.encoder.layer.0.attention.self.value.weight", "bert.encoder.layer.1.attention.self.value.weight"])
        XCTAssertEqual(try ParameterSelection("qk@1", table: t, layers: 2).names.count, 2)
        XCTAssertEqual(try ParameterSelection("ffn-output@0-1", table: t, layers: 2, includeBiases: true).names.count, 8)  // dense + LayerNorm
        XCTAssertEqual(try ParameterSelection("pooler", table: t, layers: 2).names, ["bert.pooler.dense.weight"])
        let quantized = try ParameterSelection("all-quantized@*", table: t, layers: 2).names
        XCTAssertEqual(quantized.count, 1 + 2 * 6 + 1)
        XCTAssertTrue(quantized.contains("bert.embeddings.word_embeddings.weight"))
        XCTAssertFalse(quantized.contains("classifier.weight"))
        XCTAssertEqual(try ParameterSelection("all@*", table: t, layers: 2, includeBiases: true).views.count, t.views.count)
        // overlapping terms count each tensor once
        XCTAssertEqual(try ParameterSelection("value@0+value@0-1", table: t, layers: 2).names.count, 2)
        for bad in ["", "values@0", "value@2", "value@-1", "value", "value@1-0", "pooler@0", "value@0,", "value@x", "value@0+"] {
            XCTAssertThrowsError(try ParameterSelection(bad, table: t, layers: 2), bad) { e in
                let text = "\(e)"
                XCTAssertTrue(text.contains("KIND one of") && text.contains("0-1"), text)
            }
        }
    }

    func testNonFiniteLossNamesTheBatch() throws {
        let model = try tinyModel()
        let objective = try LossObjective(model: model, batches: tinyBatches())
        model.parameters[model.table.view("classifier.bias").offset] = .nan
        XCTAssertThrowsError(try objective.loss()) { e in
            XCTAssertEqual(e as? ObjectiveError, .nonFinite(what: "loss", batch: 0))
        }
    }
}

extension ModelHessianTests {
    /// A one-batch objective reuses its forward between HVPs; the result is the same as recomputing it, also after a
    /// probe of another block or a loss evaluation in between.
    func testForwardReuseGivesTheSameProducts() throws {
        let model = try tinyModel()
        let objective = try LossObjective(model: model, batches: [tinyBatches()[0]])
        let a = try ParameterSelection("value@1", table: model.table, layers: 2), b = try ParameterSelection("ffn-output@0", table: model.table, layers: 2)
        let ha = ModelHessian(objective: objective, selection: a.views), hb = ModelHessian(objective: objective, selection: b.views)
        let va = (0..<a.dimension).map { cos(Double($0)) }, vb = (0..<b.dimension).map { sin(Double($0)) }
        let first = try ha.apply(va)
        let count = model.forwardCount
        XCTAssertEqual(try ha.apply(va), first)
        XCTAssertEqual(model.forwardCount, count, "the second HVP should reuse the forward")
        let other = try hb.apply(vb)
        _ = try objective.loss()
        XCTAssertEqual(try ha.apply(va), first)
        XCTAssertEqual(try hb.apply(vb), other)
        let fresh = try LossObjective(model: model, batches: [tinyBatches()[0]])
        XCTAssertEqual(try ModelHessian(objective: fresh, selection: b.views).apply(vb), other)
    }
}

extension ModelHessianTests {
    /// A direction holding NaN gives a typed error naming the product and the batch, never a NaN eigenvalue.
    func testNonFiniteProductNamesTheBatch() throws {
        let model = try tinyModel()
        let objective = try LossObjective(model: model, batches: tinyBatches())
        let sel = try ParameterSelection("value@1", table: model.table, layers: 2)
        var v = [Double](repeating: 0.1, count: sel.dimension)
        v[3] = .nan
        XCTAssertThrowsError(try ModelHessian(objective: objective, selection: sel.views).apply(v)) { e in
            XCTAssertEqual(e as? ObjectiveError, .nonFinite(what: "Hessian-vector product (bert.encoder.layer.1.attention.self.value.weight)", batch: 0))
        }
    }
}
