// Default implementations of the elementwise and row kernels declared in BLASReal. They are generic, but each
// conformance (Float, Double) gets its own specialized, vectorized copy because the witness tables point at them.

/// Sum of p[0..<n] with eight independent accumulators: Swift does not reassociate floating-point adds, so a
/// plain `s += p[i]` loop stays scalar, while eight partial sums vectorize. (Fixed order: reproducible.)
@inline(__always)
func partialSum<T: BLASReal>(_ p: UnsafePointer<T>, _ n: Int) -> T {
    var a0: T = 0, a1: T = 0, a2: T = 0, a3: T = 0, a4: T = 0, a5: T = 0, a6: T = 0, a7: T = 0
    var i = 0
    while i + 8 <= n {
        a0 += p[i]; a1 += p[i + 1]; a2 += p[i + 2]; a3 += p[i + 3]
        a4 += p[i + 4]; a5 += p[i + 5]; a6 += p[i + 6]; a7 += p[i + 7]
        i += 8
    }
    while i < n { a0 += p[i]; i += 1 }
    return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))
}

/// Maximum of p[0..<n] (n ≥ 1), eight lanes as in `partialSum`.
@inline(__always)
func partialMax<T: BLASReal>(_ p: UnsafePointer<T>, _ n: Int) -> T {
    var m = [T](repeating: p[0], count: 8)
    var i = 0
    return m.withUnsafeMutableBufferPointer { lanes -> T in
        while i + 8 <= n {
            for k in 0..<8 { lanes[k] = Swift.max(lanes[k], p[i + k]) }
            i += 8
        }
        var r = lanes[0]
        for k in 1..<8 { r = Swift.max(r, lanes[k]) }
        while i < n { r = Swift.max(r, p[i]); i += 1 }
        return r
    }
}

extension BLASReal {
    public static func kernelGELU(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, _ n: Int) {
        let invSqrt2 = Self(0.707_106_781_186_547_524_4)
        Parallel.forSlices(n, workPerItem: 16) { lo, hi in
            for i in lo..<hi {
                let v = x[i]
                y[i] = Self(0.5) * v * (1 + elementaryErf(v * invSqrt2))
            }
        }
    }

    public static func kernelGELUBackward(_ x: UnsafePointer<Self>, _ dy: UnsafePointer<Self>, _ dx: UnsafeMutablePointer<Self>, _ n: Int) {
        let invSqrt2 = Self(0.707_106_781_186_547_524_4)
        let invSqrt2Pi = Self(0.398_942_280_401_432_677_9)
        Parallel.forSlices(n, workPerItem: 24) { lo, hi in
            for i in lo..<hi {
                let v = x[i]
                let cdf = Self(0.5) * (1 + elementaryErf(v * invSqrt2))
                let pdf = invSqrt2Pi * elementaryExp(Self(-0.5) * v * v)
                dx[i] += dy[i] * (cdf + v * pdf)
            }
        }
    }

    public static func kernelGELUTanh(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, _ n: Int) {
        let c = Self(0.797_884_560_802_865_355_9)
        Parallel.forSlices(n, workPerItem: 16) { lo, hi in
            for i in lo..<hi {
                let v = x[i]
                y[i] = Self(0.5) * v * (1 + elementaryTanh(c * (v + Self(0.044715) * v * v * v)))
            }
        }
    }

    public static func kernelGELUTanhBackward(_ x: UnsafePointer<Self>, _ dy: UnsafePointer<Self>, _ dx: UnsafeMutablePointer<Self>, _ n: Int) {
        let c = Self(0.797_884_560_802_865_355_9)
        Parallel.forSlices(n, workPerItem: 24) { lo, hi in
            for i in lo..<hi {
                let v = x[i]
                let t = elementaryTanh(c * (v + Self(0.044715) * v * v * v))
                let dInner = c * (1 + 3 * Self(0.044715) * v * v)
                dx[i] += dy[i] * (Self(0.5) * (1 + t) + Self(0.5) * v * (1 - t * t) * dInner)
            }
        }
    }

    public static func kernelGELUDerivatives(_ x: UnsafePointer<Self>, _ first: UnsafeMutablePointer<Self>, _ second: UnsafeMutablePointer<Self>,
                                             _ n: Int) {
        let invSqrt2 = Self(0.707_106_781_186_547_524_4)
        let invSqrt2Pi = Self(0.398_942_280_401_432_677_9)
        for i in 0..<n {
            let v = x[i]
            let cdf = Self(0.5) * (1 + elementaryErf(v * invSqrt2))
            let pdf = invSqrt2Pi * elementaryExp(Self(-0.5) * v * v)
            first[i] = cdf + v * pdf
            second[i] = pdf * (2 - v * v)
        }
    }

