import XCTest
import BERT
import Foundation
import Numerics
import Training
@testable import Quantization

/// Loss-aware ternarization: the α/b alternation against brute force, the per-row layout, stored scales, packed export,
/// the exact split, and a tiny distillation run.
final class LAQTests: XCTestCase {
    let eps = 1e-6
    let batch = TokenBatch(sequences: [[2, 11, 7, 3, 9, 4], [2, 5, 48, 3], [2, 30, 3, 21, 3]],
                           typeIds: [[0, 0, 0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0, 1, 1]])

    // MARK: references

    /// The global optimum of Σ dᵢ(α·bᵢ − wᵢ)² over every support S ⊆ {1…n} (signs = sign(w); an opposite sign is never
    /// better): for fixed S the optimal α = Σ_S d|w| / Σ_S d, leaving Σ d w² − (Σ_S d|w|)² / Σ_S d.
    func subsetOptimum(_ w: [Double], _ d: [Double]) -> (alpha: Double, error: Double) {
        let n = w.count
        let total = zip(w, d).reduce(0) { $0 + $1.1 * $1.0 * $1.0 }
        var best = (alpha: 0.0, error: total)
        for mask in 1..<(1 << n) {
            var num = 0.0, den = 0.0
            for i in 0..<n where mask & (1 << i) != 0 { num += d[i] * abs(w[i]); den += d[i] }
            let e = total - num * num / den
            if e < best.error { best = (num / den, e) }
        }
        return best
    }

    /// The same optimum searched over thresholds only: supports {the k largest |w|}, k = 0…n.
    func thresholdOptimum(_ w: [Double], _ d: [Double]) -> Double {
        let order = w.indices.sorted { abs(w[$0]) > abs(w[$1]) }
        let total = zip(w, d).reduce(0) { $0 + $1.1 * $1.0 * $1.0 }
        var best = total, num = 0.0, den = 0.0
        for i in order {
            num += d[i] * abs(w[i]); den += d[i]
            best = min(best, total - num * num / den)
        }
        return best
    }

    /// Unweighted alternation in plain arrays: b = 1[|w| > α/2], α = mean |w| over b.
    func referenceL2(_ w: [Double], from alpha0: Double, steps: Int) -> Double {
        var alpha = alpha0
        for _ in 0..<steps {
            let kept = w.map(abs).filter { $0 > alpha / 2 }
            guard !kept.isEmpty else { break }
            alpha = kept.reduce(0, +) / Double(kept.count)
        }
        return alpha
    }

    func twnAlpha(_ w: [Double]) -> Double { w.withUnsafeBufferPointer { ternaryScale($0.baseAddress!, w.count).alpha } }

    func fit(_ w: [Double], from alpha: Double, v: [Double]?, alternations: Int = LossAwareTernarization.alternations) -> Double {
        w.withUnsafeBufferPointer { wp in
            if let v {
                return v.withUnsafeBufferPointer { LossAwareTernarization.fit(wp.baseAddress!, count: w.count, from: alpha, secondMoment: $0.baseAddress!,
                                                                              epsilon: eps, alternations: alternations) }
            }
            return LossAwareTernarization.fit(wp.baseAddress!, count: w.count, from: alpha, secondMoment: nil, epsilon: eps, alternations: alternations)
        }
    }

    func error(_ w: [Double], alpha: Double, v: [Double]?) -> Double {
        w.withUnsafeBufferPointer { wp in
            if let v {
                return v.withUnsafeBufferPointer { LossAwareTernarization.weightedError(wp.baseAddress!, count: w.count, alpha: alpha,
                                                                                        secondMoment: $0.baseAddress!, epsilon: eps) }
            }
            return LossAwareTernarization.weightedError(wp.baseAddress!, count: w.count, alpha: alpha, secondMoment: nil, epsilon: eps)
        }
    }

    func tinyModel(seed: UInt64 = 7) throws -> BertModel<Double> {
        let config = BertConfig(vocabSize: 50, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 24,
                                hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, maxPositionEmbeddings: 16, numLabels: 3)
        let model = try BertModel<Double>(config: config)
        model.randomizeAllParameters(seed: seed)
        return model
    }

