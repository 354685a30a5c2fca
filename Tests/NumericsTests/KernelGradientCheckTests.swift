import XCTest
import Numerics

/// Finite-difference checks (Double) of every elementwise and row kernel's backward.
final class KernelGradientCheckTests: XCTestCase {
    /// For y = f(inputs), checks ∂(r·y)/∂input_k from `backward` against central differences.
    /// `forward(inputs) -> y`; `backward(inputs, r) -> gradients per input`.
    func check(inputs: [[Double]], forward: ([[Double]]) -> [Double], backward: ([[Double]], [Double]) -> [[Double]],
               tolerance: Double = 1e-7, file: StaticString = #filePath, line: UInt = #line) {
        var rng = SeededRNG(seed: 3)
        let y0 = forward(inputs)
        let r = (0..<y0.count).map { _ in rng.normal() }
        let analytic = backward(inputs, r)
        let h = 1e-6
        for (k, input) in inputs.enumerated() {
            var num = 0.0, den = 0.0
            for i in 0..<input.count {
                var plus = inputs, minus = inputs
                plus[k][i] += h
                minus[k][i] -= h
                let yp = forward(plus), ym = forward(minus)
                var fd = 0.0
                for j in 0..<r.count { fd += r[j] * (yp[j] - ym[j]) }
                fd /= 2 * h
                num += (fd - analytic[k][i]) * (fd - analytic[k][i])
                den += fd * fd
            }
            let rel = num.squareRoot() / max(den.squareRoot(), 1e-12)
            XCTAssertLessThan(rel, tolerance, "input \(k): relative error \(rel)", file: file, line: line)
        }
    }

    func randomVector(_ n: Int, seed: UInt64, scale: Double = 1.5) -> [Double] {
        var rng = SeededRNG(seed: seed)
        return (0..<n).map { _ in scale * rng.normal() }
    }

    typealias Unary = (UnsafePointer<Double>, UnsafeMutablePointer<Double>, Int) -> Void
    typealias UnaryBackward = (UnsafePointer<Double>, UnsafePointer<Double>, UnsafeMutablePointer<Double>, Int) -> Void

    func checkElementwise(_ f: @escaping Unary, _ b: @escaping UnaryBackward, backwardFromOutput: Bool = false) {
        let x = randomVector(64, seed: 1)
        check(inputs: [x], forward: { inp in
            var y = [Double](repeating: 0, count: inp[0].count)
            f(inp[0], &y, inp[0].count)
            return y
        }, backward: { inp, r in
            var dx = [Double](repeating: 0, count: inp[0].count)
            var src = inp[0]
            if backwardFromOutput { var y = src; f(inp[0], &y, y.count); src = y }
            b(src, r, &dx, dx.count)
            return [dx]
        })
    }

    func testGELU() { checkElementwise(Double.kernelGELU, Double.kernelGELUBackward) }
    func testGELUTanh() { checkElementwise(Double.kernelGELUTanh, Double.kernelGELUTanhBackward) }
    func testReLU() { checkElementwise(Double.kernelReLU, Double.kernelReLUBackward) }
    func testTanh() { checkElementwise(Double.kernelTanh, Double.kernelTanhBackward, backwardFromOutput: true) }

    func testSoftmaxRows() {
        let rows = 5, cols = 7
        check(inputs: [randomVector(rows * cols, seed: 2)], forward: { inp in
            var y = [Double](repeating: 0, count: rows * cols)
            Double.kernelSoftmaxRows(inp[0], &y, rows: rows, cols: cols)
            return y
        }, backward: { inp, r in
            var y = [Double](repeating: 0, count: rows * cols)
            Double.kernelSoftmaxRows(inp[0], &y, rows: rows, cols: cols)
            var dx = [Double](repeating: 0, count: rows * cols)
            Double.kernelSoftmaxRowsBackward(y, r, &dx, rows: rows, cols: cols)
            return [dx]
        })
    }

    func testLayerNorm() {
        let rows = 4, cols = 9
        func fwd(_ inp: [[Double]]) -> [Double] {
            var y = [Double](repeating: 0, count: rows * cols)
            var mean = [Double](repeating: 0, count: rows), rstd = mean
            Double.kernelLayerNorm(inp[0], &y, mean: &mean, rstd: &rstd, weight: inp[1], bias: inp[2], rows: rows, cols: cols, eps: 1e-5)
            return y
        }
        check(inputs: [randomVector(rows * cols, seed: 4), randomVector(cols, seed: 5), randomVector(cols, seed: 6)],
              forward: fwd, backward: { inp, r in
            var y = [Double](repeating: 0, count: rows * cols)
            var mean = [Double](repeating: 0, count: rows), rstd = mean
            Double.kernelLayerNorm(inp[0], &y, mean: &mean, rstd: &rstd, weight: inp[1], bias: inp[2], rows: rows, cols: cols, eps: 1e-5)
            var dx = [Double](repeating: 0, count: rows * cols), dw = [Double](repeating: 0, count: cols), db = dw
            Double.kernelLayerNormBackward(inp[0], r, mean: mean, rstd: rstd, weight: inp[1], dx: &dx, dweight: &dw, dbias: &db,
                                           rows: rows, cols: cols)
            return [dx, dw, db]
        })
    }

    /// The multi-threaded layer-norm backward reduces per-slice partial sums; check it against one thread, also for
    /// row counts that do not divide evenly (a slice-index bug once let two slices share one partial sum there).
    func testLayerNormBackwardThreadedMatchesSerial() {
        for (rows, threads) in [(512, 2), (511, 3), (37, 2), (37, 3)] {
            checkLayerNormBackwardThreaded(rows: rows, threads: threads)
        }
    }

    private func checkLayerNormBackwardThreaded(rows: Int, threads: Int) {
        let cols = 200
        let x = randomVector(rows * cols, seed: 8), dy = randomVector(rows * cols, seed: 9), w = randomVector(cols, seed: 10)
        func run(threads: Int) -> [Double] {
            let saved = Parallel.threads
            Parallel.threads = threads
            defer { Parallel.threads = saved }
            var y = x, mean = [Double](repeating: 0, count: rows), rstd = mean
            Double.kernelLayerNorm(x, &y, mean: &mean, rstd: &rstd, weight: w, bias: w, rows: rows, cols: cols, eps: 1e-12)
            var dx = [Double](repeating: 0, count: rows * cols), dw = [Double](repeating: 0, count: cols), db = dw
            Double.kernelLayerNormBackward(x, dy, mean: mean, rstd: rstd, weight: w, dx: &dx, dweight: &dw, dbias: &db,
                                           rows: rows, cols: cols)
            return dx + dw + db
        }
        let a = run(threads: 1), b = run(threads: threads)
        for i in a.indices { XCTAssertEqual(a[i], b[i], accuracy: 1e-9 * max(1, abs(a[i])), "rows \(rows), threads \(threads)") }
    }
}
