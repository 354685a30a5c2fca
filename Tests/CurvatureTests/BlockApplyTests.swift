import XCTest
import BERT
import Numerics
@testable import Curvature

/// An operator that reports a block size but applies column by column: the algorithms' grouping alone, against the
/// same operator at block size 1, must give the same bits.
private final class Grouped: LinearOperator {
    let base: LinearOperator
    let blockColumns: Int
    private(set) var blocks: [Int] = []
    init(_ base: LinearOperator, columns: Int) { self.base = base; blockColumns = columns }
    var dimension: Int { base.dimension }
    func apply(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) throws { try base.apply(x, into: y) }
    func apply(block x: UnsafePointer<Double>, columns k: Int, into y: UnsafeMutablePointer<Double>) throws {
        blocks.append(k)
        for j in 0..<k { try base.apply(x + j * dimension, into: y + j * dimension) }
    }
}

final class BlockApplyTests: XCTestCase {
    func spd(_ n: Int) -> DenseOperator {
        var rng = SeededRNG(seed: 3)
        let g = (0..<(n * n)).map { _ in rng.normal() }
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { for k in 0..<n { a[i * n + j] += g[i * n + k] * g[j * n + k] / Double(n) } } }
        return DenseOperator(a, dimension: n)
    }

    /// Hutchinson, Hutch++ and SLQ give the same bits in groups as one vector at a time, and do use the groups.
    func testAlgorithmsInGroupsGiveTheSameBits() throws {
        let a = spd(24)
        let grouped = Grouped(a, columns: 4)
        for (x, y) in [(try TraceEstimator.hutchinson(a, probes: 10, seed: 2), try TraceEstimator.hutchinson(grouped, probes: 10, seed: 2)),
                       (try TraceEstimator.hutchPlusPlus(a, matvecs: 21, seed: 2), try TraceEstimator.hutchPlusPlus(grouped, matvecs: 21, seed: 2))] {
            XCTAssertEqual(x.estimate.bitPattern, y.estimate.bitPattern)
            XCTAssertEqual(x.standardError.bitPattern, y.standardError.bitPattern)
            XCTAssertEqual(x.matvecs, y.matvecs)
        }
        let d1 = try SpectralDensity.estimate(a, runs: 6, steps: 9, seed: 5), d4 = try SpectralDensity.estimate(grouped, runs: 6, steps: 9, seed: 5)
        XCTAssertEqual(d1.runs.flatMap(\.nodes).map(\.bitPattern), d4.runs.flatMap(\.nodes).map(\.bitPattern))
        XCTAssertEqual(d1.runs.flatMap(\.weights).map(\.bitPattern), d4.runs.flatMap(\.weights).map(\.bitPattern))
        XCTAssertEqual(d1.matvecs, d4.matvecs)
        XCTAssertTrue(grouped.blocks.contains(4))
        XCTAssertTrue(grouped.blocks.contains(2))   // the last group of SLQ's 6 runs, and Hutchinson's 10 probes
    }

    /// A model's curvature in blocks: each column equals a single apply, through the compositions too, and the
    /// algorithms agree with block size 1 to rounding.
    func testModelCurvatureBlocksMatchSingleApplies() throws {
        let model = try tinyModel()
        let objective = try LossObjective(model: model, batches: tinyBatches())
        let selection = try ParameterSelection("value@1+ffn-output@0", table: model.table, layers: 2)
        for product in CurvatureProduct.allCases {
            let single = ModelCurvature(objective: objective, selection: selection.views, product: product)
            let blocked = ModelCurvature(objective: objective, selection: selection.views, product: product)
            blocked.blockColumns = 3
            let n = single.dimension
            var rng = SeededRNG(seed: 8)
            let diagonal = (0..<n).map { _ in 0.5 + abs(rng.normal()) }
            let pairs: [(LinearOperator, LinearOperator)] = [
                (single, blocked),
                (try single.scaled(byDiagonal: diagonal), try blocked.scaled(byDiagonal: diagonal)),
                (try single.restricted(to: [0..<10, 300..<n]), try blocked.restricted(to: [0..<10, 300..<n])),
                (try single.adding(single, times: -0.5), try blocked.adding(blocked, times: -0.5)),
            ]
            for (i, (s, b)) in pairs.enumerated() {
                XCTAssertEqual(b.blockColumns, 3)
                let xs = (0..<5).map { _ in (0..<s.dimension).map { _ in rng.normal() } }
                let ys = try b.apply(columns: xs)
                for (x, y) in zip(xs, ys) {
                    let ref = try s.apply(x)
                    let err = zip(y, ref).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot() / ref.map { $0 * $0 }.reduce(0, +).squareRoot()
                    XCTAssertLessThanOrEqual(err, 1e-12, "\(product), composition \(i)")
                }
            }
            let t1 = try TraceEstimator.hutchPlusPlus(single, matvecs: 12, seed: 1), t3 = try TraceEstimator.hutchPlusPlus(blocked, matvecs: 12, seed: 1)
            XCTAssertEqual(t1.estimate, t3.estimate, accuracy: 1e-10 * abs(t1.estimate))
            let d1 = try SpectralDensity.estimate(single, runs: 4, steps: 8, seed: 1), d3 = try SpectralDensity.estimate(blocked, runs: 4, steps: 8, seed: 1)
            for (a, b) in zip(d1.runs.flatMap(\.nodes), d3.runs.flatMap(\.nodes)) { XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(a))) }
            for (a, b) in zip(d1.runs.flatMap(\.weights), d3.runs.flatMap(\.weights)) { XCTAssertEqual(a, b, accuracy: 1e-9) }
            XCTAssertEqual(d1.trace.estimate, d3.trace.estimate, accuracy: 1e-10 * abs(d1.trace.estimate))
        }
    }

    /// The block size follows the memory budget: none fits → 1; a budget of c columns → c (capped).
    func testBlockColumnsFollowTheBudget() throws {
        let model = try tinyModel()
        let objective = try LossObjective(model: model, batches: tinyBatches())
        let op = ModelCurvature(objective: objective, selection: model.table.views)
        let c = op.columnBytes
        XCTAssertGreaterThan(c, 2 * model.table.totalCount * 8)
        XCTAssertEqual(op.chooseBlockColumns(memoryBytes: 0), 1)
        XCTAssertEqual(op.chooseBlockColumns(memoryBytes: 5 * c + c / 2), 5)
        XCTAssertEqual(op.chooseBlockColumns(memoryBytes: 1000 * c), ModelCurvature<Double>.maxBlockColumns)
    }
}
