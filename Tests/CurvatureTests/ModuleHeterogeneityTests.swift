import XCTest
import BERT
import Numerics
@testable import Curvature

/// Block heterogeneity: the Jensen–Shannon distance is 0 for equal spectra, 1 for disjoint ones and symmetric; on
/// dense blocks with known spectra (SLQ with as many steps as the dimension is exact) the distances rank as the spectra
/// differ, and scaling every block by one constant leaves them unchanged.
final class ModuleHeterogeneityTests: XCTestCase {
    func diagonal(_ values: [Double]) -> DenseOperator {
        let n = values.count
        var m = [Double](repeating: 0, count: n * n)
        for i in 0..<n { m[i * n + i] = values[i] }
        return DenseOperator(m, dimension: n)
    }

    func block(_ module: CurvatureModule, _ layer: Int, _ values: [Double]) throws -> ModuleHeterogeneity.Block {
        ModuleHeterogeneity.Block(module: module, layer: layer,
                                  density: try SpectralDensity.estimate(diagonal(values), runs: 4, steps: values.count, seed: 1))
    }

    func testJensenShannonDistanceBounds() {
        let p = [0.5, 0.5, 0, 0], q = [0, 0, 0.5, 0.5], r = [0.25, 0.25, 0.25, 0.25]
        XCTAssertEqual(ModuleHeterogeneity.jensenShannonDistance(p, p), 0, accuracy: 1e-15)
        XCTAssertEqual(ModuleHeterogeneity.jensenShannonDistance(p, q), 1, accuracy: 1e-15)
        XCTAssertEqual(ModuleHeterogeneity.jensenShannonDistance(p, r), ModuleHeterogeneity.jensenShannonDistance(r, p), accuracy: 1e-15)
        // p against the uniform r: JSD = ½·(½·2·log2(4/3)) + ½·(2·¼·log2(½) + 2·¼·log2(2/… )) computed directly.
        let m = zip(p, r).map { 0.5 * ($0 + $1) }
        func kl(_ a: [Double]) -> Double { zip(a, m).reduce(0) { $0 + ($1.0 > 0 ? $1.0 * log2($1.0 / $1.1) : 0) } }
        XCTAssertEqual(ModuleHeterogeneity.jensenShannonDistance(p, r), (0.5 * kl(p) + 0.5 * kl(r)).squareRoot(), accuracy: 1e-15)
    }

    func testDistancesRankAsTheSpectraDifferAndIgnoreACommonScale() throws {
        let base: [Double] = [1, 2, 3, 4, 5, 6, 7, 8]
        let same = try block(.mhaV, 0, base), alsoSame = try block(.mhaV, 1, base.reversed())
        let shifted = try block(.ffnOut, 0, base.map { $0 + 2 }), far = try block(.ffnOut, 1, base.map { $0 * 10 + 100 })
        let h = try ModuleHeterogeneity(blocks: [same, alsoSame, shifted, far])
        func d(_ a: String, _ b: String) -> Double { h.distances.first { $0.a == a && $0.b == b }!.distance }
        XCTAssertEqual(h.distances.count, 6)
        XCTAssertEqual(d("mha-v@0", "mha-v@1"), 0, accuracy: 1e-6, "the same spectrum")
        XCTAssertLessThan(d("mha-v@0", "ffn-out@0"), d("mha-v@0", "ffn-out@1"))
        XCTAssertEqual(d("mha-v@0", "ffn-out@1"), 1, accuracy: 1e-6, "spectra that do not overlap")
        XCTAssertEqual(h.meanWithinKind!, (d("mha-v@0", "mha-v@1") + d("ffn-out@0", "ffn-out@1")) / 2, accuracy: 1e-12)
        XCTAssertEqual(h.meanWithinLayer!, (d("mha-v@0", "ffn-out@0") + d("mha-v@1", "ffn-out@1")) / 2, accuracy: 1e-12)
        // Every block's curvature × 7: the same distances.
        let scaled = try ModuleHeterogeneity(blocks: [try block(.mhaV, 0, base.map { $0 * 7 }), try block(.mhaV, 1, base.reversed().map { $0 * 7 }),
                                                      try block(.ffnOut, 0, base.map { ($0 + 2) * 7 }), try block(.ffnOut, 1, base.map { ($0 * 10 + 100) * 7 })])
        for (x, y) in zip(h.distances, scaled.distances) { XCTAssertEqual(x.distance, y.distance, accuracy: 1e-7) }
        for density in h.densities {
            let step = h.grid[1] - h.grid[0]
            XCTAssertEqual(density.reduce(0, +) * step, 1, accuracy: 1e-3, "each smoothed density integrates to 1 over the grid")
        }
    }

    /// Spectra an order of magnitude apart stay apart when another block has a far outlier (on a linear axis the
    /// outlier would set the smoothing width and merge them), and the model's scale still drops out.
    func testAFarOutlierDoesNotMergeTheOtherBlocksBulks() throws {
        let small: [Double] = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08], medium = small.map { $0 * 100 }
        let outlier = small.map { $0 / 10 } + [1000]
        let h = try ModuleHeterogeneity(blocks: [try block(.mhaV, 0, small), try block(.mhaV, 1, medium), try block(.ffnOut, 0, outlier)])
        let d = h.distances.first { $0.a == "mha-v@0" && $0.b == "mha-v@1" }!.distance
        XCTAssertGreaterThan(d, 0.9, "bulks two orders of magnitude apart")
        let scaled = try ModuleHeterogeneity(blocks: [try block(.mhaV, 0, small.map { $0 * 3 }), try block(.mhaV, 1, medium.map { $0 * 3 }),
                                                      try block(.ffnOut, 0, outlier.map { $0 * 3 })])
        for (x, y) in zip(h.distances, scaled.distances) { XCTAssertEqual(x.distance, y.distance, accuracy: 1e-7) }
        XCTAssertThrowsError(try ModuleHeterogeneity(blocks: h.blocks, linearScale: 0))
    }

    func testModelBlocksAndBadRequests() throws {
        let model = try tinyModel()
        let objective = try LossObjective(model: model, batches: tinyBatches())
        let blocks = try ModuleHeterogeneity.measure(objective: objective, modules: [.mhaV, .ffnOut], layers: [0, 1], runs: 2, steps: 6, seed: 3)
        XCTAssertEqual(blocks.map(\.name), ["mha-v@0", "ffn-out@0", "mha-v@1", "ffn-out@1"])
        let h = try ModuleHeterogeneity(blocks: blocks)
        XCTAssertEqual(h.distances.count, 6)
        XCTAssertTrue(h.distances.allSatisfy { $0.distance >= 0 && $0.distance <= 1 })
        // The same seed, the same bytes; traces agree with the block's own SLQ run by hand.
        let again = try ModuleHeterogeneity.measure(objective: objective, modules: [.mhaV], layers: [0], runs: 2, steps: 6, seed: 3)
        XCTAssertEqual(again[0].density.runs.map(\.nodes), blocks[0].density.runs.map(\.nodes))
        XCTAssertThrowsError(try ModuleHeterogeneity(blocks: [blocks[0]])) { XCTAssertEqual("\($0)", "block heterogeneity needs at least two blocks, not 1") }
        XCTAssertThrowsError(try ModuleHeterogeneity(blocks: blocks, relativeSigma: 0))
        XCTAssertThrowsError(try ModuleHeterogeneity(blocks: blocks, points: 3))
    }
}
