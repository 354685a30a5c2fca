import XCTest
import BERT
import Numerics
@testable import Quantization

final class TernaryWeightSplitTests: XCTestCase {
    /// w₁ + w₂ = w and BWN(w₁) + BWN(w₂) = TWN(w) for one row.
    func assertExactSplit(_ w: [Double], file: StaticString = #filePath, line: UInt = #line) {
        let n = w.count
        var w1 = [Double](repeating: 0, count: n), w2 = w1
        let c = TernaryWeightSplit.split(w, &w1, &w2, count: n)
        XCTAssertTrue(c.exact, "split not exact: a = \(c.a)", file: file, line: line)
        var t = [Double](repeating: 0, count: n), b1 = t, b2 = t
        WeightQuantizer.ternary.quantize(w, into: &t, rows: 1, cols: n)
        let a1 = WeightQuantizer.binary.quantize(w1, into: &b1, rows: 1, cols: n)[0]
        let a2 = WeightQuantizer.binary.quantize(w2, into: &b2, rows: 1, cols: n)[0]
        XCTAssertEqual(a1, a2, accuracy: 1e-12 * max(1, c.alpha), "α₁ ≠ α₂", file: file, line: line)
        XCTAssertEqual(a1, c.alpha / 2, accuracy: 1e-12 * max(1, c.alpha), file: file, line: line)
        for i in 0..<n {
            XCTAssertEqual(w1[i] + w2[i], w[i], accuracy: 1e-12, "sum at \(i)", file: file, line: line)
            XCTAssertEqual(b1[i] + b2[i], t[i], accuracy: 1e-12 * max(1, c.alpha), "quantized sum at \(i)", file: file, line: line)
        }
    }

    func testGaussianRows() {
        var rng = SeededRNG(seed: 1)
        for n in [7, 64, 1000] { assertExactSplit((0..<n).map { _ in rng.normal() }) }
    }

    func testAllNonZerosNegative() {
        // TWN keeps only the large negative entries; the official code's α = max(ternary) would be 0 here.
        assertExactSplit([-3, -2.5, 0.1, -0.2, 0.05, -2.8, 0.3, -0.1])
    }

    func testNoZerosInTernary() {
        // All magnitudes equal: every entry is in I, J ∪ K is empty, b unused.
        assertExactSplit([1, -1, 1, 1, -1, -1])
    }

    func testConstantRow() { assertExactSplit([0.3, 0.3, 0.3, 0.3]) }

    func testExactZerosInsideTheRow() { assertExactSplit([0, 0, 2, -2, 0.1, 0]) }

    func testAllZeroRow() {
        let w = [Double](repeating: 0, count: 5)
        var w1 = w, w2 = w
        let c = TernaryWeightSplit.split(w, &w1, &w2, count: 5)
        XCTAssertTrue(c.exact)
        XCTAssertEqual(w1, w)
        XCTAssertEqual(w2, w)
    }

    func testInexactCaseIsFlagged() {
        // One large entry and many small positive ones: S_J > S_I, so a < 0 and the split cannot be exact.
        let w = [10.0] + [Double](repeating: 0.5, count: 40)
        var w1 = w, w2 = w
        XCTAssertFalse(TernaryWeightSplit.split(w, &w1, &w2, count: w.count).exact)
    }

    func testQuantizers() {
        var q = [Double](repeating: 0, count: 4)
        XCTAssertEqual(WeightQuantizer.binary.quantize([1, -3, 0, 2], into: &q, rows: 1, cols: 4), [1.5])
        XCTAssertEqual(q, [1.5, -1.5, 0, 1.5])
        // Δ = 0.7·1.5 = 1.05: I = {-3, 2}, α = 2.5
        XCTAssertEqual(WeightQuantizer.ternary.quantize([1, -3, 0, 2], into: &q, rows: 1, cols: 4), [2.5])
        XCTAssertEqual(q, [0, -2.5, 0, 2.5])
        // 8-bit: s = 127/3
        WeightQuantizer.uniform(bits: 8).quantize([1, -3, 0, 2], into: &q, rows: 1, cols: 4)
        XCTAssertEqual(q[1], -3, accuracy: 1e-12)
        XCTAssertEqual(q[0], (42.0 / 127) * 3, accuracy: 1e-12)
        // per row
        let scales = WeightQuantizer.binary.quantize([1, -1, 4, 4], into: &q, rows: 2, cols: 2)
        XCTAssertEqual(scales, [1, 4])
        XCTAssertThrowsError(try WeightQuantizer(bits: 3))
    }
}
