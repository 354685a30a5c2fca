// Default implementations of the fake-quantization and distillation kernels declared in BLASReal (specialized per
// type through the witness tables, like Kernels.swift). Arithmetic is in Double whatever the storage type, so the
// quantization grid does not depend on it; reductions use per-slice partial sums added in slice order
// (reproducible for a given thread count).

/// Round half to even with the 1.5·2⁵² trick (exact for |v| < 2⁵¹): unlike `rounded(.toNearestOrEven)`, a libm
/// call, it vectorizes. Every caller rounds values already bounded by the quantization grid (|v| ≤ 2^bits + 1).
@inline(__always)
func roundHalfEven(_ v: Double) -> Double {
    let magic = 6_755_399_441_055_744.0
    return (v + magic) - magic
}

/// Runs `body(lo, hi)` over the slices of 0..<n that `Parallel.forIndexedSlices` makes and folds the per-slice
/// results with `combine` in slice order (`empty` for n = 0 and slices that got no work).
@inline(__always)
func sliceReduce<R>(_ n: Int, workPerItem: Int, empty: R, _ body: (Int, Int) -> R, combine: (R, R) -> R) -> R {
    let slices = Parallel.sliceCount(n, workPerItem: workPerItem)
    if slices == 1 { return n > 0 ? body(0, n) : empty }
    var partial = [R](repeating: empty, count: slices)
    partial.withUnsafeMutableBufferPointer { out in
        Parallel.forIndexedSlices(n, workPerItem: workPerItem) { slice, lo, hi in out[slice] = body(lo, hi) }
    }
    return partial.dropFirst().reduce(partial[0], combine)
}

@inline(__always)
func sliceSum(_ n: Int, workPerItem: Int, _ body: (Int, Int) -> Double) -> Double {
    sliceReduce(n, workPerItem: workPerItem, empty: 0, body, combine: +)
}

extension BLASReal {
    public static func kernelSquaredError(_ s: UnsafePointer<Self>, _ t: UnsafePointer<Self>, gradient g: UnsafeMutablePointer<Self>,
                                          _ n: Int, gradScale: Double, maskBelow: Double) -> Double {
        sliceSum(n, workPerItem: 4) { lo, hi in
            var total = 0.0
            for i in lo..<hi {
                var sv = Double(s[i]), tv = Double(t[i])
                let live = sv > maskBelow
                if !live { sv = 0 }
                if tv <= maskBelow { tv = 0 }
                let d = sv - tv
                total += d * d
                g[i] = live ? Self(gradScale * d) : 0
            }
            return total
        }
    }

    public static func kernelClampedRange(_ x: UnsafePointer<Self>, _ n: Int, lo: Double, hi: Double) -> (min: Double, max: Double) {
        // Clamping is monotone, so the extremes of the clamped values are the clamped extremes of x: the scan compares
        // in the storage type (exact) with four independent lanes, NaNs skipped as by Swift.min/max.
        let (mn, mx) = sliceReduce(n, workPerItem: 2, empty: (min: Self.infinity, max: -Self.infinity), { a, b in
            var n0 = Self.infinity, n1 = Self.infinity, n2 = Self.infinity, n3 = Self.infinity
            var x0 = -Self.infinity, x1 = -Self.infinity, x2 = -Self.infinity, x3 = -Self.infinity
            var i = a
            while i + 4 <= b {
                let v0 = x[i], v1 = x[i + 1], v2 = x[i + 2], v3 = x[i + 3]
                n0 = v0 < n0 ? v0 : n0; n1 = v1 < n1 ? v1 : n1; n2 = v2 < n2 ? v2 : n2; n3 = v3 < n3 ? v3 : n3
                x0 = v0 > x0 ? v0 : x0; x1 = v1 > x1 ? v1 : x1; x2 = v2 > x2 ? v2 : x2; x3 = v3 > x3 ? v3 : x3
                i += 4
            }
            while i < b {
                let v = x[i]
                n0 = v < n0 ? v : n0; x0 = v > x0 ? v : x0
                i += 1
            }
            n0 = n1 < n0 ? n1 : n0; n2 = n3 < n2 ? n3 : n2; n0 = n2 < n0 ? n2 : n0
            x0 = x1 > x0 ? x1 : x0; x2 = x3 > x2 ? x3 : x2; x0 = x2 > x0 ? x2 : x0
            return (n0, x0)
        }, combine: { ($1.min < $0.min ? $1.min : $0.min, $1.max > $0.max ? $1.max : $0.max) })
        guard mn <= mx else { return (Double.infinity, -Double.infinity) }   // no value but NaN
        return (Swift.min(Swift.max(Double(mn), lo), hi), Swift.min(Swift.max(Double(mx), lo), hi))
    }

    public static func kernelFakeQuantizeClamped(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, _ n: Int,
                                                 lo: Double, hi: Double, scale s: Double, zero z: Double) {
        Parallel.forSlices(n, workPerItem: 4) { a, b in
            for i in a..<b {
                let c = Swift.min(Swift.max(Double(x[i]), lo), hi)
                y[i] = Self((roundHalfEven(c * s - z) + z) / s)
            }
        }
    }

    public static func kernelClampBackward(_ x: UnsafePointer<Self>, _ dy: UnsafePointer<Self>, _ dx: UnsafeMutablePointer<Self>,
                                           _ n: Int, lo: Double, hi: Double) -> (lo: Double, hi: Double) {
        sliceReduce(n, workPerItem: 4, empty: (lo: 0.0, hi: 0.0), { a, b in
            var gLo = 0.0, gHi = 0.0
            for i in a..<b {
                let v = Double(x[i]), d = dy[i]
                let below = v <= lo, above = v >= hi
                gLo += below ? Double(d) : 0
                gHi += above ? Double(d) : 0
                dx[i] += (below || above) ? 0 : d
            }
            return (gLo, gHi)
        }, combine: { ($0.lo + $1.lo, $0.hi + $1.hi) })
    }

    public static func kernelMinimum(_ x: UnsafePointer<Self>, _ n: Int) -> Double {
        sliceReduce(n, workPerItem: 2, empty: Double.infinity, { a, b in
            var mn = Double.infinity
            for i in a..<b { mn = Swift.min(mn, Double(x[i])) }
            return mn
        }, combine: Swift.min)
    }

    public static func kernelFakeQuantizeLSQ(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, _ n: Int,
                                             step s: Double, offset: Double, qn: Double, qp: Double) {
        Parallel.forSlices(n, workPerItem: 4) { a, b in
            for i in a..<b {
                let v = Swift.min(Swift.max((Double(x[i]) - offset) / s, qn), qp)
                y[i] = Self(roundHalfEven(v) * s + offset)
            }
        }
    }

    public static func kernelLSQBackward(_ x: UnsafePointer<Self>, _ dy: UnsafePointer<Self>, _ dx: UnsafeMutablePointer<Self>,
                                         _ n: Int, step s: Double, offset: Double, qn: Double, qp: Double) -> Double {
        sliceSum(n, workPerItem: 6) { a, b in
            var gs = 0.0
            for i in a..<b {
                let v = (Double(x[i]) - offset) / s, d = dy[i]
                let below = v < qn, above = v > qp
                gs += below ? qn * Double(d) : (above ? qp * Double(d) : (roundHalfEven(v) - v) * Double(d))
                dx[i] += (below || above) ? 0 : d
            }
            return gs
        }
    }
}
