import Foundation
import Numerics
import Storage

/// Which end of the spectrum an eigensolver looks for.
public enum SpectrumEnd: String, Codable, Sendable, CaseIterable {
    /// The k largest eigenvalues (algebraic: the most positive).
    case largestAlgebraic = "largest-algebraic"
    /// The k smallest (the most negative).
    case smallestAlgebraic = "smallest-algebraic"
    /// The k largest in absolute value (what power iteration finds).
    case largestMagnitude = "largest-magnitude"
}

/// Eigenpairs of a symmetric operator with what it took to find them.
public struct EigenResult: Codable, Sendable {
    public var which: SpectrumEnd
    /// Wanted eigenvalues in the order of `which` (largest first for largest-*, smallest first for smallest-algebraic).
    public var values: [Double]
    /// Residual norm ‖A y − θ y‖ of each pair (Lanczos: the Ritz estimate |β_m · s_m,i|, exact with full
    /// re-orthogonalization up to rounding; power iteration: measured).
    public var residuals: [Double]
    public var converged: [Bool]
    public var matvecs: Int
    public var iterations: Int
    public var restarts: Int
    public var seconds: Double
    public var method: String
    /// Eigenvectors (n each, unit norm), parallel to `values`; not encoded.
    public var vectors: [[Double]] = []

    enum CodingKeys: String, CodingKey {
        case which, values, residuals, converged, matvecs, iterations, restarts, seconds, method
    }

    public var allConverged: Bool { converged.allSatisfy { $0 } }
}

/// Lanczos with full re-orthogonalization (two classical Gram–Schmidt passes per step), vectors and the tridiagonal T
/// in Double, T's eigenproblem by LAPACK ?stemr. On a breakdown (β ≈ 0: an invariant subspace) it restarts from a
/// fresh random vector orthogonal to the basis. A Ritz pair counts as converged when its residual |β_m · s_m,i| is at
/// most `tolerance` × ‖T‖ (the largest |Ritz value|): an absolute accuracy of tolerance·‖A‖ on the eigenvalue at worst,
/// (tolerance·‖A‖)²/gap typically.
public enum Lanczos {
    public struct Options {
        public var count: Int = 1
        public var which: SpectrumEnd = .largestAlgebraic
        /// Stop at this many matvecs (also capped by the dimension).
        public var maxMatvecs: Int = 200
        public var tolerance: Double = 1e-6
        public var seed: UInt64 = 0
        /// Check convergence every this many steps (and at the end).
        public var checkEvery: Int = 1
        /// Called after each convergence check: (matvecs, wanted Ritz values, their largest relative residual).
        public var progress: ((Int, [Double], Double) -> Void)?
        public init() {}
    }

    /// Runs Lanczos and returns the wanted eigenpairs (and, with `both`, the other end's too: see `extremes`).
    /// `start`: vectors to start from (a warm start: the normalized sum of them), else a seeded Gaussian vector.
    public static func eigenpairs(_ op: LinearOperator, options o: Options, start: [[Double]] = []) throws -> EigenResult {
        try extremes(op, options: o, ends: [o.which], start: start)[0]
    }

    /// One Krylov space serving several ends at once (e.g. the top and the bottom eigenvalue of one block): it stops
    /// when every requested end has `count` converged pairs or the budget is spent.
    /// Refuses a basis of `maxMatvecs` vectors of `dimension` entries (and its work vectors) that the machine
    /// cannot hold, before it is allocated.
    public static func requireMemory(dimension n: Int, maxMatvecs: Int,
                                     advice: String = "ask for fewer matrix-vector products or a smaller parameter selection") throws {
        let m = min(n, maxMatvecs)
        try MemoryBudget.require(MemoryBudget.product(m + 2, n, MemoryLayout<Double>.stride),
                                 for: "The Lanczos basis (\(m) vectors of \(n) entries)", advice: advice)
    }

