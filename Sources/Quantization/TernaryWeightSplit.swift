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
public enum TernaryWeightSplit {
    public struct Coefficients: Sendable, Equatable {
        public var a: Double
        public var b: Double
        public var alpha: Double
        /// Whether BWN(w₁) + BWN(w₂) = TWN(w) holds: it needs 0 < a < 1, i.e. |S_K − S_J| < S_I, which fails only
        /// for rows dominated by many small entries of one sign (never seen in trained BERT weights).
        public var exact: Bool
    }

    /// Splits one row of n entries into w1 and w2 (any storage type; arithmetic in Double).
    @discardableResult
    public static func split<T: BLASReal>(_ w: UnsafePointer<T>, _ w1: UnsafeMutablePointer<Double>, _ w2: UnsafeMutablePointer<Double>,
                                          count n: Int) -> Coefficients {
        let (alpha, delta) = ternaryScale(w, n)
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
        let a = (sI + sK - sJ) / (2 * sI)
        let b = nJK > 0 ? (Double(n) * alpha - total) / (2 * Double(nJK)) : 0
        for i in 0..<n {
            let x = Double(w[i])
            if abs(x) > delta {
                w1[i] = a * x; w2[i] = (1 - a) * x
            } else if x > 0 {
                w1[i] = x + b; w2[i] = -b
            } else if x < 0 {
                w1[i] = b; w2[i] = x - b
            } else {
                // w = 0 exactly (in J ∪ K by the count above): w₁ = b, w₂ = −b keeps w₁ + w₂ = w and the halves cancel.
                w1[i] = b; w2[i] = -b
            }
        }
        return Coefficients(a: a, b: b, alpha: alpha, exact: a > 0 && a < 1)
    }
}
