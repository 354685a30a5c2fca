import Numerics

// The forward and backward of LayerNorm are Numerics kernels (`kernelLayerNorm`, `kernelLayerNormBackward`); these
// are their tangent and R-operator for exact Hessian-vector products. Notation per row of C entries:
// x̂ = (x − μ)·r, r = (var + eps)^(−1/2), y = x̂ ⊙ γ + β.

/// Tangent: ty (rows, C) = ṫx̂ ⊙ γ + x̂ ⊙ tγ + tβ with ṫx̂ = r·(tx − mean(tx) − x̂·mean(x̂ ⊙ tx)); nil tangents are zero.
@_specialize(where T == Float)
@_specialize(where T == Double)
func layerNormTangent<T: BLASReal>(_ ty: UnsafeMutablePointer<T>, tx: UnsafePointer<T>?, x: UnsafePointer<T>,
                                   mean: UnsafePointer<T>, rstd: UnsafePointer<T>, weight: UnsafePointer<T>,
                                   tweight: UnsafePointer<T>?, tbias: UnsafePointer<T>?, rows: Int, cols c: Int) {
    let invC = 1 / T(c)
    Parallel.forSlices(rows, workPerItem: c * 8) { lo, hi in
        for r in lo..<hi {
            let xr = x + r * c, yr = ty + r * c
            let mu = mean[r], rs = rstd[r]
            if let tx {
                let txr = tx + r * c
                var sumT: T = 0, sumXT: T = 0
                for j in 0..<c {
                    sumT += txr[j]
                    sumXT += (xr[j] - mu) * rs * txr[j]
                }
                let mT = sumT * invC, mXT = sumXT * invC
                for j in 0..<c {
                    let xhat = (xr[j] - mu) * rs
                    yr[j] = rs * (txr[j] - mT - xhat * mXT) * weight[j]
                }
            } else {
                for j in 0..<c { yr[j] = 0 }
            }
            if let tweight { for j in 0..<c { yr[j] += (xr[j] - mu) * rs * tweight[j] } }
            if let tbias { for j in 0..<c { yr[j] += tbias[j] } }
        }
    }
}

/// The backward pass of LayerNorm and its R-operator together. Given dy and its tangent rdy, the input's tangent tx
/// and the gain's tangent tγ (nil: zero):
/// dx (overwritten) = r·(g − mean g − x̂·mean(g ⊙ x̂)), g = dy ⊙ γ (the ordinary backward);
/// rdx (overwritten) = its tangent; rdγ += Σ_rows (rdy ⊙ x̂ + dy ⊙ ṫx̂); rdβ += Σ_rows rdy (nil: skipped).
/// `dx` may be nil when the input's gradient is not needed (the lowest layer of a partial pass); so may `rdx`.
@_specialize(where T == Float)
@_specialize(where T == Double)
func layerNormBackwardR<T: BLASReal>(dx: UnsafeMutablePointer<T>?, rdx: UnsafeMutablePointer<T>?,
                                     rdweight: UnsafeMutablePointer<T>?, rdbias: UnsafeMutablePointer<T>?,
                                     dy: UnsafePointer<T>, rdy: UnsafePointer<T>, x: UnsafePointer<T>, tx: UnsafePointer<T>?,
                                     mean: UnsafePointer<T>, rstd: UnsafePointer<T>, weight: UnsafePointer<T>,
                                     tweight: UnsafePointer<T>?, rows: Int, cols c: Int) {
    let invC = 1 / T(c)
    let slices = Parallel.sliceCount(rows, workPerItem: c * 16)
    // Per-slice partial sums of rdγ and rdβ, reduced in slice order: deterministic for a thread count.
    let partial = UnsafeMutablePointer<T>.allocate(capacity: 2 * c * slices)
    partial.initialize(repeating: 0, count: 2 * c * slices)
    defer { partial.deallocate() }
    Parallel.forIndexedSlices(rows, workPerItem: c * 16) { slice, lo, hi in
        let pw = partial + 2 * c * slice, pb = pw + c
        for r in lo..<hi {
            let xr = x + r * c, dyr = dy + r * c, rdyr = rdy + r * c
            let mu = mean[r], rs = rstd[r]
            // Tangent of x̂: r·(tx − mean(tx) − x̂·mean(x̂ tx)); zero without tx.
            var mT: T = 0, mXT: T = 0
            if let tx {
                let txr = tx + r * c
                var sumT: T = 0, sumXT: T = 0
                for j in 0..<c { sumT += txr[j]; sumXT += (xr[j] - mu) * rs * txr[j] }
                mT = sumT * invC; mXT = sumXT * invC
            }
            @inline(__always) func txhat(_ j: Int) -> T {
                guard let tx else { return 0 }
                return rs * (tx[r * c + j] - mT - (xr[j] - mu) * rs * mXT)
            }
            var sumG: T = 0, sumGX: T = 0, sumRG: T = 0, sumRGX: T = 0
            for j in 0..<c {
                let xhat = (xr[j] - mu) * rs
                let g = dyr[j] * weight[j]
                var rg = rdyr[j] * weight[j]
                if let tweight { rg += dyr[j] * tweight[j] }
                let tXhat = txhat(j)
                sumG += g
                sumGX += g * xhat
                sumRG += rg
                sumRGX += rg * xhat + g * tXhat
                pw[j] += rdyr[j] * xhat + dyr[j] * tXhat
                pb[j] += rdyr[j]
            }
            let mG = sumG * invC, mGX = sumGX * invC, mRG = sumRG * invC, mRGX = sumRGX * invC
            // ṙ/r = −r·mean(x̂ ⊙ tx).
            let rRatio = -rs * mXT
            for j in 0..<c {
                let xhat = (xr[j] - mu) * rs
                let g = dyr[j] * weight[j]
                let primal = rs * (g - mG - xhat * mGX)
                dx?[r * c + j] = primal
                if let rdx {
                    var rg = rdyr[j] * weight[j]
                    if let tweight { rg += dyr[j] * tweight[j] }
                    rdx[r * c + j] = rRatio * primal + rs * (rg - mRG - txhat(j) * mGX - xhat * mRGX)
                }
            }
        }
    }
    for s in 0..<slices {
        let pw = partial + 2 * c * s, pb = pw + c
        if let rdweight { for j in 0..<c { rdweight[j] += pw[j] } }
        if let rdbias { for j in 0..<c { rdbias[j] += pb[j] } }
    }
}
