import BERT
import Foundation
import Numerics
import Probe

/// Adaptive sharpness (Kwon et al. 2021, "ASAM"; Andriushchenko et al. 2023, "A modern look at the relationship
/// between sharpness and generalization"): the rise of the loss under perturbations sized per weight by a scale c,
/// δ = ρ·c⊙u, so that rescaling a weight (and undoing it elsewhere) does not change the number — which a raw
/// eigenvalue or a fixed-radius rise between models whose weights differ in scale (α·sign(w) against α·{−1, 0, 1})
/// cannot promise.
///
/// The perturbed weights are those the forward reads (ŵ for a quantized model: its STE surrogate, as the Hessian
/// uses), restricted to a selection. The scale c is:
/// - `weights`: |ŵ| elementwise (the adaptive convention); a ternary tensor's zeros have c = 0 and do not move
///   (`frozen` counts them), which is part of what this convention measures;
/// - `steps`: the quantizer's step per tensor (α for ternary and binary, per row for an embedding table), so that
///   u of norm 1 moves every weight by one quantization step RMS; it needs a quantized model.
///
/// - **Average case**: S_avg = E_u[L(ŵ + ρ·c⊙u)] − L(ŵ), u ~ N(0, I) (per-weight variance ρ²c²), estimated over
///   `samples` seeded draws, with the standard error over those draws (draws of one model: not replicates).
/// - **Worst case**: S_max = max L(ŵ + ρ·c⊙u) − L(ŵ) over the ball ‖u‖ ≤ 1 (`l2`: ‖u‖₂ ≤ √d, the ball the Gaussian
///   draws have on average, d the number of moving weights; `linf`: |u_i| ≤ 1), from `steps` steps of projected
///   gradient ascent from u = 0: ∇_u L = ρ·c⊙∇L; l2: u ← P(u + η·√d·g/‖g‖₂), linf: u ← clip(u + η·sign(g)), with
///   η = 2.5/steps (Madry et al.'s step for PGD); the largest rise met on the way is reported (a lower bound on S_max).
public struct AdaptiveSharpness: Codable, Sendable, Equatable {
    public enum Scale: String, CaseIterable, Codable, Sendable { case weights, steps }
    public enum Ball: String, CaseIterable, Codable, Sendable { case l2, linf }

    public struct Request: Sendable, Equatable {
        public var rho: Double
        public var scale: Scale
        public var samples: Int
        public var steps: Int
        public var ball: Ball
        public var seed: UInt64
        public init(rho: Double, scale: Scale = .weights, samples: Int = 16, steps: Int = 10, ball: Ball = .l2, seed: UInt64 = 0) {
            self.rho = rho; self.scale = scale; self.samples = samples; self.steps = steps; self.ball = ball; self.seed = seed
        }

        /// One sentence for the first value out of range.
        public func validate() throws {
            guard rho.isFinite, rho > 0 else { throw LandscapeError.badOption(option: "--rho", reason: "must be a finite number above 0, not \(rho)") }
            guard (0...100_000).contains(samples) else { throw LandscapeError.badOption(option: "--samples", reason: "must be in [0, 100000], not \(samples)") }
            guard (0...10_000).contains(steps) else { throw LandscapeError.badOption(option: "--steps", reason: "must be in [0, 10000], not \(steps)") }
            guard samples > 0 || steps > 0 else { throw LandscapeError.badOption(option: "--samples 0 with --steps 0", reason: "leaves nothing to measure") }
        }
    }

    public var rho: Double
    public var scale: String
    public var ball: String
    /// L(ŵ), the mean loss of the objective at the model itself.
    public var loss: Double
    public var averageRise: Double?
    public var averageRiseStandardError: Double?
    public var samples: Int
    /// The largest rise the ascent met, and the rise after each of its steps.
    public var worstRise: Double?
    public var worstRiseByStep: [Double]
    public var steps: Int
    /// Weights that move (c > 0) and weights the scale holds still (c = 0).
    public var dimension: Int
    public var frozen: Int
    /// ρ·‖c‖₂ / √d: the RMS size of one unit of u in weight units.
    public var rmsScale: Double

    enum CodingKeys: String, CodingKey {
        case rho, scale, ball, loss, samples, steps, dimension, frozen
        case averageRise = "average_rise", averageRiseStandardError = "average_rise_standard_error"
        case worstRise = "worst_rise", worstRiseByStep = "worst_rise_by_step", rmsScale = "rms_scale"
    }

