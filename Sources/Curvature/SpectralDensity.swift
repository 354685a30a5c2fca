import Foundation
import Numerics
import Storage

/// Stochastic Lanczos quadrature (SLQ): for each run a Rademacher start vector (normalized), m Lanczos steps with full
/// re-orthogonalization, and the quadrature of the tridiagonal T: nodes = T's eigenvalues, weights = the SQUARED
/// FIRST components of T's eigenvectors (each run's weights sum to 1). The density is their average, optionally
/// smoothed by a Gaussian of standard deviation σ; tr(A) ≈ n · Σ weight · node, averaged over runs.
public struct SpectralDensity: Codable, Sendable {
    public struct Run: Codable, Sendable {
        public var nodes: [Double]
        public var weights: [Double]
    }
    public var runs: [Run]
    public var dimension: Int
    public var steps: Int
    public var matvecs: Int
    public var seconds: Double

    /// n · Σ wᵢθᵢ per run.
    public var traceEstimates: [Double] { runs.map { r in Double(dimension) * zip(r.nodes, r.weights).map(*).reduce(0, +) } }

    /// Mean over runs with its standard error.
    public var trace: (estimate: Double, standardError: Double) { meanAndStandardError(traceEstimates) }

    /// ρ(t) = (1/R) Σ_runs Σ_i wᵢ · N(t; θᵢ, σ²) at each grid point (a probability density: it integrates to 1).
    public func smoothed(grid: [Double], sigma: Double) -> [Double] {
        let norm = 1 / (sigma * (2 * Double.pi).squareRoot()) / Double(max(runs.count, 1))
        return grid.map { t in
            var s = 0.0
            for r in runs { for (x, w) in zip(r.nodes, r.weights) { s += w * Foundation.exp(-0.5 * (t - x) * (t - x) / (sigma * sigma)) } }
            return s * norm
        }
    }

    /// An evenly spaced grid covering every node with 3σ to spare.
    public func grid(points: Int, sigma: Double) -> [Double] {
        let all = runs.flatMap(\.nodes)
        let lo = (all.min() ?? 0) - 3 * sigma, hi = (all.max() ?? 0) + 3 * sigma
        guard points > 1 else { return [lo] }
        return (0..<points).map { lo + (hi - lo) * Double($0) / Double(points - 1) }
    }

    /// `runs` runs of `steps` steps; the runs advance in lockstep in groups of the operator's `blockColumns` (one
    /// block apply per step for the whole group), each exactly as it would run alone.
    public static func estimate(_ op: LinearOperator, runs: Int, steps: Int, seed: UInt64) throws -> SpectralDensity {
        guard runs >= 1, steps >= 1 else { throw CurvatureError.badRequest("SLQ needs at least 1 run of at least 1 step") }
        let clock = Date()
        let n = op.dimension, m = min(steps, n)
        let group = max(1, min(op.blockColumns, runs))
        try requireMemory(dimension: n, steps: m, runs: group)
        var all: [Run] = []
        var matvecs = 0
        for first in stride(from: 0, to: runs, by: group) {
            let chains = try (first..<min(runs, first + group)).map { r -> LanczosChain in
                var rng = SeededRNG(seed: seed, stream: 0x51A0 + UInt64(r))
                var start = [Double](repeating: 0, count: n)
                start.withUnsafeMutableBufferPointer { rng.fillRademacher($0.baseAddress!, count: n) }
                return try LanczosChain(start: start, steps: m)
            }
            try LanczosChain.advance(chains, with: op)
            for c in chains {
                matvecs += c.alphas.count
                let eig = try LAPACK.tridiagonalEigen(diagonal: c.alphas, offDiagonal: c.betas)
                let weights = (0..<eig.count).map { pow(eig.vector($0, component: 0), 2) }
                all.append(Run(nodes: eig.values, weights: weights))
            }
        }
        return SpectralDensity(runs: all, dimension: n, steps: steps, matvecs: matvecs, seconds: Date().timeIntervalSince(clock))
    }