    func laq(_ model: BertModel<Double>) throws -> QuantizedBertModel<Double> {
        try QuantizedBertModel(model: model, spec: QuantizationSpec(method: "laq", weightBits: 2,
                                                                   quantizedTensors: QuantizationSpec.defaultQuantizedTensors(model.table)))
    }

    /// An LAQ model whose α has been refitted with a random second moment (so it is neither TWN's nor the L2 fit).
    func fittedLAQ(seed: UInt64 = 7) throws -> QuantizedBertModel<Double> {
        let q = try laq(try tinyModel(seed: seed))
        var rng = SeededRNG(seed: seed &+ 100)
        let v = Buffer<Double>((0..<q.model.table.totalCount).map { _ in let g = rng.normal(); return 1e-4 * g * g * g * g })
        for _ in 0..<3 { q.fitLossAwareScales(secondMoment: v.pointer, epsilon: eps) }
        q.refresh()
        return q
    }

    // MARK: the alternation

    /// Each α-step (with its b-step) never increases the weighted error, which never drops below the brute-force optimum;
    /// the optimum over thresholds equals the optimum over all supports; the optimum is a fixed point.
    func testAlternationAgainstBruteForce() {
        var rng = SeededRNG(seed: 11)
        var reachedOptimum = 0
        let trials = 300
        for trial in 0..<trials {
            let n = 1 + trial % 8
            let w = (0..<n).map { _ in rng.normal() }
            // Curvature spanning orders of magnitude, some entries never updated (v = 0: d = ε).
            let v = (0..<n).map { i -> Double in i % 5 == 4 ? 0 : pow(10, -6 + 4 * Double(rng.next() % 1000) / 1000) }
            let d = v.map { $0.squareRoot() + eps }
            let star = subsetOptimum(w, d)
            XCTAssertEqual(thresholdOptimum(w, d), star.error, accuracy: 1e-12 * max(1, star.error))
            XCTAssertEqual(error(w, alpha: star.alpha, v: v), star.error, accuracy: 1e-12 * max(1, star.error))

            var alpha = twnAlpha(w), e = error(w, alpha: alpha, v: v)
            for _ in 0..<12 {
                let next = fit(w, from: alpha, v: v, alternations: 1)
                let eNext = error(w, alpha: next, v: v)
                XCTAssertLessThanOrEqual(eNext, e + 1e-12 * max(1, e), "trial \(trial): the error increased")
                XCTAssertGreaterThanOrEqual(eNext, star.error - 1e-12 * max(1, star.error), "trial \(trial): below the optimum")
                alpha = next; e = eNext
            }
            if e <= star.error + 1e-12 * max(1, star.error) { reachedOptimum += 1 }
            XCTAssertEqual(fit(w, from: star.alpha, v: v, alternations: 10), star.alpha, accuracy: 1e-12 * max(1, star.alpha),
                           "trial \(trial): the optimum is not a fixed point")
        }
        // A local method: most, not all, runs from TWN's α end at the global optimum.
        XCTAssertGreaterThan(reachedOptimum, trials / 2)
    }

    /// w = (1, 0.2) with d = (1, 100): the curvature makes keeping the small entry optimal (α = 21/101); from α = 0.3
    /// the alternation finds it, while with d ≡ 1 it drops the entry (α = 1). From TWN's α = 1 the weighted alternation
    /// stays at the local optimum α = 1.
    func testHandComputedCurvatureExample() {
        let w = [1.0, 0.2], v = [(1 - eps) * (1 - eps), (100 - eps) * (100 - eps)]
        XCTAssertEqual(fit(w, from: 0.3, v: v, alternations: 10), 21.0 / 101, accuracy: 1e-12)
        XCTAssertEqual(subsetOptimum(w, [1, 100]).alpha, 21.0 / 101, accuracy: 1e-12)
        XCTAssertEqual(fit(w, from: 0.3, v: nil, alternations: 10), 1)
        XCTAssertEqual(fit(w, from: twnAlpha(w), v: v, alternations: 10), 1)
        // b = 0 (α ≥ 2·max|w|) restarts from TWN's α; w = 0 gives α = 0.
        XCTAssertEqual(fit(w, from: 5, v: v), 1)
        XCTAssertEqual(fit([0, 0, 0], from: 1, v: nil), 0)
    }

