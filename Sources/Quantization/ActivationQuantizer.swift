import BERT
import Foundation
import Numerics

/// One activation quantizer (per tensor, per site) with its learnable parameters.
///
/// - `clip` (8-bit, TernaryBERT): x_c = clamp(x, lo, hi) with a learnable clip pair initialised to (−2.5, 2.5).
///   Symmetric: s = (2^(b−1) − 1)/max|x_c|, y = round(x_c·s)/s. Asymmetric: s = (2^b − 1)/(max x_c − min x_c),
///   z = round(min x_c·s), y = (round(x_c·s − z) + z)/s. Gradients (PACT style): ∂y/∂x = 1 inside (lo, hi), 0 outside;
///   ∂L/∂lo = Σ_{x ≤ lo} ∂L/∂y, ∂L/∂hi = Σ_{x ≥ hi} ∂L/∂y.
/// - `lsq` (4-bit, LSQ): symmetric Qn = −2^(b−1), Qp = 2^(b−1) − 1, v = x/s, y = round(clamp(v, Qn, Qp))·s;
///   asymmetric subtracts the batch minimum first (Qn = 0, Qp = 2^b − 1) and adds it back. The step s is learnable,
///   initialised from the first training batch (2·mean|x|/√Qp symmetric, 4·mean|x|/√Qp asymmetric), kept positive;
///   ∂y/∂x = 1 inside the range, ∂y/∂s = round(v) − v inside, Qn or Qp outside, scaled by g = 1/√(n·Qp).
public struct ActivationQuantizerState: Codable, Sendable, Equatable {
    public enum Method: String, Codable, Sendable { case clip, lsq }
    public var method: Method
    public var bits: Int
    public var asymmetric: Bool
    /// clip: [lo, hi]; lsq: [step] (0 until initialised).
    public var parameters: [Double]

    public init(method: Method, bits: Int, asymmetric: Bool) {
        self.method = method
        self.bits = bits
        self.asymmetric = asymmetric
        parameters = method == .clip ? [-2.5, 2.5] : [0]
    }
}

/// The activation quantizers of a model, one per `ActivationSite`, with gradients and a small Adam for their
/// parameters (their own learning rate, no weight decay, as the official code's separate parameter group).
public final class ActivationQuantizerSet: ActivationQuantizing {
    public private(set) var states: [ActivationSite: ActivationQuantizerState]
    public private(set) var gradients: [ActivationSite: [Double]] = [:]
    private var moments: [ActivationSite: (m: [Double], v: [Double])] = [:]
    public var frozen = false

    public init(states: [ActivationSite: ActivationQuantizerState]) { self.states = states }

    /// The paper's placement for `bits` = 8 (clip) or 4 (LSQ) on a model with `layers` layers.
    public convenience init(bits: Int, layers: Int) throws {
        guard bits == 8 || bits == 4 else { throw QuantizationError.unsupportedBits(bits) }
        var states: [ActivationSite: ActivationQuantizerState] = [:]
        for site in ActivationSite.all(layers: layers) {
            states[site] = ActivationQuantizerState(method: bits == 8 ? .clip : .lsq, bits: bits, asymmetric: site.isAsymmetric)
        }
        self.init(states: states)
    }

    /// Whether some LSQ step is still unset (it is initialised from the first batch the site quantizes).
    public var needsInitialization: Bool { states.values.contains { $0.method == .lsq && $0.parameters[0] <= 0 } }

    public func quantize<T: BLASReal>(_ site: ActivationSite, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, count n: Int, training: Bool) {
        guard var state = states[site] else { y.update(from: x, count: n); return }
        if state.method == .lsq && state.parameters[0] <= 0 {
            precondition(!frozen, "a frozen LSQ quantizer at \(site) has no step: initialise it before freezing")
            // LSQ initialisation from the first batch seen.
            var meanAbs = 0.0
            for i in 0..<n { meanAbs += abs(Double(x[i])) }
            meanAbs /= Double(max(n, 1))
            let qp = Double(state.asymmetric ? (1 << state.bits) - 1 : (1 << (state.bits - 1)) - 1)
            state.parameters[0] = max((state.asymmetric ? 4 : 2) * meanAbs / qp.squareRoot(), 1e-8)
            states[site] = state
        }
        quantizeActivations(state, x, y, n)
    }

    public func backward<T: BLASReal>(_ site: ActivationSite, _ x: UnsafePointer<T>, _ dy: UnsafePointer<T>, _ dx: UnsafeMutablePointer<T>, count n: Int) {
        guard let state = states[site] else {
            for i in 0..<n { dx[i] += dy[i] }
            return
        }
        let g = activationBackward(state, x, dy, dx, n)
        if frozen { return }
        var acc = gradients[site] ?? [Double](repeating: 0, count: g.count)
        for i in 0..<g.count { acc[i] += g[i] }
        gradients[site] = acc
    }

    public func zeroGradients() { gradients = [:] }

