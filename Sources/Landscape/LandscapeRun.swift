import BERT
import Foundation
import Probe
import Numerics
import Storage

/// A whole `binarybert landscape` request on one model: builds the directions (for each direction seed), resolves
/// the space, and runs one resumable `SurfaceScan` per seed — into OUTPUT itself for one seed, into OUTPUT/seed-S
/// for several, with `statistics.csv` (every seed) and `statistics-summary.csv` (mean ± std) at OUTPUT. Its options'
/// fields read and write as its own (`request.select`).
@dynamicMemberLookup
public struct LandscapeRequest {
    public var options: LandscapeOptions
    /// Identity entries of the objective (task, split, examples' hash, max length, batch size, dtype).
    public var objectiveIdentity: [String: String] = [:]
    /// Provenance written into every sidecar (command, version, threads, dtype, objective); none when nil.
    public var provenance: ProbeProvenance?

    public init(options: LandscapeOptions) { self.options = options }
    public init(select: String, grid: SurfaceGrid) { self.init(options: LandscapeOptions(select: select, grid: grid)) }

    public subscript<Value>(dynamicMember field: WritableKeyPath<LandscapeOptions, Value>) -> Value {
        get { options[keyPath: field] }
        set { options[keyPath: field] = newValue }
    }
}

public enum LandscapeRun {
    public struct Unit: Sendable {
        public let directory: URL
        public let seed: UInt64?
        public let outcome: SurfaceScan.Outcome
    }

    /// The seeds the request scans: S…S+K−1 when a direction is drawn, else none.
    static func seeds(_ r: LandscapeRequest) -> [UInt64?] {
        r.options.drawsDirections ? (0..<UInt64(r.directionSeeds)).map { r.directionSeed + $0 } : [nil]
    }

    public static func run<T: BLASReal>(probe: ProbeModel<T>, objective: LossObjective<T>, request r: LandscapeRequest, output: URL,
                                        progress: @escaping (String) -> Void) throws -> [Unit] {
        let model = probe.model
        let seeds = seeds(r)
        if r.directionSeeds > 1 && seeds.count == 1 {
            throw LandscapeError.badOption(option: "--direction-seeds", reason: "repeats drawn directions (random, filter, layer); \(r.directions) is fixed")
        }
        let plan = try DirectionPlan(probe: probe, request: r)
        let space = plan.space, union = plan.union, xSel = plan.xSelection, ySel = plan.ySelection, yKind = plan.yKind
        let (boundary, entry) = SurfaceProbe<T>.cachedPass(model, views: union)
        let affine = r.prefixCache && r.affine ? SurfaceProbe<T>.affineStage(model, views: union, space: space) : nil
        let cacheBytes = r.prefixCache
            ? SurfaceProbe<T>.cacheBytes(objective, views: union, space: space, affine: r.affine, directions: r.grid.isTwoDimensional ? 2 : 1) : 0
        if cacheBytes > r.cacheMB << 20 {
            throw LandscapeError.badOption(option: "--cache-mb", reason: "is \(r.cacheMB) MB but the prefix cache of \(objective.exampleCount) examples needs \(Self.megabytes(cacheBytes)) MB: raise it, use fewer --examples, or --no-cache")
        }

        try MemoryBudget.require(cacheBytes, for: "The prefix cache of \(objective.exampleCount) examples",
                                 advice: "use fewer --examples or --no-cache")

        var out: [Unit] = []
        for seed in seeds {
            let s = seed ?? r.directionSeed
            let (dx, dy, cosine) = try plan.directions(seed: s)
            let dir = seeds.count > 1 ? output.appendingPathComponent("seed-\(s)") : output
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let meta = ["model": Provenance.relative(probe.directory.path), "model_sha256": probe.sha256, "space": space.rawValue, "selection": r.select]
            try dx.write(to: dir.appendingPathComponent("direction-x.safetensors"), metadata: meta)
            try dy?.write(to: dir.appendingPathComponent("direction-y.safetensors"), metadata: meta)
            var identity = r.objectiveIdentity
            identity["model_sha256"] = probe.sha256
            identity["space"] = space.rawValue
            identity["select"] = r.select
            identity["y_select"] = r.ySelect ?? ""
            identity["include_biases"] = String(r.includeBiases)
            identity["one_d"] = r.oneD.rawValue
            identity["directions"] = r.directions.description
            identity["y_directions"] = r.grid.isTwoDimensional ? yKind.description : ""
            identity["direction_seed"] = seed.map(String.init) ?? ""
            identity["x"] = r.grid.x.description
            identity["y"] = r.grid.y?.description ?? ""
            identity["affine"] = affine != nil ? "on" : "off"
            let scan = ScanProvenance(
                model: probe.description, space: space, spaceDefinition: spaceDefinition(space, split: probe.split),
                selection: .init(x: xSel.names, y: ySel?.names ?? (r.grid.isTwoDimensional ? xSel.names : []), includeBiases: r.includeBiases,
                                 oneD: r.oneD, dimension: union.reduce(0) { $0 + $1.count }),
                directions: .init(x: .init(dx, file: "direction-x.safetensors", selection: r.select),
                                  y: dy.map { .init($0, file: "direction-y.safetensors", selection: r.ySelect ?? r.select) },
                                  cosineBeforeOrthogonalization: dy == nil ? nil : cosine, cosineAfterOrthogonalization: dy.map { $0.cosine(dx) }),
                prefixCache: .init(enabled: r.prefixCache, boundary: r.prefixCache ? boundaryName(boundary) : "embeddings (full forward)",
                                   layerEntry: r.prefixCache ? entry.name : "start", bytes: cacheBytes, budgetMb: r.cacheMB,
                                   affineStage: affine.map { "\($0.entry.name)@\($0.layer)" }))
            let probeRunner = SurfaceProbe(probe: probe, objective: objective, space: space, x: dx, y: dy, prefixCache: r.prefixCache,
                                           affine: r.affine)
            progress("landscape \(probe.label) \(space.rawValue) \(r.directions)\(seed.map { " seed \($0)" } ?? ""): \(r.grid.pointCount) points"
                     + (r.shard.map { ", shard \($0) (\($0.source))" } ?? ""))
            let outcome = try SurfaceScan.run(grid: r.grid, shard: r.shard, directory: dir, identity: identity, sidecar: JSONObjectParts(r.provenance, scan),
                                              directionSeed: seed, progress: progress) { x, y in try probeRunner.evaluate(x: x, y: y) }
            out.append(Unit(directory: dir, seed: seed, outcome: outcome))
        }
        if seeds.count > 1, r.shard == nil {
            try writeSummary(out.compactMap { u in u.outcome.statistics.map { (u.seed, $0) } }, to: output)
        }
        return out
    }

