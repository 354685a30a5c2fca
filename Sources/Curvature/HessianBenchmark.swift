import BERT
import Foundation
import Numerics
import Storage

/// Measurements behind the README's curvature performance table, all on one objective in one process: the cost of
/// an HVP against a gradient (full model and blocks), and how many HVPs Lanczos and PyHessian-style power iteration
/// need to reach the top eigenvalues to a relative accuracy.
public enum HessianBenchmark {
    public struct Cost: Codable, Sendable {
        public var selection: String
        public var dimension: Int
        public var gradientSeconds: Double
        public var hvpSeconds: Double
        public var ratio: Double
        enum CodingKeys: String, CodingKey {
            case selection, dimension, gradientSeconds = "gradient_seconds", hvpSeconds = "hvp_seconds", ratio = "hvp_over_gradient"
        }
    }

    public struct Convergence: Codable, Sendable {
        public var reference: [Double]
        /// HVPs until the top-1 (resp. all top-k) estimates are within `accuracy` (relative) of the reference and stay.
        public var lanczosTop1: Int?, lanczosTopK: Int?
        public var powerTop1: Int?, powerTopK: Int?
        /// PyHessian's stopping rule at --tol 1e-3: what it returns, and its HVPs.
        public var powerValues: [Double]
        public var powerHVPs: Int
        public var powerSeconds: Double
        public var lanczosSecondsToTopK: Double?
        public var accuracy: Double
        enum CodingKeys: String, CodingKey {
            case reference, lanczosTop1 = "lanczos_hvps_top1", lanczosTopK = "lanczos_hvps_topk", powerTop1 = "power_hvps_top1"
            case powerTopK = "power_hvps_topk", powerValues = "power_values", powerHVPs = "power_hvps", powerSeconds = "power_seconds"
            case lanczosSecondsToTopK = "lanczos_seconds_to_topk", accuracy
        }
    }

    /// Median seconds of a gradient of all parameters and of a curvature-vector product (an HVP by default)
    /// restricted to `selection` (after a warm-up each).
    public static func cost<T: BLASReal>(objective: LossObjective<T>, selection: ParameterSelection, iterations: Int,
                                         product: CurvatureProduct = .hessian) throws -> Cost {
        let hessian = ModelCurvature(objective: objective, selection: selection.views, product: product)
        var rng = SeededRNG(seed: 1)
        let v = (0..<hessian.dimension).map { _ in rng.normal() }
        var y = [Double](repeating: 0, count: hessian.dimension)
        _ = try objective.lossAndGradient()
        try v.withUnsafeBufferPointer { xp in try y.withUnsafeMutableBufferPointer { try hessian.apply(xp.baseAddress!, into: $0.baseAddress!) } }
        var g: [Double] = [], h: [Double] = []
        for _ in 0..<iterations {
            g.append(try Stopwatch.seconds { _ = try objective.lossAndGradient() })
            h.append(try Stopwatch.seconds {
                try v.withUnsafeBufferPointer { xp in try y.withUnsafeMutableBufferPointer { try hessian.apply(xp.baseAddress!, into: $0.baseAddress!) } }
            })
        }
        return Cost(selection: selection.spec, dimension: selection.dimension, gradientSeconds: Stopwatch.median(g), hvpSeconds: Stopwatch.median(h),
                    ratio: Stopwatch.median(h) / Stopwatch.median(g))
    }

