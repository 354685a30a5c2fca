import Numerics

/// v ← v − Σ_u (u·v) u over the (orthonormal) vectors `basis`: one classical Gram–Schmidt pass.
func project(_ v: UnsafeMutablePointer<Double>, _ n: Int, outOf basis: [[Double]]) {
    for u in basis {
        u.withUnsafeBufferPointer { up in
            let c = Double.dot(n: n, x: up.baseAddress!, incx: 1, y: v, incy: 1)
            Double.axpy(n: n, alpha: -c, x: up.baseAddress!, incx: 1, y: v, incy: 1)
        }
    }
}
