import Numerics
import XCTest

/// The fake-quantization and distillation kernels against plain scalar references (libm rounding, one thread), in
/// Float and Double, on one and several threads and sizes that do not split evenly.
final class QuantizationKernelTests: XCTestCase {
    private func values<T: BLASReal>(_: T.Type, _ n: Int, seed: UInt64) -> [T] {
        var rng = SeededRNG(seed: seed)
        // Some exact grid points and exact ties, so round-half-even is exercised.
        return (0..<n).map { i in i % 17 == 0 ? T(Double(i % 7) * 0.25 - 1) : T(3 * rng.normal()) }
    }

    private func withThreads<R>(_ threads: Int, _ body: () -> R) -> R {
        let saved = Parallel.threads
        Parallel.threads = threads
        defer { Parallel.threads = saved }
        return body()
    }

    func testClampedQuantizerMatchesReference() {
        check(Float.self)
        check(Double.self)
    }

    /// The clamped range skips NaNs, clamps infinities and reports (∞, −∞) when nothing but NaN is there, as the
    /// element-wise reference does.
    func testClampedRangeEdgeValues() {
        func reference(_ x: [Float], lo: Double, hi: Double) -> (Double, Double) {
            var mn = Double.infinity, mx = -Double.infinity
            for v in x { let c = min(max(Double(v), lo), hi); mn = min(mn, c); mx = max(mx, c) }
            return (mn, mx)
        }
        for x: [Float] in [[.nan, 1, -3, .infinity, 0.5], [.nan, .nan], [], [-.infinity, .nan, 2, 7, 1, 1, 1, 1, 1, -1],
                           [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25]] {
            let r = Float.kernelClampedRange(x, x.count, lo: -2.5, hi: 2.25)
            let e = reference(x, lo: -2.5, hi: 2.25)
            XCTAssertEqual(r.min, e.0, "\(x)")
            XCTAssertEqual(r.max, e.1, "\(x)")
        }
    }

    /// The eight-lane clamp kernels give the scalar loops' exact bits: the range, dx, and the two sums added in index
    /// order (one thread: one slice), with bounds the storage type cannot hold (compared in Double), values exactly
    /// on and next to the bounds, signed zeros, NaNs and infinities, and lengths that are not multiples of eight.
    func testClampKernelsMatchTheScalarLoopsBitForBit() {
        exactClamp(Float.self)
        exactClamp(Double.self)
    }

    private func exactClamp<T: BLASReal>(_: T.Type) {
        for (lo, hi) in [(-2.5, 2.25), (-0.1, 0.3), (-1.000_000_000_1, 0.999_999_999_9), (0.0, 1e39), (-1e39, 0.0)] {
            for n in [0, 5, 8, 13, 64, 1_001] {
                var rng = SeededRNG(seed: UInt64(n) &+ 7)
                let special: [T] = [T(lo), T(hi), T(lo).nextDown, T(lo).nextUp, T(hi).nextDown, T(hi).nextUp, 0, -0.0,
                                    .nan, .infinity, -.infinity]
                let x: [T] = (0..<n).map { i in i % 5 == 0 ? special[(i / 5) % special.count] : T(rng.normal()) }
                let dy: [T] = (0..<n).map { i in i % 9 == 4 ? -0.0 : T(rng.normal()) }
                // The scalar loops the kernels replaced.
                var gLo = 0.0, gHi = 0.0
                var expectedDx = [T](repeating: 0.5, count: n)
                for i in 0..<n {
                    let v = Double(x[i]), d = dy[i]
                    let below = v <= lo, above = v >= hi
                    gLo += below ? Double(d) : 0
                    gHi += above ? Double(d) : 0
                    expectedDx[i] += (below || above) ? 0 : d
                }
                var mn = T.infinity, mx = -T.infinity
                for v in x { mn = v < mn ? v : mn; mx = v > mx ? v : mx }
                let range = mn <= mx ? (min(max(Double(mn), lo), hi), min(max(Double(mx), lo), hi)) : (Double.infinity, -Double.infinity)
                withThreads(1) {
                    var dx = [T](repeating: 0.5, count: n)
                    let g = T.kernelClampBackward(x, dy, &dx, n, lo: lo, hi: hi)
                    XCTAssertEqual(g.lo.bitPattern, gLo.bitPattern, "\(T.self) n \(n) [\(lo), \(hi)]")
                    XCTAssertEqual(g.hi.bitPattern, gHi.bitPattern, "\(T.self) n \(n) [\(lo), \(hi)]")
                    XCTAssertEqual(dx.map { Double($0).bitPattern }, expectedDx.map { Double($0).bitPattern }, "\(T.self) n \(n)")
                    let r = T.kernelClampedRange(x, n, lo: lo, hi: hi)
                    XCTAssertEqual(r.min, range.0, "\(T.self) n \(n)")
                    XCTAssertEqual(r.max, range.1, "\(T.self) n \(n)")
                }
            }
        }
    }

