/// Bit-exact conversion of the 16-bit floating-point formats found in checkpoints to `Float`.
///
/// Every IEEE binary16 and bfloat16 value is exactly representable as a binary32 `Float`
/// (including subnormals, which become normal Floats), so both conversions are exact;
/// infinities keep their sign and NaNs keep their sign and payload (the quiet bit included).
public enum HalfPrecision {
    /// IEEE 754 binary16: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits.
    @inlinable
    public static func float(fromF16Bits h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x03FF)
        if exponent == 0 {
            if mantissa == 0 { return Float(bitPattern: sign) }          // ±0
            // Subnormal: mantissa · 2^-24, exact in binary32 (10-bit integer times a power of two).
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 0x1F {                                            // ±inf, NaN (payload kept)
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))   // 112 = 127 - 15
    }

    /// bfloat16: the upper 16 bits of a binary32.
    @inlinable
    public static func float(fromBF16Bits b: UInt16) -> Float {
        Float(bitPattern: UInt32(b) << 16)
    }
}