    /// d ≡ 1 (v = nil) is the unweighted alternation; a constant d gives the same α; the stateless quantizer is that
    /// fit from TWN's α.
    func testUnitCurvatureIsTheUnweightedFit() {
        var rng = SeededRNG(seed: 5)
        for n in [3, 17, 200] {
            let w = (0..<n).map { _ in rng.normal() }
            for steps in [1, 2, 6] {
                let start = twnAlpha(w) * 0.8
                let expected = referenceL2(w, from: start, steps: steps)
                XCTAssertEqual(fit(w, from: start, v: nil, alternations: steps), expected, accuracy: 1e-14 * expected)
                XCTAssertEqual(fit(w, from: start, v: [Double](repeating: 0.25, count: n), alternations: steps), expected, accuracy: 1e-13 * expected)
            }
            var q = [Double](repeating: 0, count: n)
            let alpha = WeightQuantizer.lossAwareTernary.quantize(w, into: &q, rows: 1, cols: n)[0]
            XCTAssertEqual(alpha, referenceL2(w, from: twnAlpha(w), steps: LossAwareTernarization.alternations), accuracy: 1e-14 * alpha)
            XCTAssertEqual(q, w.map { abs($0) > alpha / 2 ? ($0 > 0 ? alpha : -alpha) : 0 })
        }
        XCTAssertEqual(try WeightQuantizer(bits: 2, method: "laq"), .lossAwareTernary)
        XCTAssertEqual(try WeightQuantizer(bits: 2, method: "twn"), .ternary)
        XCTAssertThrowsError(try WeightQuantizer(bits: 1, method: "laq")) { XCTAssertEqual($0 as? QuantizationError, .unsupportedMethod("laq", bits: 1)) }
    }

    // MARK: the model

    /// One α per row of the word embedding, one per other tensor; each row fitted with its own slice of v.
    func testPerRowEmbeddingLayout() throws {
        let q = try laq(try tinyModel())
        let p = q.model.parameters.pointer
        XCTAssertEqual(q.laqScales.count, q.quantizedViews.count)
        var tmp = [Double](repeating: 0, count: q.quantizedViews.map(\.count).max()!)
        for (k, v) in q.quantizedViews.enumerated() {
            let (rows, cols) = v.role == .embedding ? (v.shape[0], v.shape[1]) : (1, v.count)
            XCTAssertEqual(q.laqScales[k].count, rows, v.name)
            XCTAssertEqual(q.laqScales[k], WeightQuantizer.lossAwareTernary.quantize(p + v.offset, into: &tmp, rows: rows, cols: cols), v.name)
        }
        XCTAssertEqual(q.laqScales[q.quantizedViews.firstIndex { $0.name == "bert.embeddings.word_embeddings.weight" }!].count, 50)

        var rng = SeededRNG(seed: 3)
        let vBuffer = Buffer<Double>((0..<q.model.table.totalCount).map { _ in let g = rng.normal(); return 1e-3 * g * g })
        let before = q.laqScales
        q.fitLossAwareScales(secondMoment: vBuffer.pointer, epsilon: eps)
        q.refresh()
        for (k, v) in q.quantizedViews.enumerated() {
            let rows = q.laqScales[k].count, cols = v.count / rows
            for r in 0..<rows {
                let o = v.offset + r * cols
                let expected = LossAwareTernarization.fit(p + o, count: cols, from: before[k][r], secondMoment: vBuffer.pointer + o, epsilon: eps)
                XCTAssertEqual(q.laqScales[k][r], expected, "\(v.name) row \(r)")
                for j in 0..<cols {
                    let w = p[o + j], a = q.laqScales[k][r]
                    XCTAssertEqual(q.quantized[o + j], abs(w) > a / 2 ? (w > 0 ? a : -a) : 0)
                }
            }
        }
        XCTAssertNotEqual(q.laqScales, before)
        XCTAssertEqual(q.scales(), Dictionary(uniqueKeysWithValues: zip(q.quantizedViews.map(\.name), q.laqScales)))
        // Unquantized tensors pass through.
        let bias = q.model.table["classifier.bias"]!
        for i in bias.range { XCTAssertEqual(q.quantized[i], q.model.parameters[i]) }
    }

