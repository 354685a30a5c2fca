import XCTest
import Foundation
import Numerics

/// Accuracy of the vectorizable single-precision functions against libm in Double.
final class FastMathTests: XCTestCase {
    func testExpFast() {
        var worst = 0.0
        var x: Float = -87
        while x < 88 {
            let rel = abs(Double(expFast(x)) - Foundation.exp(Double(x))) / Foundation.exp(Double(x))
            worst = max(worst, rel)
            x += 0.0137
        }
        XCTAssertLessThan(worst, 4e-7)
        XCTAssertEqual(expFast(-100), 0)
        XCTAssertEqual(expFast(0), 1)
        // Non-finite inputs give IEEE's answers, not a trap (a diverged run's activations reach here).
        XCTAssertTrue(expFast(.nan).isNaN)
        XCTAssertTrue(erfFast(.nan).isNaN)
        XCTAssertTrue(tanhFast(.nan).isNaN)
        XCTAssertEqual(expFast(-.infinity), 0)
    }

    func testErfFast() {
        var worst = 0.0
        var x: Float = -6
        while x < 6 { worst = max(worst, abs(Double(erfFast(x)) - Foundation.erf(Double(x)))); x += 0.001 }
        XCTAssertLessThan(worst, 5e-7)
    }

    func testTanhFast() {
        var worst = 0.0
        var x: Float = -12
        while x < 12 {
            let ref = Foundation.tanh(Double(x))
            worst = max(worst, abs(Double(tanhFast(x)) - ref) / max(abs(ref), 1e-30))
            x += 0.00731
        }
        XCTAssertLessThan(worst, 1e-6)
    }

    func testFloatGELUMatchesDouble() {
        let xs: [Float] = stride(from: -8, through: 8, by: 0.01).map { Float($0) }
        var yf = [Float](repeating: 0, count: xs.count)
        Float.kernelGELU(xs, &yf, xs.count)
        let xd = xs.map(Double.init)
        var yd = [Double](repeating: 0, count: xs.count)
        Double.kernelGELU(xd, &yd, xs.count)
        for i in xs.indices { XCTAssertEqual(Double(yf[i]), yd[i], accuracy: 1e-6 * max(1, abs(yd[i]))) }
    }
}