    /// Refuses an SLQ basis of `steps` vectors of `dimension` entries (for each of `runs` runs advanced together)
    /// that the machine cannot hold.
    public static func requireMemory(dimension n: Int, steps: Int, runs: Int = 1,
                                     advice: String = "ask for fewer SLQ steps or a smaller parameter selection") throws {
        let m = min(n, steps)
        try MemoryBudget.require(MemoryBudget.product(runs * (m + 2), n, MemoryLayout<Double>.stride),
                                 for: "The SLQ Lanczos basis (\(runs > 1 ? "\(runs) runs of " : "")\(m) steps of \(n) entries)", advice: advice)
    }
}

/// One SLQ run's Lanczos recurrence with full re-orthogonalization, advanced a step at a time so that several runs
/// can share each block apply. On breakdown it stops early (the quadrature is then exact for the start vector).
final class LanczosChain {
    let n: Int, steps: Int
    let basis: Buffer<Double>, w: Buffer<Double>, coeff: Buffer<Double>
    private(set) var alphas: [Double] = [], betas: [Double] = []
    private(set) var finished = false

    init(start: [Double], steps m: Int) throws {
        n = start.count
        steps = m
        basis = Buffer(count: m * n); w = Buffer(count: n); coeff = Buffer(count: m)
        basis.pointer.update(from: start, count: n)
        guard normalize(basis.pointer, n) else { throw CurvatureError.badRequest("SLQ: zero start vector") }
    }

    /// q_j, the vector the next step applies the operator to.
    var current: UnsafePointer<Double> { UnsafePointer(basis.pointer + alphas.count * n) }

    /// Takes w = A·q_j (in `w`): α_j, re-orthogonalization, β_j and q_{j+1}, or the end of the run.
    func absorb() throws {
        let j = alphas.count
        let a = Double.dot(n: n, x: current, incx: 1, y: w.pointer, incy: 1)
        guard a.isFinite else { throw CurvatureError.nonFinite(what: "SLQ Rayleigh quotient at step \(j)", batch: nil) }
        alphas.append(a)
        for _ in 0..<2 {
            Double.gemv(.none, m: j + 1, n: n, alpha: 1, a: basis.pointer, lda: n, x: w.pointer, incx: 1, beta: 0, y: coeff.pointer, incy: 1)
            Double.gemv(.transpose, m: j + 1, n: n, alpha: -1, a: basis.pointer, lda: n, x: coeff.pointer, incx: 1, beta: 1, y: w.pointer, incy: 1)
        }
        let b = Double.nrm2(n: n, x: w.pointer, incx: 1)
        if j == steps - 1 || b <= 1e-12 * max(alphas.map(abs).max() ?? 0, betas.max() ?? 0, Double.leastNormalMagnitude) {
            finished = true
            return
        }
        betas.append(b)
        let next = basis.pointer + (j + 1) * n
        for i in 0..<n { next[i] = w[i] / b }
    }

    /// Runs every chain to its end, one block apply per step for those still running (a single one applies alone).
    static func advance(_ chains: [LanczosChain], with op: LinearOperator) throws {
        guard let n = chains.first?.n else { return }
        let x = Buffer<Double>(count: chains.count * n), y = Buffer<Double>(count: chains.count * n)
        while true {
            let active = chains.filter { !$0.finished }
            if active.isEmpty { return }
            if active.count == 1 {
                try op.apply(active[0].current, into: active[0].w.pointer)
            } else {
                for (i, c) in active.enumerated() { (x.pointer + i * n).update(from: c.current, count: n) }
                try op.apply(block: x.pointer, columns: active.count, into: y.pointer)
                for (i, c) in active.enumerated() { c.w.pointer.update(from: y.pointer + i * n, count: n) }
            }
            for c in active { try c.absorb() }
        }
    }
}