    public static func kernelGELUTanhDerivatives(_ x: UnsafePointer<Self>, _ first: UnsafeMutablePointer<Self>,
                                                 _ second: UnsafeMutablePointer<Self>, _ n: Int) {
        let c = Self(0.797_884_560_802_865_355_9), a = Self(0.044715)
        for i in 0..<n {
            let v = x[i]
            let t = elementaryTanh(c * (v + a * v * v * v))
            let du = c * (1 + 3 * a * v * v)
            first[i] = Self(0.5) * (1 + t) + Self(0.5) * v * (1 - t * t) * du
            second[i] = (1 - t * t) * (du + Self(0.5) * v * (6 * a * c * v - 2 * t * du * du))
        }
    }

    public static func kernelReLU(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, _ n: Int) {
        for i in 0..<n { y[i] = x[i] > 0 ? x[i] : 0 }
    }

    public static func kernelReLUBackward(_ x: UnsafePointer<Self>, _ dy: UnsafePointer<Self>, _ dx: UnsafeMutablePointer<Self>, _ n: Int) {
        for i in 0..<n { dx[i] += x[i] > 0 ? dy[i] : 0 }
    }

    public static func kernelTanh(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, _ n: Int) {
        for i in 0..<n { y[i] = elementaryTanh(x[i]) }
    }

    public static func kernelTanhBackward(_ y: UnsafePointer<Self>, _ dy: UnsafePointer<Self>, _ dx: UnsafeMutablePointer<Self>, _ n: Int) {
        for i in 0..<n { dx[i] += dy[i] * (1 - y[i] * y[i]) }
    }

    public static func kernelSoftmaxRows(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, rows: Int, cols: Int) {
        Parallel.forSlices(rows, workPerItem: cols * 8) { lo, hi in
            for r in lo..<hi {
                let xr = x + r * cols, yr = y + r * cols
                let m = partialMax(xr, cols)
                for j in 0..<cols { yr[j] = elementaryExp(xr[j] - m) }
                let inv = 1 / partialSum(yr, cols)
                for j in 0..<cols { yr[j] *= inv }
            }
        }
    }

    public static func kernelSoftmaxRowsBackward(_ y: UnsafePointer<Self>, _ dy: UnsafePointer<Self>, _ dx: UnsafeMutablePointer<Self>,
                                                 rows: Int, cols: Int) {
        Parallel.forSlices(rows, workPerItem: cols * 4) { lo, hi in
            for r in lo..<hi {
                let yr = y + r * cols, dyr = dy + r * cols, dxr = dx + r * cols
                let s = dot(n: cols, x: yr, incx: 1, y: dyr, incy: 1)
                for j in 0..<cols { dxr[j] = yr[j] * (dyr[j] - s) }
            }
        }
    }

    public static func kernelLayerNorm(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, mean: UnsafeMutablePointer<Self>,
                                       rstd: UnsafeMutablePointer<Self>, weight: UnsafePointer<Self>, bias: UnsafePointer<Self>,
                                       rows: Int, cols: Int, eps: Self) {
        let invC = 1 / Self(cols)
        Parallel.forSlices(rows, workPerItem: cols * 6) { lo, hi in
            for r in lo..<hi {
                let xr = x + r * cols, yr = y + r * cols
                let mu = partialSum(xr, cols) * invC
                // Two-pass variance; yr holds the centred row meanwhile.
                for j in 0..<cols { yr[j] = xr[j] - mu }
                let v = dot(n: cols, x: yr, incx: 1, y: yr, incy: 1)
                let rs = 1 / (v * invC + eps).squareRoot()
                for j in 0..<cols { yr[j] = (xr[j] - mu) * rs * weight[j] + bias[j] }
                mean[r] = mu
                rstd[r] = rs
            }
        }
    }

    public static func kernelLayerNormBackward(_ x: UnsafePointer<Self>, _ dy: UnsafePointer<Self>, mean: UnsafePointer<Self>,
                                               rstd: UnsafePointer<Self>, weight: UnsafePointer<Self>,
                                               dx: UnsafeMutablePointer<Self>, dweight: UnsafeMutablePointer<Self>,
                                               dbias: UnsafeMutablePointer<Self>, rows: Int, cols: Int) {
        let slices = Parallel.sliceCount(rows, workPerItem: cols * 10)
        // Per-slice partial sums of dweight and dbias, reduced in slice order: deterministic.
        let partial = UnsafeMutablePointer<Self>.allocate(capacity: 2 * cols * slices)
        partial.initialize(repeating: 0, count: 2 * cols * slices)
        defer { partial.deallocate() }
        let invC = 1 / Self(cols)
        Parallel.forIndexedSlices(rows, workPerItem: cols * 10) { slice, lo, hi in
            let dw = partial + 2 * cols * slice, db = dw + cols
            for r in lo..<hi {
                let xr = x + r * cols, dyr = dy + r * cols, dxr = dx + r * cols
                let mu = mean[r], rs = rstd[r]
                var sumG: Self = 0, sumGX: Self = 0
                for j in 0..<cols {
                    let xhat = (xr[j] - mu) * rs
                    let g = dyr[j] * weight[j]
                    sumG += g
                    sumGX += g * xhat
                    dw[j] += dyr[j] * xhat
                    db[j] += dyr[j]
                }
                let mG = sumG * invC, mGX = sumGX * invC
                for j in 0..<cols {
                    let xhat = (xr[j] - mu) * rs
                    dxr[j] += rs * (dyr[j] * weight[j] - mG - xhat * mGX)
                }
            }
        }
        for s in 0..<slices {
            let dw = partial + 2 * cols * s, db = dw + cols
            for j in 0..<cols { dweight[j] += dw[j]; dbias[j] += db[j] }
        }
    }

