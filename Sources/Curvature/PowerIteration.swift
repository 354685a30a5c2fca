import Foundation
import Numerics

/// Power iteration with deflation, run as PyHessian's `hessian.eigenvalues` runs it: for each eigenvalue a seeded
/// Gaussian start, Gram–Schmidt against the eigenvectors already found before every matvec, θ = vᵀAv, v ← Av/‖Av‖,
/// stopped when |θ − θ_prev| / (|θ_prev| + 1e-6) < tolerance or after `maxIterations`. It finds the largest
/// |eigenvalues| (which may be negative) and converges like |λ₂/λ₁|^t: the baseline for matvec counts. Residuals
/// ‖Av − θv‖ are measured at the end (one extra matvec per pair, not counted in `matvecs`).
public enum PowerIteration {
    public struct Options: Sendable {
        public var count: Int = 1
        public var maxIterations: Int = 100
        public var tolerance: Double = 1e-3
        public var seed: UInt64 = 0
        public init() {}
    }

    public static func eigenpairs(_ op: LinearOperator, options o: Options) throws -> EigenResult {
        let n = op.dimension
        guard o.count >= 1, o.count <= n else { throw CurvatureError.badRequest("power iteration: asked for \(o.count) eigenpairs of a \(n)-dimensional operator") }
        let clock = Date()
        var rng = SeededRNG(seed: o.seed, stream: 0x90E2)
        var values: [Double] = [], vectors: [[Double]] = [], converged: [Bool] = []
        var matvecs = 0, iterations = 0
        let v = Buffer<Double>(count: n), hv = Buffer<Double>(count: n)
        for _ in 0..<o.count {
            rng.fillNormal(v.pointer, count: n)
            normalize(v.pointer, n)
            var theta: Double? = nil
            var done = false
            for _ in 0..<o.maxIterations {
                project(v.pointer, n, outOf: vectors)
                normalize(v.pointer, n)
                try op.apply(v.pointer, into: hv.pointer)
                matvecs += 1
                iterations += 1
                let t = Double.dot(n: n, x: hv.pointer, incx: 1, y: v.pointer, incy: 1)
                guard t.isFinite else { throw CurvatureError.nonFinite(what: "Rayleigh quotient at matvec \(matvecs)", batch: nil) }
                v.copy(from: hv)
                normalize(v.pointer, n)
                if let prev = theta, abs(prev - t) / (abs(prev) + 1e-6) < o.tolerance {
                    theta = t
                    done = true
                    break
                }
                theta = t
            }
            values.append(theta ?? 0)
            vectors.append(v.array)
            converged.append(done)
        }
        var residuals: [Double] = []
        for (theta, u) in zip(values, vectors) {
            let au = try op.apply(u)
            residuals.append(zip(au, u).map { ($0 - theta * $1) * ($0 - theta * $1) }.reduce(0, +).squareRoot())
        }
        return EigenResult(which: .largestMagnitude, values: values, residuals: residuals, converged: converged, matvecs: matvecs,
                           iterations: iterations, restarts: 0, seconds: Date().timeIntervalSince(clock), method: "power", vectors: vectors)
    }
}
