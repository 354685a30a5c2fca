import Foundation
import Numerics

/// y (n) = act(x)
func activationForward<T: BLASReal>(_ act: Activation, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int) {
    switch act {
    case .gelu: T.kernelGELU(x, y, n)
    case .geluNew: T.kernelGELUTanh(x, y, n)
    case .relu: T.kernelReLU(x, y, n)
    }
}

/// dx (n) += dy · act'(x)
func activationBackward<T: BLASReal>(_ act: Activation, _ x: UnsafePointer<T>, _ dy: UnsafePointer<T>,
                                     _ dx: UnsafeMutablePointer<T>, _ n: Int) {
    switch act {
    case .gelu: T.kernelGELUBackward(x, dy, dx, n)
    case .geluNew: T.kernelGELUTanhBackward(x, dy, dx, n)
    case .relu: T.kernelReLUBackward(x, dy, dx, n)
    }
}

/// Tangent: ty (n) = act'(x) · tx (overwritten).
func activationTangent<T: BLASReal>(_ act: Activation, _ x: UnsafePointer<T>, _ tx: UnsafePointer<T>,
                                    _ ty: UnsafeMutablePointer<T>, _ n: Int) {
    memset(ty, 0, n * MemoryLayout<T>.stride)
    activationBackward(act, x, tx, ty, n)
}

/// R-operator of `activationBackward`: rdx (n) += act''(x) · tx · dy + act'(x) · rdy.
/// GELU (erf): act'' = φ(x)·(2 − x²); GELU (tanh form): act'' = (1 − t²)·(u' + ½x·(u'' − 2t·u'²)) with
/// u = c(x + 0.044715x³), t = tanh u; ReLU: act'' = 0.
@_specialize(where T == Float)
@_specialize(where T == Double)
func activationBackwardR<T: BLASReal>(_ act: Activation, _ x: UnsafePointer<T>, _ tx: UnsafePointer<T>, _ dy: UnsafePointer<T>,
                                      _ rdy: UnsafePointer<T>, _ rdx: UnsafeMutablePointer<T>, _ n: Int) {
    activationBackward(act, x, rdy, rdx, n)
    switch act {
    case .relu:
        return
    case .gelu:
        let invSqrt2Pi = T(0.398_942_280_401_432_677_9)
        Parallel.forSlices(n, workPerItem: 16) { lo, hi in
            for i in lo..<hi {
                let v = x[i]
                let pdf = invSqrt2Pi * T.elementaryExp(T(-0.5) * v * v)
                rdx[i] += pdf * (2 - v * v) * tx[i] * dy[i]
            }
        }
    case .geluNew:
        let c = T(0.797_884_560_802_865_355_9), a = T(0.044715)
        Parallel.forSlices(n, workPerItem: 24) { lo, hi in
            for i in lo..<hi {
                let v = x[i]
                let t = T.elementaryTanh(c * (v + a * v * v * v))
                let du = c * (1 + 3 * a * v * v), ddu = 6 * a * c * v
                let second = (1 - t * t) * (du + T(0.5) * v * (ddu - 2 * t * du * du))
                rdx[i] += second * tx[i] * dy[i]
            }
        }
    }
}

/// Tangent of y = tanh(z) from y: ty (n) = (1 − y²) · tz (overwritten).
@_specialize(where T == Float)
@_specialize(where T == Double)
func tanhTangent<T: BLASReal>(_ y: UnsafePointer<T>, _ tz: UnsafePointer<T>, _ ty: UnsafeMutablePointer<T>, _ n: Int) {
    for i in 0..<n { ty[i] = (1 - y[i] * y[i]) * tz[i] }
}

/// R-operator of `kernelTanhBackward`: rdz (n) += (1 − y²) · rdy − 2y · ty · dy.
@_specialize(where T == Float)
@_specialize(where T == Double)
func tanhBackwardR<T: BLASReal>(_ y: UnsafePointer<T>, _ ty: UnsafePointer<T>, _ dy: UnsafePointer<T>, _ rdy: UnsafePointer<T>,
                                _ rdz: UnsafeMutablePointer<T>, _ n: Int) {
    for i in 0..<n { rdz[i] += (1 - y[i] * y[i]) * rdy[i] - 2 * y[i] * ty[i] * dy[i] }
}

