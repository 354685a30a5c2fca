import XCTest
import BERT
import Probe
import Numerics
import Quantization
@testable import AdaptiveSplit
@testable import Curvature

/// Adaptive splitting's sensitivities: the measured one is the loss of the model with one matrix binarized; the
/// curvature one uses the exact trace of that matrix's Hessian block (dense oracle) when Hutch++ has a full sketch.
final class SplitSensitivityTests: XCTestCase {
    func testSensitivitiesMatchDirectComputationAndResume() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bb-sensitivity-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = try tinyModel(seed: 3)
        // A 12-entry matrix keeps the dense oracle cheap; the others are FP in this test.
        let names = ["bert.encoder.layer.1.output.dense.weight", "bert.pooler.dense.weight"]
        let q = try QuantizedBertModel(model: base, spec: QuantizationSpec(method: "twn", weightBits: 2, quantizedTensors: names))
        try QuantizedModelDirectory.save(q, to: dir.appendingPathComponent("ternary"))
        let probe = try ProbeModel<Double>(directory: dir.appendingPathComponent("ternary"))
        let objective = try LossObjective(model: probe.model, batches: tinyBatches())
        let table = dir.appendingPathComponent("sensitivity.csv")
        // 3·(n + 1) matvecs: the sketch spans the whole block, so Hutch++ is the exact trace.
        let pooler = try XCTUnwrap(probe.model.table["bert.pooler.dense.weight"])
        let rows = try SplitSensitivity.run(probe: probe, objective: objective, traceMatvecs: 3 * (pooler.count + 1), seed: 1, table: table,
                                            progress: .init(enabled: false))
        XCTAssertEqual(rows.map(\.name), names)
        let base0 = try objective.loss()
        for (row, name) in zip(rows, names) {
            let v = try XCTUnwrap(probe.model.table[name])
            let saved = Array(UnsafeBufferPointer(start: probe.model.weights.pointer + v.offset, count: v.count))
            WeightQuantizer.binary.quantize(probe.model.parameters.pointer + v.offset, into: probe.model.weights.pointer + v.offset, rows: 1, cols: v.count)
            var p = 0.0
            for i in 0..<v.count { p += (probe.model.weights[v.offset + i] - saved[i]) * (probe.model.weights[v.offset + i] - saved[i]) }
            objective.invalidatePrefix()
            let binarized = try objective.loss()
            for i in 0..<v.count { probe.model.weights[v.offset + i] = saved[i] }
            objective.invalidatePrefix()
            XCTAssertEqual(row.measuredGain, binarized - base0, accuracy: 1e-12)
            XCTAssertEqual(row.perturbation, p, accuracy: 1e-12 * max(p, 1))
            if name == pooler.name {
                let h = try DenseOperator.materialize(ModelHessian(objective: objective, selection: [v]))
                let trace = (0..<v.count).reduce(0.0) { $0 + h.matrix[$1 * v.count + $1] }
                XCTAssertEqual(row.trace, trace, accuracy: 1e-8 * max(1, abs(trace)))
                XCTAssertEqual(row.curvatureGain, 0.5 * trace / Double(v.count) * p, accuracy: 1e-8 * max(1, abs(row.curvatureGain)))
            }
        }
        XCTAssertEqual(try objective.loss(), base0, "the model is left at the ternary weights")
        // A resumed table is read back, not recomputed.
        let again = try SplitSensitivity.run(probe: probe, objective: objective, traceMatvecs: 6, seed: 99, table: table, progress: .init(enabled: false))
        XCTAssertEqual(again, rows.map { r in var r = r; r.seconds = Double(String(format: "%.3f", r.seconds))!; return r })
        XCTAssertTrue(SplitSensitivity.rankCorrelation(rows).isFinite)
    }

    func testSelectionsRespectTheBudget() throws {
        let candidates = (0..<6).map { SplitCandidate(name: "m\($0)", count: 8, rows: 1, binaryBytes: 100 * ($0 + 1), splitBytes: 100 * ($0 + 1)) }
        let gains = [0.5, 0.1, 0.9, 0.05, 0.7, 0.3]
        let range = SplitSizeRange(allBinaryBytes: 1_000, fullySplitBytes: 1_000 + 2_100)
        for selection in SplitSelection.allCases {
            let c = try SplitChoice.choose(selection, gainMethod: "measured", candidates: candidates, gains: gains, budgetBytes: 1_800,
                                           range: range, resolution: 1, seed: 4)
            XCTAssertLessThanOrEqual(c.plannedBytes, 1_800, "\(selection)")
            if selection == .max {
                let brute = Knapsack.bruteForce(zip(candidates, gains).map { .init(name: $0.name, cost: $0.splitBytes, gain: $1) }, budget: 800)
                XCTAssertEqual(c.gain, brute.gain, accuracy: 1e-12)
                XCTAssertEqual(c.worstCaseLoss ?? -1, 0, accuracy: 1e-12)
            }
        }
        // A matrix of negative gain is not part of the optimum but takes budget the optimum leaves.
        let negative = try SplitChoice.choose(.max, gainMethod: "measured", candidates: candidates, gains: [0.5, -0.1, 0.9, -0.2, 0.7, 0.3],
                                              budgetBytes: 1_000 + 2_100, range: range, resolution: 1, seed: 0)
        XCTAssertEqual(negative.split.count, 6, "the fully split budget splits every matrix")
        XCTAssertEqual(negative.filledAfterOptimum, ["m1", "m3"])
        XCTAssertEqual(negative.worstCaseLoss ?? -1, 0, accuracy: 1e-12)
        let least = try SplitChoice.choose(.min, gainMethod: "measured", candidates: candidates, gains: gains, budgetBytes: 1_800, range: range,
                                           resolution: 1, seed: 0)
        XCTAssertEqual(least.split, ["m0", "m1", "m3"], "least gain first: m3 (0.05, 400 B), m1 (0.1, 200 B), m5 does not fit, m0 (0.5, 100 B)")
    }
}
