import XCTest
import Numerics
@testable import Curvature

/// The curvature algorithms on dense matrices whose spectrum LAPACK (?syevr) gives exactly.
final class AlgorithmTests: XCTestCase {
    /// Q · diag(λ) · Qᵀ with a seeded random orthogonal Q (Gram–Schmidt of a Gaussian matrix).
    func matrix(_ lambdas: [Double], seed: UInt64) -> DenseOperator {
        let n = lambdas.count
        var rng = SeededRNG(seed: seed)
        var q = [[Double]]()
        while q.count < n {
            var v = (0..<n).map { _ in rng.normal() }
            for _ in 0..<2 { for u in q { let c = zip(u, v).map(*).reduce(0, +); for i in 0..<n { v[i] -= c * u[i] } } }
            let norm = v.map { $0 * $0 }.reduce(0, +).squareRoot()
            q.append(v.map { $0 / norm })
        }
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { for k in 0..<n { a[i * n + j] += q[k][i] * lambdas[k] * q[k][j] } } }
        return DenseOperator(a, dimension: n)
    }

    /// A random symmetric Gaussian matrix (indefinite, no structure).
    func gaussian(_ n: Int, seed: UInt64) -> DenseOperator {
        var rng = SeededRNG(seed: seed)
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in i..<n { let x = rng.normal(); a[i * n + j] = x; a[j * n + i] = x } }
        return DenseOperator(a, dimension: n)
    }

    func testLanczosMatchesSyevrAtBothEndsAndInMagnitude() throws {
        let op = gaussian(120, seed: 3)
        let exact = try LAPACK.symmetricEigen(op.matrix, n: 120).values   // ascending
        var o = Lanczos.Options()
        o.count = 4
        o.maxMatvecs = 120
        o.tolerance = 1e-9
        let results = try Lanczos.extremes(op, options: o, ends: [.largestAlgebraic, .smallestAlgebraic, .largestMagnitude])
        let top = Array(exact.reversed().prefix(4)), bottom = Array(exact.prefix(4))
        let magnitude = Array(exact.sorted { abs($0) > abs($1) }.prefix(4))
        for (r, want) in zip(results, [top, bottom, magnitude]) {
            XCTAssertTrue(r.allConverged, "\(r.which) not converged: \(r.residuals)")
            for (a, b) in zip(r.values, want) { XCTAssertEqual(a, b, accuracy: 1e-6 * max(1, abs(b))) }
            // Ritz residuals are the true residuals ‖Ay − θy‖.
            for (theta, y) in zip(r.values, r.vectors) {
                let ay = try op.apply(y)
                let res = zip(ay, y).map { ($0 - theta * $1) * ($0 - theta * $1) }.reduce(0, +).squareRoot()
                XCTAssertLessThanOrEqual(res, 1e-6 * (exact.map(abs).max() ?? 1))
            }
        }
        XCTAssertLessThan(results[0].matvecs, 120)
    }

    func testLanczosRestartsOnAnInvariantSubspace() throws {
        // Only 3 distinct eigenvalues: the Krylov space is exhausted after 3 steps, so a restart is needed for k = 5.
        let op = matrix([5, 5, 5, 2, 2, -1, -1, -1, -1, -1], seed: 2)
        var o = Lanczos.Options()
        o.count = 5
        o.maxMatvecs = 10
        let r = try Lanczos.eigenpairs(op, options: o)
        XCTAssertGreaterThan(r.restarts, 0)
        XCTAssertEqual(r.values.count, 5)
        // Every value is an eigenvalue (a single-vector Krylov method cannot see multiplicities beyond its restarts).
        for v in r.values { XCTAssertTrue([5.0, 2, -1].contains { abs($0 - v) < 1e-9 }, "\(v)") }
        XCTAssertEqual(r.values[0], 5, accuracy: 1e-9)
        XCTAssertEqual(r.values, r.values.sorted(by: >))
    }

    func testWarmStartFromEigenvectorsConvergesAtOnce() throws {
        let op = gaussian(80, seed: 8)
        var o = Lanczos.Options()
        o.count = 2
        o.maxMatvecs = 80
        o.tolerance = 1e-8
        let cold = try Lanczos.eigenpairs(op, options: o)
        let warm = try Lanczos.eigenpairs(op, options: o, start: cold.vectors)
        XCTAssertEqual(warm.values[0], cold.values[0], accuracy: 1e-8)
        XCTAssertLessThan(warm.matvecs, cold.matvecs)
    }

    func testPowerIterationFindsLargestMagnitudeEvenWhenNegative() throws {
        let op = matrix([-9, 4, 3, 1, 0.5, -0.2, 0.1, 0], seed: 5)
        var o = PowerIteration.Options()
        o.count = 2
        o.maxIterations = 500
        o.tolerance = 1e-10
        let r = try PowerIteration.eigenpairs(op, options: o)
        XCTAssertEqual(r.values[0], -9, accuracy: 1e-6)
        XCTAssertEqual(r.values[1], 4, accuracy: 1e-6)
        XCTAssertTrue(r.allConverged)
        XCTAssertLessThan(r.residuals[0], 1e-3)
    }

    func testTraceEstimatorsAndHutchPlusPlusOnADecayingSpectrum() throws {
        let n = 200
        let lambdas = (0..<n).map { 100 * pow(0.7, Double($0)) }
        let op = matrix(lambdas, seed: 11)
        let exact = lambdas.reduce(0, +)
        var errorsH: [Double] = [], errorsPP: [Double] = []
        for seed in 0..<8 {
            let h = try TraceEstimator.hutchinson(op, probes: 30, seed: UInt64(seed))
            let pp = try TraceEstimator.hutchPlusPlus(op, matvecs: 30, seed: UInt64(seed))
            XCTAssertLessThanOrEqual(abs(h.estimate - exact), 3 * h.standardError + 1e-9, "Hutchinson seed \(seed)")
            XCTAssertLessThanOrEqual(abs(pp.estimate - exact), 3 * pp.standardError + 1e-9, "Hutch++ seed \(seed)")
            XCTAssertEqual(h.matvecs, 30)
            XCTAssertEqual(pp.matvecs, 30)
            errorsH.append(abs(h.estimate - exact))
            errorsPP.append(abs(pp.estimate - exact))
        }
        XCTAssertLessThan(errorsPP.reduce(0, +), errorsH.reduce(0, +) / 3, "Hutch++ should beat Hutchinson at equal matvecs here")
    }

    func testSLQWeightsSumToOneAndEstimateTheTrace() throws {
        let n = 150
        let lambdas = (0..<n).map { Double($0 % 7) - 2 + 0.01 * Double($0) }
        let op = matrix(lambdas, seed: 13)
        let slq = try SpectralDensity.estimate(op, runs: 12, steps: 40, seed: 1)
        for r in slq.runs {
            XCTAssertEqual(r.weights.reduce(0, +), 1, accuracy: 1e-10)
            XCTAssertTrue(r.weights.allSatisfy { $0 >= 0 })
        }
        let exact = lambdas.reduce(0, +)
        let (estimate, se) = slq.trace
        XCTAssertLessThanOrEqual(abs(estimate - exact), 3 * se + 1e-9)
        // The smoothed density integrates to 1 over a grid that covers it.
        let grid = slq.grid(points: 400, sigma: 0.1)
        let rho = slq.smoothed(grid: grid, sigma: 0.1)
        let dx = grid[1] - grid[0]
        XCTAssertEqual(rho.reduce(0, +) * dx, 1, accuracy: 1e-3)
        // Extreme nodes approach the extreme eigenvalues.
        XCTAssertEqual(slq.runs[0].nodes.max()!, lambdas.max()!, accuracy: 1e-3)
    }

    func testSplitPairOperatorDoublesEigenvalues() throws {
        let op = matrix([3, 1, -2, 0.5], seed: 1)
        let pair = try DenseOperator.materialize(SplitPairOperator(effective: op))
        let values = try LAPACK.symmetricEigen(pair.matrix, n: 8).values
        for (a, b) in zip(values, [-4.0, 0, 0, 0, 0, 1, 2, 6]) { XCTAssertEqual(a, b, accuracy: 1e-12) }
    }

    final class Drifting: LinearOperator {
        let dimension = 4
        var calls = 0.0
        func apply(_ x: UnsafePointer<Double>, into y: UnsafeMutablePointer<Double>) throws {
            calls += 1
            for i in 0..<4 { y[i] = x[i] * (1 + 1e-12 * calls) }
        }
    }

    func testANonFixedOperatorIsRefused() throws {
        XCTAssertThrowsError(try Drifting().checkFixed(seed: 1)) { e in
            guard case CurvatureError.operatorNotFixed = e else { return XCTFail("\(e)") }
        }
        XCTAssertNoThrow(try gaussian(5, seed: 1).checkFixed(seed: 1))
    }

    func testBadRequestsAreTypedErrors() throws {
        var o = Lanczos.Options()
        o.count = 6
        XCTAssertThrowsError(try Lanczos.eigenpairs(gaussian(5, seed: 1), options: o))
        XCTAssertThrowsError(try TraceEstimator.hutchPlusPlus(gaussian(5, seed: 1), matvecs: 5, seed: 0))
        XCTAssertThrowsError(try TraceEstimator.hutchinson(gaussian(5, seed: 1), probes: 1, seed: 0))
    }
}