    /// HVP counts to reach the top-1 and top-k eigenvalues to `accuracy`: Lanczos (checked after every step) against
    /// power iteration with deflation (each eigenvalue run to a tight tolerance, counting when its estimate first
    /// enters and stays within accuracy), and PyHessian's own stopping rule (tol 1e-3).
    public static func convergence(_ op: LinearOperator, k: Int, accuracy: Double, seed: UInt64, budget: Int,
                                   progress: (String) -> Void) throws -> Convergence {
        // Reference: Lanczos to a tight tolerance.
        var ro = Lanczos.Options()
        ro.count = k; ro.maxMatvecs = budget; ro.tolerance = 1e-9; ro.seed = seed &+ 99
        let reference = try Lanczos.eigenpairs(op, options: ro).values
        progress("reference top-\(k): \(reference.map { String(format: "%.6g", $0) }.joined(separator: " "))")
        func within(_ got: [Double], _ n: Int) -> Bool {
            got.count >= n && (0..<n).allSatisfy { abs(got[$0] - reference[$0]) <= accuracy * abs(reference[$0]) }
        }
        // Lanczos: record the Ritz values after every step.
        var history: [(Int, [Double])] = []
        var lo = Lanczos.Options()
        lo.count = k; lo.maxMatvecs = budget; lo.tolerance = 1e-9; lo.seed = seed
        let clock = Date()
        var stamps: [Int: Double] = [:]
        lo.progress = { hvps, values, _ in history.append((hvps, values)); stamps[hvps] = Date().timeIntervalSince(clock) }
        _ = try Lanczos.eigenpairs(op, options: lo)
        func firstStable(_ h: [(Int, [Double])], _ n: Int) -> Int? {
            var first: Int? = nil
            for (hvps, values) in h { if within(values, n) { if first == nil { first = hvps } } else { first = nil } }
            return first
        }
        let l1 = firstStable(history, 1), lk = firstStable(history, k)
        // Power iteration with deflation, each eigenvalue run for up to `budget` steps; HVPs counted cumulatively.
        var found: [[Double]] = [], values: [Double] = []
        var total = 0
        var p1: Int? = nil, pk: Int? = nil
        let n = op.dimension
        var rng = SeededRNG(seed: seed, stream: 0x90E2)
        let v = Buffer<Double>(count: n), hv = Buffer<Double>(count: n)
        for i in 0..<k {
            rng.fillNormal(v.pointer, count: n)
            normalize(v.pointer, n)
            var enteredAt: Int? = nil
            var theta = 0.0
            for _ in 0..<budget {
                project(v.pointer, n, outOf: found)
                normalize(v.pointer, n)
                try op.apply(v.pointer, into: hv.pointer)
                total += 1
                let t = Double.dot(n: n, x: hv.pointer, incx: 1, y: v.pointer, incy: 1)
                v.copy(from: hv)
                normalize(v.pointer, n)
                if abs(t - reference[i]) <= accuracy * abs(reference[i]) { if enteredAt == nil { enteredAt = total } } else { enteredAt = nil }
                let converged = abs(t - theta) <= 1e-9 * abs(t)
                theta = t
                if converged { break }
            }
            found.append(v.array)
            values.append(theta)
            if i == 0 { p1 = enteredAt }
            if i == k - 1 { pk = enteredAt }
            if enteredAt == nil { break }
        }
        var po = PowerIteration.Options()
        po.count = k; po.tolerance = 1e-3; po.maxIterations = 100; po.seed = seed
        let powerClock = Date()
        let power = try PowerIteration.eigenpairs(op, options: po)
        let powerSeconds = Date().timeIntervalSince(powerClock)
        return Convergence(reference: reference, lanczosTop1: l1, lanczosTopK: lk, powerTop1: p1, powerTopK: pk,
                           powerValues: power.values, powerHVPs: power.matvecs, powerSeconds: powerSeconds,
                           lanczosSecondsToTopK: lk.flatMap { stamps[$0] }, accuracy: accuracy)
    }
}

extension HessianBenchmark {
    /// The peak memory a `bench-hessian --memory-probe` child reports: its ru_maxrss, the RSS loading left, the peak
    /// since the reset after loading and the growth over that baseline (each null where the kernel could not say).
    public struct MemoryProbeReport: Encodable, Sendable {
        @NullWhenAbsent public var maxRssMb: Double?
        @NullWhenAbsent public var baselineRssMb: Double?
        @NullWhenAbsent public var peakRssMb: Double?
        @NullWhenAbsent public var growthMb: Double?

