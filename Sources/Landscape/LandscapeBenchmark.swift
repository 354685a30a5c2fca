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

extension LandscapeBenchmark {
    /// What `binarybert bench-landscape` prints: the model, the machine, the objective and each selection's result.
    public struct Report: Encodable {
        let version: String, model: String, modelSha256: String, threads: Int, blasCore: String, dtype: String
        let split: String, examples: Int, indicesSha256: String, maxLength: Int, batchSize: Int, batching: String, grid: String, results: [Result]
        enum CodingKeys: String, CodingKey {
            case version, model, threads, dtype, split, examples, grid, results, batching
            case modelSha256 = "model_sha256", blasCore = "blas_core", indicesSha256 = "indices_sha256", maxLength = "max_length", batchSize = "batch_size"
        }
    }

    /// Every selection of `selections` timed on `model` (float32, filter-normalized directions in the quantized space)
    /// over `points` of `grid` (`gridText` as the user gave it); each selection's directions and points go to
    /// `output/<select>/` for the peer when `output` is given.
    public static func run(model: String, objective o: ProbeObjectiveOptions, selections: [String], grid: SurfaceGrid, gridText: String,
                           points: Int, seed: UInt64, output: URL?, version: String, log: (String) -> Void) throws -> Report {
        let probe = try ProbeModel<Float>(directory: URL(fileURLWithPath: model))
        let data = try ProbeData.prepare(o, models: [probe], log: log)
        var results: [Result] = []
        for s in selections {
            var request = LandscapeRequest(select: s, grid: grid)
            request.directions = .filter
            request.space = .quantized
            let dir = output.map { $0.appendingPathComponent(s.replacingOccurrences(of: "@", with: "-").replacingOccurrences(of: ",", with: "_")) }
            results.append(try run(probe: probe, objective: try data.objective(for: probe), request: request, seed: seed, points: points,
                                   output: dir, progress: log))
        }
        return Report(version: version, model: probe.directory.path, modelSha256: probe.sha256, threads: Parallel.threads, blasCore: BLASInfo.coreName,
                      dtype: "float32", split: o.split, examples: data.chosen.indices.count, indicesSha256: data.chosen.indicesHash,
                      maxLength: o.maxLength, batchSize: o.batchSize, batching: data.chosen.batching, grid: gridText, results: results)
    }
}