    /// statistics.csv over every seed and statistics-summary.csv (mean, sample std, count) at `output`.
    public static func writeSummary(_ runs: [(UInt64?, SurfaceStatistics)], to output: URL) throws {
        try SurfaceStatistics.write(runs, to: output.appendingPathComponent(SurfaceStatistics.fileName))
        let summary = SurfaceStatistics.aggregate(runs.map(\.1)).map { [$0.name, TidyCSV.number($0.mean), TidyCSV.number($0.std), String($0.count)] }
        try ModelDirectory.atomicWrite(Data(TidyCSV.text(header: ["statistic", "mean", "std", "count"], rows: summary).utf8),
                                       to: output.appendingPathComponent("statistics-summary.csv"))
    }

    static func boundaryName(_ b: PassBoundary) -> String {
        switch b {
        case .embeddings: return "embeddings (full forward)"
        case let .hiddenState(l): return "hidden_states.\(l)"
        }
    }

    static func spaceDefinition(_ s: PerturbationSpace, split: Bool) -> String {
        switch s {
        case .fullPrecision: return "the full-precision weights"
        case .latent: return split
            ? "latent halves w₁ + δ/2 and w₂ + δ/2, re-quantized at every point: ŵ = Q_b(w₁ + δ/2) + Q_b(w₂ + δ/2), scales recomputed"
            : "latent weights w + δ, re-quantized at every point by the model's quantizer, scales recomputed"
        case .quantized: return "the quantized weights the forward reads, ŵ + δ"
        case .steps: return "ŵ + δ with each quantized tensor's direction at RMS = its quantization step (per row for an embedding)"
        }
    }

    /// Bytes as MB for a message: rounded up, so a need below 1 MB never reads "needs 0 MB".
    static func megabytes(_ bytes: Int) -> Int { (bytes + (1 << 20) - 1) >> 20 }
}
