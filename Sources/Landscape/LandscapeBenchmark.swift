import BERT
import Foundation
import Probe
import Numerics

/// Points per second of a scan by the prefix-cached path against the naive one (a full forward per point), timed
/// point by point in alternation so that all see the same machine: the prefix cache alone (bit-identical to the
/// naive path) and, where it applies, with the affine shortcut too (equal within rounding), which is what
/// `landscape` runs by default.
public enum LandscapeBenchmark {
    public struct Result: Codable, Sendable {
        public let select: String
        public let points: Int
        public let boundary: String
        public let layerEntry: String
        public let cacheBytes: Int
        public let cacheFillSeconds: Double
        public let naivePointsPerSecond: Double
        /// The default path: prefix cache, plus the affine shortcut where it applies.
        public let cachedPointsPerSecond: Double
        /// The prefix cache and layer entry alone.
        public let prefixOnlyPointsPerSecond: Double
        /// "stage@layer" of the affine shortcut, nil where it does not apply.
        public let affineStage: String?
        public let speedup: Double
        /// Largest |Δloss| of the default path against the naive one; of the prefix cache alone (0: bit-identical).
        public let maxLossDifference: Double
        public let maxLossDifferencePrefixOnly: Double
        /// (x, y, loss) of the timed points, for the peer to check against.
        public let evaluated: [[Double]]

        enum CodingKeys: String, CodingKey {
            case select, points, boundary, evaluated, speedup
            case layerEntry = "layer_entry"
            case cacheBytes = "cache_bytes", cacheFillSeconds = "cache_fill_seconds", naivePointsPerSecond = "naive_points_per_second"
            case cachedPointsPerSecond = "cached_points_per_second", maxLossDifference = "max_loss_difference"
            case prefixOnlyPointsPerSecond = "prefix_only_points_per_second", affineStage = "affine_stage"
            case maxLossDifferencePrefixOnly = "max_loss_difference_prefix_only"
        }
    }

    /// `count` grid points spread evenly over the linear indices of `grid`.
    public static func sample(_ grid: SurfaceGrid, count: Int) -> [Int] {
        let n = grid.pointCount
        guard count < n else { return Array(0..<n) }
        return (0..<count).map { count == 1 ? n / 2 : Int((Double($0) * Double(n - 1) / Double(count - 1)).rounded()) }
    }

    public static func run<T: BLASReal>(probe: ProbeModel<T>, objective: LossObjective<T>, request: LandscapeRequest, seed: UInt64,
                                        points: Int, output: URL?, progress: (String) -> Void) throws -> Result {
        let plan = try DirectionPlan(probe: probe, request: request)
        let (dx, dy, _) = try plan.directions(seed: seed)
        if let output {
            try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
            try dx.write(to: output.appendingPathComponent("direction-x.safetensors"), metadata: ["selection": request.select])
            try dy?.write(to: output.appendingPathComponent("direction-y.safetensors"), metadata: ["selection": request.select])
        }
        let cached = SurfaceProbe(probe: probe, objective: objective, space: plan.space, x: dx, y: dy, prefixCache: true)
        let prefixOnly = SurfaceProbe(probe: probe, objective: objective, space: plan.space, x: dx, y: dy, prefixCache: true, affine: false)
        let naive = SurfaceProbe(probe: probe, objective: objective, space: plan.space, x: dx, y: dy, prefixCache: false)
        let fill = Date()
        _ = try cached.evaluate(x: 0, y: 0)   // fills the prefix cache and the affine basis
        let fillSeconds = Date().timeIntervalSince(fill)
        var tNaive = 0.0, tCached = 0.0, tPrefix = 0.0, worst = 0.0, worstPrefix = 0.0
        var evaluated: [[Double]] = []
        let ks = sample(request.grid, count: points)
        for (n, k) in ks.enumerated() {
            let (x, y) = request.grid.offsets(k)
            // The paths take turns going first (what runs after a full forward sees colder caches).
            var a = (loss: Double.nan, metric: Double?.none), b = a, c = a
            let paths = cached.affineStage != nil ? 3 : 2
            for p in 0..<paths {
                let t = Date()
                switch (p + n) % paths {
                case 0: a = try naive.evaluate(x: x, y: y); tNaive += Date().timeIntervalSince(t)
                case 1: b = try cached.evaluate(x: x, y: y); tCached += Date().timeIntervalSince(t)
                default: c = try prefixOnly.evaluate(x: x, y: y); tPrefix += Date().timeIntervalSince(t)
                }
            }
            if paths == 3 { worstPrefix = max(worstPrefix, abs(a.loss - c.loss)) } else { tPrefix = tCached }
            worst = max(worst, abs(a.loss - b.loss))
            evaluated.append([x, y, b.loss])
            progress("\(request.select): point \(n + 1)/\(ks.count): naive \(String(format: "%.2f", Double(n + 1) / tNaive)) points/s, "
                     + "prefix cache \(String(format: "%.2f", Double(n + 1) / tPrefix)), default \(String(format: "%.2f", Double(n + 1) / tCached)) points/s")
        }
        return Result(select: request.select, points: ks.count, boundary: LandscapeRun.boundaryName(cached.boundary), layerEntry: cached.entry.name, cacheBytes: cached.prefixCacheBytes, cacheFillSeconds: fillSeconds,
                      naivePointsPerSecond: Double(ks.count) / tNaive, cachedPointsPerSecond: Double(ks.count) / tCached,
                      prefixOnlyPointsPerSecond: Double(ks.count) / tPrefix,
                      affineStage: cached.affineStage.map { "\($0.entry.name)@\($0.layer)" },
                      speedup: tNaive / tCached, maxLossDifference: worst, maxLossDifferencePrefixOnly: cached.affineStage != nil ? worstPrefix : worst,
                      evaluated: evaluated)
    }
}