    public static func extremes(_ op: LinearOperator, options o: Options, ends: [SpectrumEnd], start: [[Double]] = []) throws -> [EigenResult] {
        let n = op.dimension
        guard n > 0 else { throw CurvatureError.badRequest("Lanczos: the operator has dimension 0") }
        guard o.count >= 1, o.count <= n else { throw CurvatureError.badRequest("Lanczos: asked for \(o.count) eigenpairs of a \(n)-dimensional operator") }
        let clock = Date()
        let m = min(n, max(o.maxMatvecs, o.count))
        var rng = SeededRNG(seed: o.seed, stream: 0x1A2C_2050)
        try requireMemory(dimension: n, maxMatvecs: m)
        let basis = Buffer<Double>(count: m * n)   // row j = q_j
        let w = Buffer<Double>(count: n), coeff = Buffer<Double>(count: m)
        var alphas: [Double] = [], betas: [Double] = []
        var restarts = 0

        // q_0
        let q0 = basis.pointer
        if start.isEmpty {
            rng.fillNormal(q0, count: n)
        } else {
            for v in start {
                precondition(v.count == n, "Lanczos: a start vector has \(v.count) entries, the operator \(n)")
                let norm = v.withUnsafeBufferPointer { Double.nrm2(n: n, x: $0.baseAddress!, incx: 1) }
                if norm > 0 { for i in 0..<n { q0[i] += v[i] / norm } }
            }
        }
        guard normalize(q0, n) else { throw CurvatureError.badRequest("Lanczos: the start vector is zero") }

        /// w ← w − Q_j Q_jᵀ w, twice (j = number of basis vectors).
        func orthogonalize(_ w: UnsafeMutablePointer<Double>, against j: Int) {
            for _ in 0..<2 {
                Double.gemv(.none, m: j, n: n, alpha: 1, a: basis.pointer, lda: n, x: w, incx: 1, beta: 0, y: coeff.pointer, incy: 1)
                Double.gemv(.transpose, m: j, n: n, alpha: -1, a: basis.pointer, lda: n, x: coeff.pointer, incx: 1, beta: 1, y: w, incy: 1)
            }
        }

        var results: [Ritz] = []
        var steps = 0
        while true {
            let j = steps
            let q = basis.pointer + j * n
            try op.apply(q, into: w.pointer)
            steps += 1
            for i in 0..<n where !w[i].isFinite { throw CurvatureError.nonFinite(what: "operator output at matvec \(steps)", batch: nil) }
            let alpha = Double.dot(n: n, x: q, incx: 1, y: w.pointer, incy: 1)
            alphas.append(alpha)
            orthogonalize(w.pointer, against: j + 1)
            var beta = Double.nrm2(n: n, x: w.pointer, incx: 1)
            let scale = max(alphas.map(abs).max() ?? 0, betas.max() ?? 0)
            let done = steps >= m
            if !done && beta <= 1e-12 * max(scale, Double.leastNormalMagnitude) {
                // Invariant subspace: restart from a random vector orthogonal to the basis (T decouples: β = 0).
                restarts += 1
                var ok = false
                for _ in 0..<5 where !ok {
                    rng.fillNormal(w.pointer, count: n)
                    orthogonalize(w.pointer, against: j + 1)
                    ok = normalize(w.pointer, n)
                }
                if !ok { results = []; break }
                beta = 0
                (basis.pointer + (j + 1) * n).update(from: w.pointer, count: n)
                betas.append(0)
            } else if !done {
                betas.append(beta)
                let next = basis.pointer + (j + 1) * n
                for i in 0..<n { next[i] = w[i] / beta }
            }
            let check = done || steps % max(1, o.checkEvery) == 0
            if check && steps >= o.count {
                let lastBeta = done ? beta : betas.last ?? 0
                results = try ritz(alphas: alphas, betas: Array(betas.prefix(alphas.count - 1)), lastBeta: lastBeta, ends: ends,
                                   count: o.count, tolerance: o.tolerance)
                let worst = results.flatMap { r in zip(r.values, r.residuals).map { $1 / max(abs($0), 1e-300) } }.max() ?? 0
                o.progress?(steps, results.flatMap(\.values), worst)
                if results.allSatisfy(\.allConverged) || done { break }
            }
            if done { break }
        }
        if results.isEmpty {
            results = try ritz(alphas: alphas, betas: Array(betas.prefix(alphas.count - 1)), lastBeta: 0, ends: ends,
                               count: min(o.count, alphas.count), tolerance: o.tolerance)
        }
        // Ritz vectors y = Q s.
        let k = alphas.count
        let seconds = Date().timeIntervalSince(clock)
        return results.map { r in
            let vectors = r.ritzCoefficients.map { s in
                var y = [Double](repeating: 0, count: n)
                y.withUnsafeMutableBufferPointer { yp in
                    s.withUnsafeBufferPointer { sp in
                        Double.gemv(.transpose, m: k, n: n, alpha: 1, a: basis.pointer, lda: n, x: sp.baseAddress!, incx: 1,
                                    beta: 0, y: yp.baseAddress!, incy: 1)
                    }
                    _ = normalize(yp.baseAddress!, n)
                }
                return y
            }
            return EigenResult(which: r.which, values: r.values, residuals: r.residuals, converged: r.converged, matvecs: steps,
                               iterations: steps, restarts: restarts, seconds: seconds, method: "lanczos", vectors: vectors)
        }
    }

    struct Ritz {
        var which: SpectrumEnd
        var values: [Double], residuals: [Double], converged: [Bool]
        var ritzCoefficients: [[Double]]
        var allConverged: Bool { converged.allSatisfy { $0 } }
    }

    /// Ritz values of T (alphas, betas) for each end, with residuals |lastBeta · s_last,i|.
    static func ritz(alphas: [Double], betas: [Double], lastBeta: Double, ends: [SpectrumEnd], count: Int,
                     tolerance: Double) throws -> [Ritz] {
        let k = alphas.count
        let eig = try LAPACK.tridiagonalEigen(diagonal: alphas, offDiagonal: betas)
        let norm = eig.values.map(abs).max() ?? 0
        // ascending order from LAPACK
        let order = Array(0..<eig.count)
        return ends.map { end in
            let picked: [Int]
            switch end {
            case .largestAlgebraic: picked = Array(order.reversed().prefix(count))
            case .smallestAlgebraic: picked = Array(order.prefix(count))
            case .largestMagnitude: picked = Array(order.sorted { abs(eig.values[$0]) > abs(eig.values[$1]) }.prefix(count))
            }
            let residuals = picked.map { abs(lastBeta * eig.vector($0, component: k - 1)) }
            return Ritz(which: end, values: picked.map { eig.values[$0] }, residuals: residuals,
                        converged: residuals.map { $0 <= tolerance * max(norm, Double.leastNormalMagnitude) },
                        ritzCoefficients: picked.map { i in (0..<k).map { eig.vector(i, component: $0) } })
        }
    }
}

/// x ← x/‖x‖; false when ‖x‖ is 0 or not finite.
@discardableResult
func normalize(_ x: UnsafeMutablePointer<Double>, _ n: Int) -> Bool {
    let norm = Double.nrm2(n: n, x: x, incx: 1)
    guard norm > 0, norm.isFinite else { return false }
    Double.scal(n: n, alpha: 1 / norm, x: x, incx: 1)
    return true
}