    private func check<T: BLASReal>(_ type: T.Type) {
        for (n, threads) in [(7, 1), (70_001, 1), (70_001, 3), (200_003, 2)] {
            let x = values(T.self, n, seed: UInt64(n))
            let dy = values(T.self, n, seed: UInt64(n) + 1)
            let lo = -2.5, hi = 2.25
            // Reference.
            var mn = Double.infinity, mx = -Double.infinity
            for v in x { let c = min(max(Double(v), lo), hi); mn = min(mn, c); mx = max(mx, c) }
            let s = 255 / (mx - mn), z = (mn * s).rounded(.toNearestOrEven)
            let expected = x.map { v in T(((min(max(Double(v), lo), hi) * s - z).rounded(.toNearestOrEven) + z) / s) }
            var gLo = 0.0, gHi = 0.0
            var expectedDx = [T](repeating: 1, count: n)
            for i in 0..<n {
                let v = Double(x[i])
                if v <= lo { gLo += Double(dy[i]) } else if v >= hi { gHi += Double(dy[i]) } else { expectedDx[i] += dy[i] }
            }
            withThreads(threads) {
                let range = T.kernelClampedRange(x, n, lo: lo, hi: hi)
                XCTAssertEqual(range.min, mn)
                XCTAssertEqual(range.max, mx)
                var y = [T](repeating: 0, count: n)
                T.kernelFakeQuantizeClamped(x, &y, n, lo: lo, hi: hi, scale: s, zero: z)
                XCTAssertEqual(y, expected, "\(T.self) n \(n) threads \(threads)")
                var dx = [T](repeating: 1, count: n)
                let g = T.kernelClampBackward(x, dy, &dx, n, lo: lo, hi: hi)
                XCTAssertEqual(dx, expectedDx)
                XCTAssertEqual(g.lo, gLo, accuracy: 1e-9 * max(1, abs(gLo)))
                XCTAssertEqual(g.hi, gHi, accuracy: 1e-9 * max(1, abs(gHi)))
            }
            // LSQ, asymmetric (offset = min) and symmetric.
            for asymmetric in [false, true] {
                let step = 0.37, (qn, qp) = asymmetric ? (0.0, 15.0) : (-8.0, 7.0)
                let offset = asymmetric ? Double(x.min()!) : 0
                let expectedY = x.map { v in T(min(max((Double(v) - offset) / step, qn), qp).rounded(.toNearestOrEven) * step + offset) }
                var gs = 0.0
                var expectedDx = [T](repeating: 0, count: n)
                for i in 0..<n {
                    let v = (Double(x[i]) - offset) / step
                    if v < qn { gs += qn * Double(dy[i]) } else if v > qp { gs += qp * Double(dy[i]) } else {
                        expectedDx[i] += dy[i]
                        gs += (v.rounded(.toNearestOrEven) - v) * Double(dy[i])
                    }
                }
                withThreads(threads) {
                    XCTAssertEqual(T.kernelMinimum(x, n), Double(x.min()!))
                    var y = [T](repeating: 0, count: n)
                    T.kernelFakeQuantizeLSQ(x, &y, n, step: step, offset: offset, qn: qn, qp: qp)
                    XCTAssertEqual(y, expectedY)
                    var dx = [T](repeating: 0, count: n)
                    let g = T.kernelLSQBackward(x, dy, &dx, n, step: step, offset: offset, qn: qn, qp: qp)
                    XCTAssertEqual(dx, expectedDx)
                    XCTAssertEqual(g, gs, accuracy: 1e-9 * max(1, abs(gs)))
                }
            }
        }
    }

    func testSquaredErrorWithMask() {
        for (n, threads) in [(5, 1), (100_001, 3)] {
            let s = values(Double.self, n, seed: 3).enumerated().map { $0.offset % 11 == 0 ? -1e4 : $0.element }
            let t = values(Double.self, n, seed: 4).enumerated().map { $0.offset % 13 == 0 ? -1e4 : $0.element }
            var total = 0.0
            var expected = [Double](repeating: 0, count: n)
            for i in 0..<n {
                let sv = s[i] <= -100 ? 0 : s[i], tv = t[i] <= -100 ? 0 : t[i]
                total += (sv - tv) * (sv - tv)
                expected[i] = s[i] <= -100 ? 0 : 0.5 * (sv - tv)
            }
            withThreads(threads) {
                var g = [Double](repeating: 7, count: n)
                let loss = Double.kernelSquaredError(s, t, gradient: &g, n, gradScale: 0.5, maskBelow: -100)
                XCTAssertEqual(loss, total, accuracy: 1e-9 * total)
                XCTAssertEqual(g, expected)
                let unmasked = Double.kernelSquaredError(s, s, gradient: &g, n, gradScale: 1, maskBelow: -.infinity)
                XCTAssertEqual(unmasked, 0)
            }
        }
    }
}
