import XCTest
@testable import BERT
import Numerics

/// Curvature products that read the plain adjoints an earlier product kept on the same forward give the same bits as
/// products that compute everything, whatever comes in between (other directions, block sizes, the other product, another
/// selection, targets or scale), on padded and packed batches; a weight change or another forward is never served
/// stale adjoints.
final class KeptAdjointsTests: XCTestCase {
    let sequences = [[2, 11, 7, 3, 9, 4], [2, 5, 48, 3], [2, 30, 3, 21, 3]]
    let types = [[0, 0, 0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0, 1, 1]]
    let labels = Targets.classes([0, 2, 1])

    struct Step {
        var columns: [Int]
        var upper = false
        var product = CurvatureProduct.hessian
        var targets: Targets? = nil
        var scale = 1.0
        /// Whether the step should read the adjoints the previous step kept.
        var kept: Bool
    }

    func testKeptAdjointsGiveTheSameBits() throws {
        let n = try makeTinyModel(Double.self).table.totalCount
        var rng = SeededRNG(seed: 9)
        let directions = (0..<3).map { _ -> Buffer<Double> in
            let v = Buffer<Double>(count: n)
            rng.fillNormal(v.pointer, count: n)
            return v
        }
        let other = Targets.classes([1, 1, 0])
        let steps = [
            Step(columns: [0], kept: false), Step(columns: [1], kept: true), Step(columns: [0, 1, 2], kept: true),
            Step(columns: [2], kept: true), Step(columns: [0], product: .ggn, kept: false), Step(columns: [1, 2], product: .ggn, kept: true),
            Step(columns: [0], upper: true, kept: false), Step(columns: [1, 0], upper: true, kept: true), Step(columns: [1], kept: false),
            Step(columns: [1], targets: other, kept: false), Step(columns: [2], scale: 0.5, kept: false), Step(columns: [0], kept: false),
        ]
        for batch in [TokenBatch(sequences: sequences, typeIds: types), TokenBatch(packing: sequences, typeIds: types)] {
            // `model` keeps its adjoints and reuses its forward; `reference` (the same weights) computes every product afresh.
            let model = try makeTinyModel(Double.self), reference = try makeTinyModel(Double.self)
            func run(_ m: BertModel<Double>, _ step: Step, keep: Bool, reuse: Bool) throws -> [[Double]] {
                let selected = step.upper ? m.table.views(module: .value, layer: 1) + m.table.views(module: .ffnOutput, layer: 1) : m.table.views
                let out = step.columns.map { _ in Buffer<Double>(count: n) }
                try m.curvatureBlockProduct(batch, targets: step.targets ?? labels, directions: step.columns.map { directions[$0] },
                                            selected: selected, into: out, scale: step.scale, reuseForward: reuse, keepAdjoints: keep,
                                            product: step.product)
                return out.map(\.array)
            }
            for round in 0..<2 {
                for (i, step) in steps.enumerated() {
                    let expected = try run(reference, step, keep: false, reuse: false)
                    let passes = model.plainBackwardCount, forwards = model.forwardCount
                    let got = try run(model, step, keep: true, reuse: i > 0)
                    XCTAssertEqual(got, expected, "round \(round), step \(i)")
                    XCTAssertEqual(model.plainBackwardCount - passes, step.kept ? 0 : 1, "round \(round), step \(i): plain backward")
                    XCTAssertEqual(model.forwardCount - forwards, i == 0 ? 1 : 0, "round \(round), step \(i): forward")
                }
                // Change the weights in place (as a training step does) on both: the next products run the forward again
                // (the caller does not vouch for it) and must not read the adjoints kept at the old weights.
                for m in [model, reference] {
                    let p = m.pointer("bert.encoder.layer.1.output.dense.weight")
                    for j in 0..<8 { p[j] += 0.05 * Double(j + 1) }
                }
            }
        }
    }

    /// A one-batch objective keeps its adjoints between products; a loss evaluation (another forward) or a change of the
    /// weights followed by `invalidatePrefix()` makes the next product compute them again, with the same bits as a new
    /// objective's.
    func testObjectiveKeepsAdjointsUntilTheForwardChanges() throws {
        let model = try makeTinyModel(Double.self)
        let batch = TokenBatch(packing: sequences, typeIds: types)
        let objective = try LossObjective(model: model, batches: [(batch, labels)])
        let n = model.table.totalCount
        let v = Buffer<Double>((0..<n).map { sin(Double($0)) })
        func product(_ o: LossObjective<Double>) throws -> [Double] {
            let hv = Buffer<Double>(count: n)
            try o.hessianVectorProduct(direction: v, selected: model.table.views, into: hv)
            return hv.array
        }
        let first = try product(objective)
        let passes = model.plainBackwardCount
        XCTAssertEqual(try product(objective), first)
        XCTAssertEqual(model.plainBackwardCount, passes, "the second product should read the kept adjoints")
        _ = try objective.loss()
        XCTAssertEqual(try product(objective), first)
        XCTAssertEqual(model.plainBackwardCount, passes + 1)
        model.pointer("bert.encoder.layer.0.attention.self.value.weight")[3] += 0.1
        objective.invalidatePrefix()
        let changed = try product(objective)
        XCTAssertNotEqual(changed, first)
        XCTAssertEqual(changed, try product(try LossObjective(model: model, batches: [(batch, labels)])))
        XCTAssertEqual(objective.keptAdjointBytes, model.keptAdjointBytes(for: batch))
    }
}
