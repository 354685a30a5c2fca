import Numerics

/// Ternary weight splitting (BinaryBERT §3.1): a latent ternary row w becomes two latent binary rows w₁, w₂ with
/// w₁ + w₂ = w and BWN(w₁) + BWN(w₂) = TWN(w) exactly (α₁ = α₂ = α/2), so the binary model starts where the
/// ternary one was. Computed in Double.
///
/// With ŵ = TWN(w): I = {ŵ ≠ 0}, J = {ŵ = 0, w > 0}, K = {ŵ = 0, w < 0}, S_X = Σ_{i∈X}|w_i|, α = S_I/|I|,
///   a = (S_I + S_K − S_J) / (2·S_I),   b = (n·α − Σ|w|) / (2·(|J| + |K|)),
///   w₁ = a·w (I), w + b (J), b (K);   w₂ = (1−a)·w (I), −b (J), w − b (K).
/// α is S_I/|I| (the official code's max of the ternary tensor is wrong when every non-zero is negative).
/// Fallbacks: J ∪ K empty → b is unused (a = ½); I empty (TWN(w) = 0, e.g. an all-zero row) → w₁ = w₂ = w/2,
/// whose binarizations cancel only if w = 0, which is the only way I can be empty with Δ = 0.7·mean|w|.
///
/// Other ternarizations (LAQ: ŵ = α·sign(w)⊙1[|w| > α/2] with a learned α, passed as `ternary`). The equations
/// only need ŵ, but with w₁ + w₂ = w they need n·α > Σ|w| (b > 0; |w₁| + |w₂| = |w| on I and > |w| on J ∪ K)
/// and, when J ∪ K is empty, n·α = Σ|w|, which TWN's α = S_I/|I| always meets and LAQ's weighted α need not.
/// So the entries of I are rescaled by λ > 0 (signs kept), i.e. w₁ + w₂ = w' with w' = λ·w on I and w elsewhere:
///   S'_I = λ·S_I,  a = (S'_I + S_K − S_J) / (2·S'_I),  b = (n·α − S'_I − S_J − S_K) / (2·(|J| + |K|)),
///   w₁ = a·λ·w (I), w₂ = (1−a)·λ·w (I), J and K as above.
/// Exactness needs λ ∈ (|S_K − S_J|/S_I, (n·α − S_J − S_K)/S_I), non-empty since S_J, S_K ≤ |J ∪ K|·α/2 (every
/// J ∪ K entry is ≤ Δ = α/2); λ = 1 (w₁ + w₂ = w) when it lies inside, else the interval's midpoint; J ∪ K empty
/// forces λ = n·α/S_I. BWN(w₁) + BWN(w₂) = ŵ exactly either way; only the latent sum moves on rescaled rows.
public enum TernaryWeightSplit {
    public struct Coefficients: Sendable, Equatable {
        public var a: Double
        public var b: Double
        public var alpha: Double
        /// The scale of I's entries in w₁ + w₂ (1: the halves sum to w; always 1 for TWN).
        public var lambda: Double = 1
        /// Whether BWN(w₁) + BWN(w₂) = ŵ holds: it needs 0 < a < 1, i.e. |S_K − S_J| < λ·S_I, which for TWN fails
        /// only for rows dominated by many small entries of one sign (never seen in trained BERT weights), and b > 0
        /// when J ∪ K is non-empty (always for TWN; λ ensures both for LAQ).
        public var exact: Bool
    }

    /// Splits one row of n entries into w1 and w2 (any storage type; arithmetic in Double). `ternary` is the row's
    /// (α, Δ) with ŵ = α·sign(w)⊙1[|w| > Δ]; nil = TWN's (and λ = 1 always).
    @discardableResult
    public static func split<T: BLASReal>(_ w: UnsafePointer<T>, _ w1: UnsafeMutablePointer<Double>, _ w2: UnsafeMutablePointer<Double>,
                                          count n: Int, ternary: (alpha: Double, delta: Double)? = nil) -> Coefficients {
        let (alpha, delta) = ternary ?? ternaryScale(w, n)
        var sI = 0.0, sJ = 0.0, sK = 0.0, nI = 0, nJK = 0, total = 0.0
        for i in 0..<n {
            let x = Double(w[i]), ax = abs(x)
            total += ax
            if ax > delta { sI += ax; nI += 1 } else if x > 0 { sJ += ax; nJK += 1 } else if x < 0 { sK += ax; nJK += 1 } else { nJK += 1 }
        }
        guard nI > 0, sI > 0 else {
            for i in 0..<n { w1[i] = Double(w[i]) / 2; w2[i] = Double(w[i]) / 2 }
            var zero = true
            for i in 0..<n where w[i] != 0 { zero = false }
            return Coefficients(a: 0.5, b: 0, alpha: 0, exact: zero)
        }
        var lambda = 1.0
        if ternary != nil {
            let low = abs(sK - sJ) / sI, high = (Double(n) * alpha - sJ - sK) / sI
            if nJK == 0 { lambda = high } else if !(low < 1 && 1 < high) { lambda = (low + high) / 2 }
        }
        let sIScaled = lambda * sI
        let a = (sIScaled + sK - sJ) / (2 * sIScaled)
        let b = nJK > 0 ? (Double(n) * alpha - sIScaled - (total - sI)) / (2 * Double(nJK)) : 0
        for i in 0..<n {
            let x = Double(w[i])
            if abs(x) > delta {
                w1[i] = a * lambda * x; w2[i] = (1 - a) * lambda * x
            } else if x > 0 {
                w1[i] = x + b; w2[i] = -b
            } else if x < 0 {
                w1[i] = b; w2[i] = x - b
            } else {
                // w = 0 exactly (in J ∪ K by the count above): w₁ = b, w₂ = −b keeps w₁ + w₂ = w and the halves cancel.
                w1[i] = b; w2[i] = -b
            }
        }
        return Coefficients(a: a, b: b, alpha: alpha, lambda: lambda, exact: a > 0 && a < 1 && (nJK == 0 || b > 0))
    }
}