        public init(maxRssMb: Double?, baselineRssMb: Double?, peakRssMb: Double?, growthMb: Double?) {
            self.maxRssMb = maxRssMb; self.baselineRssMb = baselineRssMb; self.peakRssMb = peakRssMb; self.growthMb = growthMb
        }

        /// The report a child printed (each field absent from it is nil).
        public init(_ printed: JSONValue) {
            self.init(maxRssMb: printed["max_rss_mb"]?.double, baselineRssMb: printed["baseline_rss_mb"]?.double,
                      peakRssMb: printed["peak_rss_mb"]?.double, growthMb: printed["growth_mb"]?.double)
        }
    }

    /// Both children's reports side by side (`<field>_gradient`, `<field>_hvp`, as read from them: `JSONValue.ReadBack`)
    /// with the HVP's peak over the gradient's and its growth over the gradient's growth, where both are known.
    public struct Memory: Encodable, Sendable {
        public var gradient: MemoryProbeReport
        public var hvp: MemoryProbeReport

        public init(gradient: MemoryProbeReport, hvp: MemoryProbeReport) {
            self.gradient = gradient
            self.hvp = hvp
        }

        public var hvpOverGradient: Double? {
            guard let g = gradient.peakRssMb, let h = hvp.peakRssMb else { return nil }
            return h / g
        }

        public var hvpGrowthOverGradientGrowth: Double? {
            guard let g = gradient.growthMb, let h = hvp.growthMb, g > 0 else { return nil }
            return h / g
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: JSONKey.self)
            for (suffix, r) in [("gradient", gradient), ("hvp", hvp)] {
                for (name, v) in [("max_rss_mb", r.maxRssMb), ("baseline_rss_mb", r.baselineRssMb), ("peak_rss_mb", r.peakRssMb), ("growth_mb", r.growthMb)] {
                    try c.encode(NullWhenAbsent(wrappedValue: v.map { JSONValue.number($0).readBack }), forKey: JSONKey("\(name)_\(suffix)"))
                }
            }
            try c.encodeIfPresent(hvpOverGradient, forKey: JSONKey("hvp_over_gradient"))
            try c.encodeIfPresent(hvpGrowthOverGradientGrowth, forKey: JSONKey("hvp_growth_over_gradient_growth"))
        }
    }

    /// What `binarybert bench-hessian` prints: the model and objective, the machine, the costs, the convergence
    /// counts and the memory of both probes; `curvature` only for a product other than the Hessian.
    public struct Report: Encodable {
        public var model: [String: String]
        public var examples: Int
        public var indicesSha256: String
        public var batchSize: Int
        public var batching: String
        public var maxLength: Int
        public var dtype: String
        public var threads: Int
        public var blasCore: String
        public var version: String
        public var select: String
        public var topK: Int
        public var cost: ReadBackNumbers<[Cost]>
        public var convergence: ReadBackNumbers<Convergence>
        public var memory: Memory
        public var curvature: CurvatureProduct?
        /// Products in blocks against one at a time (`BlockBenchmark`).
        public var blocks: ReadBackNumbers<BlockBenchmark.Report>?

        public init(model: [String: String], examples: Int, indicesSha256: String, batchSize: Int, batching: String, maxLength: Int,
                    dtype: String, version: String, select: String, topK: Int, cost: [Cost], convergence: Convergence, memory: Memory,
                    curvature: CurvatureProduct, blocks: BlockBenchmark.Report? = nil) {
            self.model = model; self.examples = examples; self.indicesSha256 = indicesSha256; self.batchSize = batchSize
            self.batching = batching; self.maxLength = maxLength; self.dtype = dtype
            threads = Parallel.threads
            blasCore = BLASInfo.coreName
            self.version = version; self.select = select; self.topK = topK; self.cost = ReadBackNumbers(cost); self.convergence = ReadBackNumbers(convergence)
            self.memory = memory
            self.curvature = curvature == .hessian ? nil : curvature
            self.blocks = blocks.map(ReadBackNumbers.init)
        }
    }
}