    /// The scale c of every selected weight (flattened in the views' order).
    static func scales<T: BLASReal>(_ probe: ProbeModel<T>, views: [ParameterView], scale: Scale) throws -> [Double] {
        let w = probe.model.weights
        switch scale {
        case .weights:
            return views.flatMap { v in (0..<v.count).map { abs(Double(w[v.offset + $0])) } }
        case .steps:
            let steps = try probe.quantizationSteps(views)
            var out: [Double] = []
            for (v, s) in zip(views, steps) {
                guard let s else {
                    throw LandscapeError.badOption(option: "--scale steps", reason: "needs quantized tensors: \(v.name) of \(probe.directory.path) is not quantized")
                }
                let cols = v.count / s.count
                for r in 0..<s.count { out += Array(repeating: s[r], count: cols) }
            }
            return out
        }
    }

    /// Measures the model's adaptive sharpness on `objective` (the model's loss); its weights are restored afterwards.
    public static func run<T: BLASReal>(probe: ProbeModel<T>, objective: LossObjective<T>, views: [ParameterView], request: Request,
                                        progress: (String) -> Void = { _ in }) throws -> AdaptiveSharpness {
        try request.validate()
        let model = probe.model
        let c = try scales(probe, views: views, scale: request.scale).map { request.rho * $0 }
        let moving = c.filter { $0 > 0 }.count
        guard moving > 0 else { throw LandscapeError.badOption(option: "--scale \(request.scale.rawValue)", reason: "gives every selected weight a scale of 0: nothing moves") }
        // The model's own weights stay untouched (every evaluation swaps `work` in); `work` holds them outside the
        // selection, and `place` rewrites the selection alone.
        let origin = model.weights
        let work = Buffer<T>(count: origin.count)
        work.pointer.update(from: origin.pointer, count: origin.count)
        // Writes ŵ + c⊙u into `work` on the selection.
        func place(_ u: [Double]) {
            var k = 0
            for v in views {
                for i in 0..<v.count { work[v.offset + i] = T(Double(origin[v.offset + i]) + c[k] * u[k]); k += 1 }
            }
        }
        let (boundary, entry) = SurfaceProbe<T>.cachedPass(model, views: views)
        objective.invalidatePrefix()
        func loss(_ u: [Double]) throws -> Double {
            place(u)
            let r = try model.withWeights(work) { try objective.evaluate(from: boundary, entry: entry) }
            return r.loss
        }
        let l0 = try loss(Array(repeating: 0, count: c.count))
        guard l0.isFinite else { throw LandscapeError.badFile(path: probe.directory.path, reason: "has a non-finite loss at its own weights") }

        // Average case: seeded Gaussian draws.
        var rises: [Double] = []
        var rng = SeededRNG(seed: request.seed, stream: 0xA5)
        for s in 0..<request.samples {
            let u = (0..<c.count).map { _ in rng.normal() }
            rises.append(try loss(u) - l0)
            progress("average case: draw \(s + 1)/\(request.samples), rise \(String(format: "%.4g", rises.last!))")
        }
        let n = Double(rises.count)
        let mean = rises.isEmpty ? nil : rises.reduce(0, +) / n
        let se: Double? = rises.count < 2 ? nil : (rises.map { ($0 - mean!) * ($0 - mean!) }.reduce(0, +) / (n - 1) / n).squareRoot()

        // Worst case: projected gradient ascent in u from 0.
        var byStep: [Double] = []
        if request.steps > 0 {
            var u = Array(repeating: 0.0, count: c.count)
            let eta = 2.5 / Double(request.steps), radius = Double(moving).squareRoot()
            for s in 0..<request.steps {
                place(u)
                let l = try model.withWeights(work) { try objective.lossAndGradient(only: views) }
                if s > 0 { byStep.append(l - l0) }
                var g = [Double](repeating: 0, count: c.count)
                var k = 0
                for v in views {
                    for i in 0..<v.count { g[k] = c[k] * Double(model.gradients[v.offset + i]); k += 1 }
                }
                switch request.ball {
                case .l2:
                    let norm = g.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    guard norm > 0 else { break }
                    for i in u.indices { u[i] += eta * radius * g[i] / norm }
                    let un = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
                    if un > radius { for i in u.indices { u[i] *= radius / un } }
                case .linf:
                    for i in u.indices where c[i] > 0 { u[i] = min(1, max(-1, u[i] + eta * (g[i] > 0 ? 1 : g[i] < 0 ? -1 : 0))) }
                }
                progress("worst case: step \(s + 1)/\(request.steps)")
            }
            byStep.append(try loss(u) - l0)
        }
        objective.invalidatePrefix()
        let rms = (c.reduce(0) { $0 + $1 * $1 } / Double(moving)).squareRoot()
        return AdaptiveSharpness(rho: request.rho, scale: request.scale.rawValue, ball: request.ball.rawValue, loss: l0, averageRise: mean,
                                 averageRiseStandardError: se, samples: rises.count, worstRise: byStep.max(), worstRiseByStep: byStep,
                                 steps: request.steps, dimension: moving, frozen: c.count - moving, rmsScale: rms)
    }
}
