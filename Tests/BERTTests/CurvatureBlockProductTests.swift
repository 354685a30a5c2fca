import XCTest
@testable import BERT
import Numerics

/// A block curvature product (k directions in one pass) equals k single products, for the Hessian and the
/// Gauss–Newton matrix, on padded and packed batches, over all tensors and over a selection that starts the pass
/// above the embeddings.
final class CurvatureBlockProductTests: XCTestCase {
    let sequences = [[2, 11, 7, 3, 9, 4], [2, 5, 48, 3], [2, 30, 3, 21, 3]]
    let types = [[0, 0, 0, 0, 1, 1], [0, 0, 0, 0], [0, 0, 0, 1, 1]]
    let labels = Targets.classes([0, 2, 1])

    func testBlockEqualsSingleProducts() throws {
        let model = try makeTinyModel(Double.self)
        let batches = [TokenBatch(sequences: sequences, typeIds: types), TokenBatch(packing: sequences, typeIds: types)]
        let selections = [model.table.views, model.table.views(module: .value, layer: 1) + model.table.views(module: .ffnOutput, layer: 1)]
        for (bi, batch) in batches.enumerated() {
            for (si, selected) in selections.enumerated() {
                for product in CurvatureProduct.allCases {
                    try assertBlockEqualsSingles(model, batch: batch, targets: labels, selected: selected, product: product, k: 3,
                                             "batch \(bi), selection \(si), \(product)")
                }
            }
        }
    }
}

/// hv of `k` seeded directions in one block pass against k single passes (norm-wise relative difference ≤ 1e-12 per
/// column), after a larger block so that the workspaces are resized, not fresh.
func assertBlockEqualsSingles(_ model: BertModel<Double>, batch: TokenBatch, targets: Targets, selected: [ParameterView],
                              product: CurvatureProduct, k: Int, _ label: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let n = model.table.totalCount
    var rng = SeededRNG(seed: 5)
    let directions = (0..<k).map { _ -> Buffer<Double> in
        let v = Buffer<Double>(count: n)
        rng.fillNormal(v.pointer, count: n)
        return v
    }
    let warm = (0..<(k + 1)).map { _ in Buffer<Double>(count: n) }
    try model.curvatureBlockProduct(batch, targets: targets, directions: directions + [directions[0]], selected: selected, into: warm,
                                    product: product)
    let block = (0..<k).map { _ in Buffer<Double>(count: n) }
    try model.curvatureBlockProduct(batch, targets: targets, directions: directions, selected: selected, into: block, product: product)
    for j in 0..<k {
        let single = Buffer<Double>(count: n)
        try model.hessianVectorProduct(batch, targets: targets, direction: directions[j], selected: selected, into: single, product: product)
        var d2 = 0.0, r2 = 0.0
        for i in 0..<n { d2 += pow(block[j][i] - single[i], 2); r2 += single[i] * single[i] }
        XCTAssertGreaterThan(r2, 0, "\(label), column \(j): zero product", file: file, line: line)
        XCTAssertLessThanOrEqual((d2 / r2).squareRoot(), 1e-12, "\(label), column \(j)", file: file, line: line)
        for i in 0..<n where !selected.contains(where: { $0.range.contains(i) }) {
            XCTAssertEqual(block[j][i], 0, "\(label): entry \(i) outside the selection written", file: file, line: line)
        }
    }
}