    /// The stored α survives save → load exactly: identical logits, and a model rebuilt without the stored α differs.
    func testSaveLoadRoundTrip() throws {
        let q = try fittedLAQ()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bb-laq-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        try QuantizedModelDirectory.save(q, to: dir)
        let again = try XCTUnwrap(QuantizedModelDirectory.load(dir, as: Double.self))
        XCTAssertEqual(again.quantizer, .lossAwareTernary)
        XCTAssertEqual(again.laqScales, q.laqScales)
        XCTAssertEqual(again.currentSpec, q.currentSpec)
        XCTAssertEqual(try again.model.forward(batch).logits!.array, try q.model.forward(batch).logits!.array)
        XCTAssertEqual(try QuantizedModelDirectory.loadAny(dir, as: Double.self).forward(batch).logits!.array,
                       try q.model.forward(batch).logits!.array)
        // Without the state, α would be the L2 fit again.
        let stateless = try laq(try tinyModel())
        XCTAssertNotEqual(stateless.laqScales, q.laqScales)

        // Old files (no laq_scales) still decode; wrong layouts are refused.
        let old = #"{"method":"twn","weight_bits":2,"activation_bits":32,"split":false,"quantized_tensors":[]}"#
        XCTAssertNil(try JSONDecoder().decode(QuantizationSpec.self, from: Data(old.utf8)).laqScales)
        var bad = q.currentSpec
        bad.laqScales!["bert.embeddings.word_embeddings.weight"] = [1, 2]
        XCTAssertThrowsError(try QuantizedBertModel(model: try tinyModel(), spec: bad))
        bad = q.currentSpec
        bad.laqScales!["bert.nope"] = [1]
        XCTAssertThrowsError(try QuantizedBertModel(model: try tinyModel(), spec: bad))
        bad = q.currentSpec
        bad.split = true
        XCTAssertThrowsError(try QuantizedBertModel(model: try tinyModel(), spec: bad))
    }

    /// Packed export writes 2-bit codes with the stored α; unpacking reproduces the logits exactly.
    func testPackedRoundTrip() throws {
        let q = try fittedLAQ()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bb-laq-packed-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let report = try PackedModel.export(q, to: dir)
        XCTAssertEqual(report.quantizedWeights, q.quantizedViews.reduce(0) { $0 + $1.count })
        let unpacked = try PackedModel.load(dir, as: Double.self)
        XCTAssertEqual(try unpacked.forward(batch).logits!.array, try q.model.forward(batch).logits!.array)
    }

    /// BWN(w₁) + BWN(w₂) = α·sign(w)⊙1[|w| > α/2] for one row split with (α, α/2); w₁ + w₂ = w where λ = 1, else
    /// λ·w on the kept entries. Returns the coefficients.
    @discardableResult
    func assertExactSplit(_ w: [Double], alpha: Double, file: StaticString = #filePath, line: UInt = #line) -> TernaryWeightSplit.Coefficients {
        let n = w.count
        var w1 = w, w2 = w, b1 = w, b2 = w, t = w
        let c = TernaryWeightSplit.split(w, &w1, &w2, count: n, ternary: (alpha, alpha / 2))
        XCTAssertTrue(c.exact, "\(c)", file: file, line: line)
        let a1 = WeightQuantizer.binary.quantize(w1, into: &b1, rows: 1, cols: n)[0]
        let a2 = WeightQuantizer.binary.quantize(w2, into: &b2, rows: 1, cols: n)[0]
        XCTAssertEqual(a1, alpha / 2, accuracy: 1e-12, file: file, line: line)
        XCTAssertEqual(a2, alpha / 2, accuracy: 1e-12, file: file, line: line)
        LossAwareTernarization.apply(w, into: &t, count: n, alpha: alpha)
        for i in 0..<n {
            XCTAssertEqual(w1[i] + w2[i], t[i] != 0 ? c.lambda * w[i] : w[i], accuracy: 1e-12, "sum at \(i)", file: file, line: line)
            XCTAssertEqual(b1[i] + b2[i], t[i], accuracy: 1e-12, "quantized sum at \(i)", file: file, line: line)
        }
        return c
    }