    /// One Adam step (β 0.9/0.999, ε 1e-6, no bias correction) on every quantizer's parameters, then clears gradients.
    public func step(lr: Double) {
        for (site, g) in gradients {
            guard var state = states[site] else { continue }
            var (m, v) = moments[site] ?? ([Double](repeating: 0, count: g.count), [Double](repeating: 0, count: g.count))
            for i in 0..<g.count {
                m[i] = 0.9 * m[i] + 0.1 * g[i]
                v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i]
                state.parameters[i] -= lr * m[i] / (v[i].squareRoot() + 1e-6)
            }
            if state.method == .lsq { state.parameters[0] = max(state.parameters[0], 1e-8) }
            if state.method == .clip && state.parameters[0] >= state.parameters[1] {
                state.parameters[0] = state.parameters[1] - 1e-6
            }
            states[site] = state
            moments[site] = (m, v)
        }
        gradients = [:]
    }

    /// Forgets the Adam moments (each distillation stage has its own optimizer).
    public func resetOptimizer() { moments = [:]; gradients = [:] }

    /// Parameters and Adam moments by site key, for training checkpoints.
    public struct Checkpoint: Codable {
        public var states: [String: ActivationQuantizerState]
        public var firstMoments: [String: [Double]]
        public var secondMoments: [String: [Double]]
    }

    public var checkpoint: Checkpoint {
        Checkpoint(states: serialized,
                   firstMoments: Dictionary(uniqueKeysWithValues: moments.map { ($0.key.description, $0.value.m) }),
                   secondMoments: Dictionary(uniqueKeysWithValues: moments.map { ($0.key.description, $0.value.v) }))
    }

    /// Restores parameters and moments saved by `checkpoint` (the sites must be this set's).
    public func restore(_ c: Checkpoint) throws {
        let byKey = Dictionary(uniqueKeysWithValues: states.keys.map { ($0.description, $0) })
        guard Set(c.states.keys) == Set(byKey.keys) else {
            throw QuantizationError.badSpec(file: "checkpoint", reason: "the activation quantizer sites differ from this model's")
        }
        for (key, state) in c.states { states[byKey[key]!] = state }
        moments = [:]
        for (key, m) in c.firstMoments {
            guard let site = byKey[key], let v = c.secondMoments[key], v.count == m.count else {
                throw QuantizationError.badSpec(file: "checkpoint", reason: "bad activation quantizer moments for \(key)")
            }
            moments[site] = (m, v)
        }
        gradients = [:]
    }

    /// For quantization.json: site key → parameters.
    public var serialized: [String: ActivationQuantizerState] {
        Dictionary(uniqueKeysWithValues: states.map { ($0.key.description, $0.value) })
    }

    public convenience init(serialized: [String: ActivationQuantizerState], layers: Int) throws {
        var states: [ActivationSite: ActivationQuantizerState] = [:]
        let byKey = Dictionary(uniqueKeysWithValues: ActivationSite.all(layers: layers).map { ($0.description, $0) })
        for (key, state) in serialized {
            guard let site = byKey[key] else { throw QuantizationError.badSpec(file: QuantizationSpec.fileName, reason: "unknown activation site \(key)") }
            states[site] = state
        }
        // Every site needs its trained state: a missing one would run with a default clip or step, silently another model.
        if let missing = ActivationSite.all(layers: layers).first(where: { states[$0] == nil }) {
            throw QuantizationError.badSpec(file: QuantizationSpec.fileName,
                                            reason: "activation_quantizers has no entry for \(missing) (\(serialized.count) of \(byKey.count) sites given)")
        }
        self.init(states: states)
    }
}

/// y = Q(x) for one site (the element loops are BLASReal kernels, specialized per type).
func quantizeActivations<T: BLASReal>(_ state: ActivationQuantizerState, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int) {
    guard n > 0 else { return }
    switch state.method {
    case .clip:
        let lo = state.parameters[0], hi = state.parameters[1]
        let (mn, mx) = T.kernelClampedRange(x, n, lo: lo, hi: hi)
        if state.asymmetric {
            let range = mx - mn
            // A constant input: nothing to quantize, pass the clamped values.
            guard range > 0 else { clampOnly(x, y, n, lo, hi); return }
            let s = Double((1 << state.bits) - 1) / range
            let z = (mn * s).rounded(.toNearestOrEven)
            T.kernelFakeQuantizeClamped(x, y, n, lo: lo, hi: hi, scale: s, zero: z)
        } else {
            let m = max(abs(mn), abs(mx))
            guard m > 0 else { y.update(repeating: 0, count: n); return }
            let s = Double((1 << (state.bits - 1)) - 1) / m
            T.kernelFakeQuantizeClamped(x, y, n, lo: lo, hi: hi, scale: s, zero: 0)
        }
    case .lsq:
        let (qn, qp) = lsqRange(state)
        let offset = state.asymmetric ? T.kernelMinimum(x, n) : 0
        T.kernelFakeQuantizeLSQ(x, y, n, step: state.parameters[0], offset: offset, qn: qn, qp: qp)
    }
}

private func clampOnly<T: BLASReal>(_ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int, _ lo: Double, _ hi: Double) {
    for i in 0..<n { y[i] = T(min(max(Double(x[i]), lo), hi)) }
}

func lsqRange(_ state: ActivationQuantizerState) -> (Double, Double) {
    state.asymmetric ? (0, Double((1 << state.bits) - 1)) : (-Double(1 << (state.bits - 1)), Double((1 << (state.bits - 1)) - 1))
}

/// dx += ∂y/∂x ⊙ dy; returns the gradient of the quantizer's parameters.
func activationBackward<T: BLASReal>(_ state: ActivationQuantizerState, _ x: UnsafePointer<T>, _ dy: UnsafePointer<T>,
                                     _ dx: UnsafeMutablePointer<T>, _ n: Int) -> [Double] {
    switch state.method {
    case .clip:
        let g = T.kernelClampBackward(x, dy, dx, n, lo: state.parameters[0], hi: state.parameters[1])
        return [g.lo, g.hi]
    case .lsq:
        let (qn, qp) = lsqRange(state)
        let offset = state.asymmetric && n > 0 ? T.kernelMinimum(x, n) : 0
        let gs = T.kernelLSQBackward(x, dy, dx, n, step: state.parameters[0], offset: offset, qn: qn, qp: qp)
        return [gs / (Double(n) * qp).squareRoot()]
    }
}
