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