    public static func kernelAddRowVector(_ y: UnsafeMutablePointer<Self>, _ bias: UnsafePointer<Self>, rows: Int, cols: Int) {
        Parallel.forSlices(rows, workPerItem: cols) { lo, hi in
            for r in lo..<hi {
                let yr = y + r * cols
                for j in 0..<cols { yr[j] += bias[j] }
            }
        }
    }

    public static func kernelSumRows(_ dy: UnsafePointer<Self>, _ dbias: UnsafeMutablePointer<Self>, rows: Int, cols: Int) {
        for r in 0..<rows {
            let dyr = dy + r * cols
            for j in 0..<cols { dbias[j] += dyr[j] }
        }
    }

    public static func kernelAdd(_ x: UnsafePointer<Self>, _ y: UnsafePointer<Self>, _ z: UnsafeMutablePointer<Self>, _ n: Int) {
        Parallel.forSlices(n, workPerItem: 1) { lo, hi in
            for i in lo..<hi { z[i] = x[i] + y[i] }
        }
    }

    public static func kernelFromDouble(_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Self>, _ n: Int) {
        for i in 0..<n { y[i] = Self(x[i]) }
    }

    public static func kernelOffsetFromDouble(_ origin: UnsafePointer<Self>, _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>,
                                              x: Double, y: Double, scale: Double, _ out: UnsafeMutablePointer<Self>, _ n: Int) {
        // scale · s is exact for scale 1 (and 0.5), so one loop serves the plain and the split case.
        for i in 0..<n { out[i] = Self(Double(origin[i]) + scale * (x * a[i] + y * b[i])) }
    }

    public static func kernelToDouble(_ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Double>, _ n: Int) {
        for i in 0..<n { y[i] = Double(x[i]) }
    }

    public static func kernelFirstNonFinite(_ x: UnsafePointer<Self>, _ n: Int) -> Int? {
        // x · 0 is 0 for a finite x and NaN otherwise, so the lanes' sums are all 0 exactly when every x is finite:
        // eight independent lanes (one vector add per eight values, not one dependent scalar add per value); only a
        // non-finite sum needs the search.
        var lanes = SIMD8<Self>(repeating: 0)
        let raw = UnsafeRawPointer(x)
        var i = 0
        while i + 8 <= n {
            lanes += raw.loadUnaligned(fromByteOffset: i * MemoryLayout<Self>.stride, as: SIMD8<Self>.self) * 0
            i += 8
        }
        var s = lanes.sum()
        while i < n { s += x[i] * 0; i += 1 }
        guard !s.isFinite else { return nil }
        for i in 0..<n where !x[i].isFinite { return i }
        return nil
    }

    public static func kernelMultiply(_ x: UnsafePointer<Self>, _ m: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Self>, _ n: Int) {
        for i in 0..<n { y[i] = x[i] * m[i] }
    }

    public static func kernelDropoutMask(_ mask: UnsafeMutablePointer<Self>, _ n: Int, probability p: Double, rng: inout SeededRNG) {
        let keep = Self(1 / (1 - p))
        for i in 0..<n { mask[i] = rng.uniform() < p ? 0 : keep }
    }

    public static func kernelAdamStep(_ p: UnsafeMutablePointer<Self>, _ g: UnsafePointer<Self>, _ m: UnsafeMutablePointer<Self>,
                                      _ v: UnsafeMutablePointer<Self>, _ n: Int, lr: Double, beta1: Double, beta2: Double,
                                      eps: Double, weightDecay: Double, correction1: Double, correction2: Double, gradScale: Double) {
        let b1 = Self(beta1), b2 = Self(beta2), ob1 = Self(1 - beta1), ob2 = Self(1 - beta2)
        let e = Self(eps), wd = Self(weightDecay), rate = Self(lr), gs = Self(gradScale)
        let ic1 = Self(1 / correction1), ic2 = Self(1 / correction2)
        Parallel.forSlices(n, workPerItem: 12) { lo, hi in
            for i in lo..<hi {
                let gi = g[i] * gs
                let mi = b1 * m[i] + ob1 * gi
                let vi = b2 * v[i] + ob2 * gi * gi
                m[i] = mi
                v[i] = vi
                let update = (mi * ic1) / ((vi * ic2).squareRoot() + e) + wd * p[i]
                p[i] -= rate * update
            }
        }
    }
}