// The R-operator's activation kernels for the k columns of a block at once: act'(x) (and act''(x)) are computed once
// per element for the plain adjoint and every column, with exactly the operations of `activationBackward` and
// `activationBackwardR`, so every output gets the same bits as from those kernels column by column.

/// Elements per chunk of derivatives (kept on the stack).
private let derivativeChunk = 512

/// Runs `body(lo, count, first, second)` over chunks of x[0..<n] with first[i] = act'(x[lo + i]) and second[i] the
/// factor of act''(x[lo + i]) that `activationBackwardR` multiplies by tx·dy (GELU forms only).
@_specialize(where T == Float)
@_specialize(where T == Double)
private func withDerivatives<T: BLASReal>(_ act: Activation, _ x: UnsafePointer<T>, _ n: Int, workPerItem: Int,
                                          _ body: (Int, Int, UnsafePointer<T>, UnsafePointer<T>) -> Void) {
    precondition(act != .relu, "withDerivatives: GELU forms only")
    Parallel.forSlices(n, workPerItem: workPerItem) { lo, hi in
        withUnsafeTemporaryAllocation(of: T.self, capacity: 2 * derivativeChunk) { scratch in
            let first = scratch.baseAddress!, second = first + derivativeChunk
            var start = lo
            while start < hi {
                let count = min(derivativeChunk, hi - start)
                if act == .gelu {
                    T.kernelGELUDerivatives(x + start, first, second, count)
                } else {
                    T.kernelGELUTanhDerivatives(x + start, first, second, count)
                }
                body(start, count, first, second)
                start += count
            }
        }
    }
}

/// `activationTangent` of k columns (tx and ty hold them one after the other, n values each).
@_specialize(where T == Float)
@_specialize(where T == Double)
func activationTangents<T: BLASReal>(_ act: Activation, _ x: UnsafePointer<T>, _ tx: UnsafePointer<T>, _ ty: UnsafeMutablePointer<T>,
                                     _ n: Int, columns k: Int) {
    guard act != .relu else {
        for j in 0..<k { activationTangent(act, x, tx + j * n, ty + j * n, n) }
        return
    }
    memset(ty, 0, k * n * MemoryLayout<T>.stride)
    withDerivatives(act, x, n, workPerItem: 32 + 2 * k) { lo, count, first, _ in
        for j in 0..<k {
            let t = tx + j * n + lo, y = ty + j * n + lo
            for i in 0..<count { y[i] += t[i] * first[i] }
        }
    }
}

/// `activationBackward` of the plain adjoint (dx += act'(x)·dy; nil: skipped) and `activationBackwardR` of k columns
/// (rdx_j += act''(x)·tx_j·dy + act'(x)·rdy_j; without tx `activationBackward` of rdy_j), the columns one after the
/// other (n values each).
@_specialize(where T == Float)
@_specialize(where T == Double)
func activationBackwardColumns<T: BLASReal>(_ act: Activation, _ x: UnsafePointer<T>, dy: UnsafePointer<T>, dx: UnsafeMutablePointer<T>?,
                                            tx: UnsafePointer<T>?, rdy: UnsafePointer<T>, rdx: UnsafeMutablePointer<T>, _ n: Int,
                                            columns k: Int) {
    guard act != .relu else {
        if let dx { activationBackward(act, x, dy, dx, n) }
        for j in 0..<k {
            if let tx { activationBackwardR(act, x, tx + j * n, dy, rdy + j * n, rdx + j * n, n) } else {
                activationBackward(act, x, rdy + j * n, rdx + j * n, n)
            }
        }
        return
    }
    withDerivatives(act, x, n, workPerItem: 32 + 3 * k) { lo, count, first, second in
        if let dx { for i in 0..<count { dx[lo + i] += dy[lo + i] * first[i] } }
        for j in 0..<k {
            let r = rdy + j * n + lo, out = rdx + j * n + lo
            for i in 0..<count { out[i] += r[i] * first[i] }
            if let tx {
                let t = tx + j * n + lo
                for i in 0..<count { out[i] += second[i] * t[i] * dy[lo + i] }
            }
        }
    }
}
