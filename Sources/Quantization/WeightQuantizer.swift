import Numerics

/// How a weight tensor is represented in the forward pass. Scales are computed in Double whatever the storage type.
public enum WeightQuantizer: Sendable, Equatable, Codable {
    /// Full precision: ŵ = w.
    case fullPrecision
    /// Symmetric uniform with 2^(bits−1) − 1 levels each side, one scale per tensor (row): ŵ = round(w·s)/s,
    /// s = (2^(bits−1) − 1) / max|w| (TernaryBERT's "SymQuantizer" for 8- and 4-bit weights).
    case uniform(bits: Int)
    /// TWN: Δ = 0.7·mean|w|, α = mean over {|w| > Δ} of |w|, ŵ ∈ {−α, 0, +α}.
    case ternary
    /// BWN: α = mean|w|, ŵ = α·sign(w) (sign 0 = 0, as torch.sign).
    case binary
    /// LAQ (loss-aware ternarization, see `LossAwareTernarization`): ŵ = α·sign(w)⊙1[|w| > α/2] with α learned state
    /// that `QuantizedBertModel` stores and refits with Adam's curvature after every optimizer step. Without that
    /// state (`quantize` here) α is fitted with d ≡ 1 from TWN's α: the L2 fit a new LAQ model starts from.
    case lossAwareTernary

    /// 32 = full precision, 8 / 4 = uniform, 2 = ternary, 1 = binary.
    public init(bits: Int) throws {
        switch bits {
        case 32: self = .fullPrecision
        case 8, 4: self = .uniform(bits: bits)
        case 2: self = .ternary
        case 1: self = .binary
        default: throw QuantizationError.unsupportedBits(bits)
        }
    }

    /// The quantizer of a spec's `method` and bit width: "laq" is loss-aware ternary (2 bits only); every other
    /// method is determined by the bits as in `init(bits:)`.
    public init(bits: Int, method: String) throws {
        if method == QuantizationSpec.lossAwareMethod {
            guard bits == 2 else { throw QuantizationError.unsupportedMethod(method, bits: bits) }
            self = .lossAwareTernary
        } else {
            try self.init(bits: bits)
        }
    }

    /// Ternary codes (TWN or LAQ): both pack as 2-bit codes with one α per scaled row.
    public var isTernary: Bool { self == .ternary || self == .lossAwareTernary }

    public var bits: Int {
        switch self {
        case .fullPrecision: return 32
        case let .uniform(b): return b
        case .ternary, .lossAwareTernary: return 2
        case .binary: return 1
        }
    }

    /// Quantizes `rows` rows of `cols` entries from `w` into `q` with one scale per row (rows = 1: per tensor).
    /// Returns the scale of each row: α for ternary (TWN; LAQ fitted with d ≡ 1 from TWN's α) and binary, s = (2^(bits−1) − 1)/max|w| for uniform, 1 for full precision.
    @discardableResult
    public func quantize<T: BLASReal>(_ w: UnsafePointer<T>, into q: UnsafeMutablePointer<T>, rows: Int, cols: Int) -> [Double] {
        guard rows > 1 else { return rows == 1 ? [quantizeRow(self, w, q, cols)] : [] }
        // Rows are independent (each computed alone, in order): the same values on any number of threads.
        var scales = [Double](repeating: 0, count: rows)
        scales.withUnsafeMutableBufferPointer { out in
            let out = out
            Parallel.forSlices(rows, workPerItem: cols) { lo, hi in
                for r in lo..<hi { out[r] = quantizeRow(self, w + r * cols, q + r * cols, cols) }
            }
        }
        return scales
    }
}

/// One row; specialized for Float and Double (the loops run every training step over all weights).
@_specialize(where T == Float)
@_specialize(where T == Double)
func quantizeRow<T: BLASReal>(_ quantizer: WeightQuantizer, _ w: UnsafePointer<T>, _ q: UnsafeMutablePointer<T>, _ n: Int) -> Double {
    switch quantizer {
    case .fullPrecision:
        if UnsafePointer(q) != w { q.update(from: w, count: n) }
        return 1
    case let .uniform(bits):
        var maxAbs = 0.0
        for i in 0..<n { maxAbs = max(maxAbs, abs(Double(w[i]))) }
        guard maxAbs > 0 else { q.update(repeating: 0, count: n); return 0 }
        let s = Double((1 << (bits - 1)) - 1) / maxAbs
        for i in 0..<n { q[i] = T((Double(w[i]) * s).rounded(.toNearestOrEven) / s) }
        return s
    case .ternary:
        let (alpha, delta) = ternaryScale(w, n)
        let a = T(alpha)
        for i in 0..<n {
            let signed = w[i] > 0 ? a : -a
            q[i] = abs(Double(w[i])) > delta ? signed : 0
        }
        return alpha
    case .lossAwareTernary:
        let alpha = LossAwareTernarization.fit(w, count: n, from: ternaryScale(w, n).alpha, secondMoment: nil, epsilon: 0)
        LossAwareTernarization.apply(w, into: q, count: n, alpha: alpha)
        return alpha
    case .binary:
        var sum = 0.0
        for i in 0..<n { sum += abs(Double(w[i])) }
        let alpha = n > 0 ? sum / Double(n) : 0
        let a = T(alpha)
        for i in 0..<n { q[i] = w[i] > 0 ? a : (w[i] < 0 ? -a : 0) }
        return alpha
    }
}

/// TWN's threshold Δ = 0.7·mean|w| and scale α = mean of |w| over {|w| > Δ} (0 when that set is empty).
@_specialize(where T == Float)
@_specialize(where T == Double)
func ternaryScale<T: BLASReal>(_ w: UnsafePointer<T>, _ n: Int) -> (alpha: Double, delta: Double) {
    var sum = 0.0
    for i in 0..<n { sum += abs(Double(w[i])) }
    let delta = n > 0 ? 0.7 * sum / Double(n) : 0
    var kept = 0.0, count = 0
    // Branch-free (about half the entries pass, at random): adding +0 leaves the sum as it was.
    for i in 0..<n {
        let a = abs(Double(w[i])), keep = a > delta
        kept += keep ? a : 0
        count += keep ? 1 : 0
    }
    return (count > 0 ? kept / Double(count) : 0, delta)
}

/// Problems with a quantization request or file.
public enum QuantizationError: Error, CustomStringConvertible, Equatable {
    case unsupportedBits(Int)
    case notTernary(String)
    case badSpec(file: String, reason: String)
    case unsupportedMethod(String, bits: Int)
    /// A model to start from that does not fit the student asked for.
    case badInitial(path: String, reason: String)
    /// A directory given as a quantized model that has no `quantization.json`.
    case notQuantized(String)

    public var description: String {
        switch self {
        case let .unsupportedBits(b): return "unsupported bit width \(b) (use 32, 8, 4, 2 = ternary or 1 = binary)"
        case let .notTernary(why): return "ternary weight splitting needs a ternary model: \(why)"
        case let .badSpec(file, reason): return "\(file): \(reason)"
        case let .unsupportedMethod(method, bits): return "weight method \(method) is not available at \(bits) bits (laq is ternary: 2 bits, unsplit)"
        case let .badInitial(path, reason): return "\(path) \(reason)"
        case let .notQuantized(path): return "\(path) has no quantization.json: not a quantized model"
        }
    }
}
