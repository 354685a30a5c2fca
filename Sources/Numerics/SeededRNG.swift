import Foundation

/// xoshiro256** seeded through SplitMix64 from a (seed, stream) pair. Streams with different ids are
/// independent for practical purposes, so every consumer (init, dropout, shuffling, probes) takes its own
/// stream and results do not depend on the order in which consumers draw.
public struct SeededRNG: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64
    private var spareNormal: Double?

    public init(seed: UInt64, stream: UInt64 = 0) {
        var sm = seed ^ (stream &* 0xD1B5_4A32_D192_ED03) ^ 0x9E37_79B9_7F4A_7C15
        func splitMix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(&sm); s1 = splitMix(&sm); s2 = splitMix(&sm); s3 = splitMix(&sm)
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }
    }

    /// A child stream derived from this generator's state and a label; does not advance `self`.
    public func derived(_ label: UInt64) -> SeededRNG {
        SeededRNG(seed: s0 ^ s2, stream: label &+ s1)
    }

    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Standard normal (Box–Muller, both values used).
    public mutating func normal() -> Double {
        if let z = spareNormal { spareNormal = nil; return z }
        var u1 = uniform()
        while u1 <= Double.leastNormalMagnitude { u1 = uniform() }
        let u2 = uniform()
        let r = (-2 * Foundation.log(u1)).squareRoot()
        spareNormal = r * Foundation.sin(2 * .pi * u2)
        return r * Foundation.cos(2 * .pi * u2)
    }

    /// ±1 with equal probability.
    @inline(__always)
    public mutating func rademacher() -> Double {
        (next() >> 63) == 0 ? 1 : -1
    }

    public mutating func fillNormal<T: BLASReal>(_ p: UnsafeMutablePointer<T>, count: Int, mean: Double = 0, std: Double = 1) {
        for i in 0..<count { p[i] = T(mean + std * normal()) }
    }

    public mutating func fillUniform<T: BLASReal>(_ p: UnsafeMutablePointer<T>, count: Int, low: Double = 0, high: Double = 1) {
        for i in 0..<count { p[i] = T(low + (high - low) * uniform()) }
    }

    public mutating func fillRademacher<T: BLASReal>(_ p: UnsafeMutablePointer<T>, count: Int) {
        for i in 0..<count { p[i] = T(rademacher()) }
    }
}
