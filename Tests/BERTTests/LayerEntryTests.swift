import BERT
import Numerics
import XCTest

/// A forward that enters layer l at a later stage, with the earlier stages' results saved, reproduces the full
/// forward bit for bit when only tensors of that stage on have changed.
final class LayerEntryTests: XCTestCase {
    func testEnteringALayerAtEachStageEqualsTheFullForward() throws {
        let model = try makeTinyModel(Double.self)
        let batch = tinyBatch()
        for l in 0..<2 {
            for entry in LayerEntry.allCases {
                let centre = try model.forward(batch)
                let hidden = Buffer(centre.hiddenStates[l].array)
                let state = LayerEntryState(centre, layer: l, entry: entry)
                XCTAssertEqual(state.count, LayerEntryState<Double>.count(entry, config: model.config, layout: batch.layout))
                // Move a tensor that the entry stage reads (and nothing before it).
                let moved = Buffer<Double>(count: model.table.totalCount)
                moved.copy(from: model.weights)
                let module: ModuleKind = [.query, .value, .attentionOutput, .ffnIntermediate, .ffnOutput][entry.rawValue]
                let view = model.table.views(module: module, layer: l).first { $0.role == .matrix }!
                XCTAssertEqual(LayerEntry.entry(for: [view], layer: l), entry)
                for i in view.range { moved[i] += 0.05 * sin(Double(i)) }
                let want = try model.withWeights(moved) { try model.forward(batch).logits!.array }
                let got = try model.withWeights(moved) {
                    try model.forward(batch, from: .hiddenState(l), hidden: hidden, entry: state).logits!.array
                }
                XCTAssertEqual(got, want, "layer \(l) entry \(entry.name)")
            }
        }
        // Entry of a set of tensors: the earliest stage among those in the layer.
        let views = model.table.views(module: .ffnOutput, layer: 1) + model.table.views(module: .value, layer: 1) + model.table.views(module: .query, layer: 0)
        XCTAssertEqual(LayerEntry.entry(for: views, layer: 1), .value)
        XCTAssertEqual(LayerEntry.entry(for: views, layer: 0), .start)
    }
}
