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
