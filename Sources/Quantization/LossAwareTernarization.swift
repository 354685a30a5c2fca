import Numerics

/// Loss-aware ternarization (LAQ; Hou & Kwok, ICLR 2018, as used by TernaryBERT): ŵ = α·b, b ∈ {−1, 0, +1}ⁿ,
/// chosen to minimise the curvature-weighted error
///
///   E(α, b) = Σᵢ dᵢ·(α·bᵢ − wᵢ)²,   d = √v + ε,
///
/// where v is Adam's second-moment estimate (a diagonal approximation of the Hessian; ε = the optimizer's 1e-6).
/// Alternating minimisation, each half-step exact for the other fixed (so E never increases):
///
///   b = sign(w) ⊙ 1[|w| > α/2]                  (for fixed α; independent of d since every dᵢ > 0)
///   α = Σᵢ dᵢ·|wᵢ|·|bᵢ| / Σᵢ dᵢ·|bᵢ|               (for fixed b; the weighted mean of |w| over the support)
///
/// started from the current α, repeated `alternations` times or until b stops changing (then α is a fixed point).
/// With d ≡ 1 it minimises the plain L2 error ‖α·b − w‖². α is learned state (it depends on where the
/// alternation started and on v), so `QuantizedBertModel` stores it; the forward pass only needs α:
/// ŵ = α·sign(w)⊙1[|w| > α/2]. Arithmetic in Double whatever the storage type.
public enum LossAwareTernarization {
    /// α-steps per refit. The official recipe alternates once or twice per optimizer step; α moves little between
    /// steps (w changes by ~lr), so two steps from the previous α track the optimum closely at ~TWN's cost.
    public static let alternations = 2

    /// Fits α for one row of n latent weights from `alpha` (the current scale; pass TWN's α when there is none yet).
    /// `secondMoment` is v laid out like w (d = √v + ε), or nil for d ≡ 1. Returns the new α, or 0 when w = 0.
    /// An α so large that no entry survives (b = 0, where the alternation would be stuck) restarts from TWN's α.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func fit<T: BLASReal>(_ w: UnsafePointer<T>, count n: Int, from alpha: Double,
                                        secondMoment v: UnsafePointer<T>?, epsilon: Double,
                                        alternations: Int = alternations) -> Double {
        var alpha = alpha.isFinite && alpha >= 0 ? alpha : ternaryScale(w, n).alpha
        var restarted = false
        var step = 0
        while step < alternations {
            let threshold = alpha / 2
            var num = 0.0, den = 0.0
            if let v {
                for i in 0..<n {
                    let a = abs(Double(w[i]))
                    if a > threshold { let d = Double(v[i]).squareRoot() + epsilon; num += d * a; den += d }
                }
            } else {
                for i in 0..<n {
                    let a = abs(Double(w[i]))
                    if a > threshold { num += a; den += 1 }
                }
            }
            guard den > 0 else {
                // b = 0: every α ≥ 2·max|w| is optimal for this b, so restart once from TWN's α (0 only when w = 0).
                let twn = ternaryScale(w, n).alpha
                if restarted || twn == 0 || twn == alpha { return twn == 0 ? 0 : alpha }
                restarted = true
                alpha = twn
                continue
            }
            let next = num / den
            step += 1
            if next == alpha { break }   // b(next) = b(alpha): a fixed point
            alpha = next
        }
        return alpha
    }

    /// ŵ = α·sign(w)⊙1[|w| > α/2] for one row.
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    public static func apply<T: BLASReal>(_ w: UnsafePointer<T>, into q: UnsafeMutablePointer<T>, count n: Int, alpha: Double) {
        let threshold = alpha / 2, a = T(alpha)
        for i in 0..<n { q[i] = abs(Double(w[i])) > threshold ? (w[i] > 0 ? a : -a) : 0 }
    }

    /// E(α, b(α)) = Σ dᵢ·(ŵᵢ − wᵢ)² with b = sign(w)⊙1[|w| > α/2] (d as in `fit`); for tests and diagnostics.
    public static func weightedError<T: BLASReal>(_ w: UnsafePointer<T>, count n: Int, alpha: Double,
                                                  secondMoment v: UnsafePointer<T>?, epsilon: Double) -> Double {
        var total = 0.0
        for i in 0..<n {
            let x = Double(w[i])
            let q = abs(x) > alpha / 2 ? (x > 0 ? alpha : -alpha) : 0
            let d = v.map { Double($0[i]).squareRoot() + epsilon } ?? 1
            total += d * (q - x) * (q - x)
        }
        return total
    }
}
