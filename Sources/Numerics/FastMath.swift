// Branch-free single-precision elementary functions. A loop that calls them compiles to SIMD code;
// libm's expf/erff/tanhf in the same loop are scalar calls and about 25x slower.

/// e^x with a relative error of about 2 ulp; 0 below -87.3 (so masked softmax entries vanish exactly).
@inline(__always)
public func expFast(_ x: Float) -> Float {
    let xc = Swift.min(Swift.max(x, -87.3), 88.37)
    // Round to nearest with the 1.5·2²³ trick: unlike `rounded()` (a libm call) it vectorizes.
    let n = (xc * 1.442_695_04 + 12_582_912.0) - 12_582_912.0
    let r = (xc - n * 0.693_145_75) - n * 1.428_606_8e-6
    var p: Float = 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    // A NaN x leaves n NaN, which may not reach the integer conversion (a trap); p is NaN then, and so the result.
    let scale = Float(bitPattern: UInt32(bitPattern: (Int32(n.isNaN ? 0 : n) &+ 127) << 23))
    return x < -87.3 ? 0 : p * scale
}

/// erf(x), Abramowitz & Stegun 7.1.26 with the fast exponential: absolute error below 5e-7 (formula 1.5e-7 + rounding).
@inline(__always)
public func erfFast(_ x: Float) -> Float {
    let a = Swift.abs(x)
    let t = 1.0 / (1.0 + 0.327_591_1 * a)
    var p: Float = 1.061_405_429
    p = p * t - 1.453_152_027
    p = p * t + 1.421_413_741
    p = p * t - 0.284_496_736
    p = p * t + 0.254_829_592
    let y = 1.0 - p * t * expFast(-a * a)
    return x < 0 ? -y : y
}

/// tanh(x) with a relative error of a few ulp: an odd series near 0, (1 − e^{−2|x|}) / (1 + e^{−2|x|}) elsewhere.
@inline(__always)
public func tanhFast(_ x: Float) -> Float {
    let a = Swift.abs(x)
    let e = expFast(-2 * Swift.min(a, 10))
    let big = (1 - e) / (1 + e)
    let a2 = a * a
    let small = a * (1 + a2 * (-1.0 / 3.0 + a2 * (2.0 / 15.0 + a2 * (-17.0 / 315.0))))
    let y = a < 0.1 ? small : big
    return x < 0 ? -y : y
}