    /// TWS is exact for LAQ: rows split with the stored α and threshold α/2, rescaling the kept entries when the
    /// halves cannot sum to w (n·α ≤ Σ|w|, or no zeros with n·α ≠ Σ|w|).
    func testSplitIsExact() throws {
        var rng = SeededRNG(seed: 9)
        XCTAssertEqual(assertExactSplit((0..<40).map { _ in rng.normal() }, alpha: 1.7).lambda, 1)
        // S_I = 4.8, S_J = 0.4, S_K = 0.3, n·α = 5.4 < Σ|w| = 5.5: λ = 1 would give b < 0; λ = (0.1/4.8 + 4.7/4.8)/2.
        let c = assertExactSplit([3, 0.6, 0.6, 0.6, 0.4, -0.3], alpha: 0.9)
        XCTAssertEqual(c.lambda, 4.8 / 9.6, accuracy: 1e-12)
        // No zeros: λ = n·α / Σ|w| = 3.6 / 4.5.
        XCTAssertEqual(assertExactSplit([2, 1, -1.5], alpha: 1.2).lambda, 0.8, accuracy: 1e-12)
        // TWN (no `ternary`) keeps λ = 1 and its old behaviour.
        var w1 = [Double](repeating: 0, count: 41), w2 = w1
        XCTAssertEqual(TernaryWeightSplit.split([10.0] + [Double](repeating: 0.5, count: 40), &w1, &w2, count: 41).lambda, 1)

        let q = try fittedLAQ()
        let (binary, coefficients) = try q.splitIntoBinary()
        XCTAssertTrue(coefficients.values.allSatisfy { $0.allSatisfy(\.exact) })
        XCTAssertTrue(coefficients.values.contains { $0.contains { $0.lambda != 1 } }, "the fixture should exercise λ ≠ 1")
        XCTAssertEqual(binary.spec.method, "tws")
        XCTAssertNil(binary.currentSpec.laqScales)
        let expected = try q.model.forward(batch).logits!.array, got = try binary.model.forward(batch).logits!.array
        for i in expected.indices { XCTAssertEqual(got[i], expected[i], accuracy: 1e-12 * max(1, abs(expected[i]))) }
    }

    /// Two-stage distillation of an LAQ student from its own teacher: α is refitted during training, the stage-1
    /// loss falls, and the kept model reloads with its α and reproduces the reported dev accuracy.
    func testTinyDistillation() throws {
        let train = SyntheticTask.data(count: 64, seed: 1), dev = SyntheticTask.data(count: 32, seed: 2)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("bb-laq-distill-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let config = BertConfig(vocabSize: 50, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 24,
                                hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, maxPositionEmbeddings: 16, numLabels: 2)
        let teacher = try BertModel<Double>(config: config)
        teacher.randomizeAllParameters(seed: 1)
        let studentModel = try BertModel<Double>(config: config)
        studentModel.parameters.copy(from: teacher.parameters)
        let student = try QuantizedBertModel(model: studentModel, spec: QuantizationSpec(
            method: "laq", weightBits: 2, activationBits: 8, quantizedTensors: QuantizationSpec.defaultQuantizedTensors(studentModel.table)))
        let initial = student.laqScales
        var options = DistillationOptions()
        options.epochsPerStage = 3; options.batchSize = 8; options.learningRate = 4e-4; options.evalEvery = 4
        let summary = try DistillationPipeline.run(student: student, teacher: teacher, train: train, dev: dev, options: options,
                                                   output: root, tokenizerSource: nil, progress: ProgressReporter(enabled: false))
        XCTAssertEqual(summary.steps, 24)
        XCTAssertNotEqual(student.laqScales, initial)
        XCTAssertTrue(student.laqScales.allSatisfy { $0.allSatisfy { $0.isFinite && $0 > 0 } })

        let csv = try String(contentsOf: root.appendingPathComponent("stage1/train_log.csv"), encoding: .utf8)
        let losses = csv.split(separator: "\n").dropFirst().map { Double($0.split(separator: ",")[2])! }
        XCTAssertGreaterThanOrEqual(losses.count, 4)
        XCTAssertLessThan(losses.last!, 0.8 * losses.first!, "stage-1 losses \(losses)")

        let kept = try XCTUnwrap(QuantizedModelDirectory.load(root, as: Double.self))
        XCTAssertEqual(kept.quantizer, .lossAwareTernary)
        XCTAssertNotNil(kept.spec.laqScales)
        XCTAssertEqual(try Evaluator.evaluate(kept.model, on: dev).metrics["accuracy"]!, summary.best["accuracy"]!)
    }
}
