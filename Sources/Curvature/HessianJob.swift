import BERT
import Foundation
import Numerics
import Probe
import Storage
import Training

/// `binarybert hessian`: curvature of the loss of one or several models on one objective, into `output`: the
/// analysis of a selection (`select` with `analysis`), the per-module table (`perModule`), or both. `analysis`'s
/// tolerance, HVP budget and seed drive the per-module table's Lanczos runs too.
public struct HessianJob: Codable, Sendable, Equatable {
    public var models: [String]
    /// The parameter selection (`KIND@LAYERS[+…]`) of `analysis`; nil: the per-module table alone.
    public var select: String?
    public var includeBiases = false
    /// What to compute on the selection; its files to start Lanczos from are `warmStart`.
    public var analysis = HessianAnalysis.Request()
    /// Eigenvector files of an earlier run to start Lanczos from, as given.
    public var warmStart: [String] = []
    /// λ_max and λ_min of every module block in `layers` (e.g. 0-5 or 0,3; all when nil) on `batches` disjoint
    /// mini-batches of the objective's batch size.
    public var perModule = false
    public var batches = 2
    /// Each model's spectral density per module kind in `layers` (SLQ with `analysis`'s runs and steps) and the
    /// Jensen–Shannon distances between them.
    public var heterogeneity = false
    public var layers: String?
    public var objective: ProbeObjectiveOptions
    public var dtype = DType.float64
    public var output: String

    public init(models: [String], objective: ProbeObjectiveOptions, output: String) {
        self.models = models
        self.objective = objective
        self.output = output
    }

    /// The paths it reads.
    public var reads: [String] { models + [objective.data] + warmStart }

    /// The request of `HessianAnalysis.analyze`: `analysis` with the `warmStart` files.
    public var request: HessianAnalysis.Request {
        var r = analysis
        r.warmStart = warmStart.map { URL(fileURLWithPath: $0) }
        return r
    }

    /// Refuses, before any work, a job whose parts do not fit together (each sentence names the options).
    public func validate() throws {
        try objective.validate()
        let r = analysis
        func refuse(_ why: String) -> CurvatureError { .badRequest(why) }
        for (name, k) in [("--top-k", r.topK), ("--bottom-k", r.bottomK)] where !(0...10_000).contains(k) {
            throw refuse("\(name) must be an integer in [0, 10000], not \(k)")
        }
        guard r.tolerance > 0, r.tolerance < 1, r.tolerance.isFinite else { throw refuse("--tol must be in (0, 1), got \(r.tolerance)") }
        guard r.maxHVPs >= 1, r.maxHVPs <= 100_000 else { throw refuse("--max-hvps must be in 1...100000, got \(r.maxHVPs)") }
        if r.trace {
            let least = r.estimator == .hutchpp ? 6 : 2
            guard r.probes >= least, r.probes <= 100_000 else {
                throw refuse("--trace-matvecs must be in \(least)...100000 for \(r.estimator.rawValue), got \(r.probes)")
            }
        }
        guard r.runs >= 1, r.runs <= 10_000, r.steps >= 1, r.steps <= 10_000 else { throw refuse("--runs and --steps must be in 1...10000") }
        if let sigma = r.sigma { guard sigma > 0, sigma.isFinite else { throw refuse("--sigma must be positive and finite, got \(sigma)") } }
        guard r.gridPoints >= 2, r.gridPoints <= 1_000_000 else { throw refuse("--grid must be in 2...1000000, got \(r.gridPoints)") }
        guard batches >= 1, batches <= 10_000 else { throw refuse("--batches must be in 1...10000, got \(batches)") }
        guard r.blockMemoryMB >= 0, r.blockMemoryMB <= 1_048_576 else { throw refuse("--block-memory must be in 0...1048576 (MB), got \(r.blockMemoryMB)") }
        guard !models.isEmpty else { throw refuse("give at least one --model") }
        guard select != nil || perModule || heterogeneity else { throw refuse("give --select (or --per-module or --heterogeneity alone)") }
        guard r.maxHVPs >= max(r.topK, r.bottomK) else { throw refuse("--max-hvps (\(r.maxHVPs)) must be at least --top-k/--bottom-k") }
        if r.method == .power && r.bottomK > 0 { throw refuse("--method power finds the largest |λ| only: use --method lanczos for --bottom-k") }
        if !warmStart.isEmpty && r.method == .power { throw refuse("--warm-start needs --method lanczos") }
        if r.quadraticCheck && !r.view.isDefault {
            throw refuse("--quadratic-check predicts the loss change with the raw Hessian itself: run it without --curvature ggn or --scale")
        }
        if r.quadraticBound && !r.quadraticCheck { throw refuse("--quadratic-bound bounds the quadratic check's curvature term: give --quadratic-check too") }
        if select == nil && (r.topK > 1 || r.bottomK > 0 || r.trace || r.density || r.quadraticCheck) {
            throw refuse("--top-k, --bottom-k, --trace, --density and --quadratic-check need --select")
        }
        let labels = models.map { URL(fileURLWithPath: $0).standardizedFileURL.lastPathComponent }
        if Set(labels).count != labels.count { throw refuse("--model directories must have different names (they label the results): \(labels)") }
    }

    /// The per-module table's (and the heterogeneity's) layers of a model with `count` layers.
    public func perModuleLayers(count: Int) throws -> [Int] {
        guard let layers else { return Array(0..<count) }
        var set = Set<Int>()
        for item in layers.split(separator: ",", omittingEmptySubsequences: false) {
            let b = item.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(b.count), let lo = Int(b[0]), let hi = Int(b.last!), lo <= hi, lo >= 0, hi < count else {
                throw CurvatureError.badRequest("--layers '\(layers)' must list layers within 0-\(count - 1), like 0-3 or 0,2")
            }
            set.formUnion(lo...hi)
        }
        return set.sorted()
    }
}

extension HessianJob {
    /// Runs the job into `output` (created): the analysis of `select`, then the per-module table, then the module
    /// heterogeneity, then hessian.json;
    /// returns the one-line result. `version` is the program's, recorded in the provenance; progress goes to `log`.
    public func run(version: String, log: @escaping (String) -> Void) throws -> HessianResultLine {
        dtype == .float32 ? try run(Float.self, version: version, log: log) : try run(Double.self, version: version, log: log)
    }

    func run<T: BLASReal>(_: T.Type, version: String, log: @escaping (String) -> Void) throws -> HessianResultLine {
        let clock = Date()
        for m in models { if let c = try? ModelDirectory.loadConfig(URL(fileURLWithPath: m)) { try TaskData.checkMaxLength(objective.maxLength, config: c, model: m) } }
        let out = URL(fileURLWithPath: output)
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let probes = try models.map { try ProbeModel<T>(directory: URL(fileURLWithPath: $0)) }
        let data = try ProbeData.prepare(objective, models: probes, log: log)
        let chosen = data.chosen, asked = data.options
        log("hessian: \(probes.count) model(s), \(data.task.name) \(asked.split) \(chosen.indices.count) examples (indices sha256 \(chosen.indicesHash.prefix(12))…), "
            + "\(dtype.rawValue), threads \(Parallel.threads), BLAS core \(BLASInfo.coreName)")
        let run = HessianRun(probes: probes, data: data, provenance: ProbeProvenance(version: version, dtype: dtype.rawValue, objective: data.record),
                             seed: analysis.seed, space: analysis.space, view: analysis.view, output: out, started: clock, progress: log)
        if let select { try run.analyze(select: select, includeBiases: includeBiases, request: request) }
        if perModule {
            let table = try run.openPerModuleTable()
            let layerList = try perModuleLayers(count: probes[0].model.config.numHiddenLayers)
            let needed = batches * asked.batchSize
            guard needed <= data.encoded.count else {
                throw OptionError("--per-module needs --batches × --batch-size = \(needed) examples; \(asked.split) has \(data.encoded.count)")
            }
            let miniBatches = try ProbeExamples(available: data.encoded.count, count: needed, sampleSeed: asked.sampleSeed,
                                                batchSize: asked.batchSize, packed: chosen.packed)
            var o = Lanczos.Options()
            o.maxMatvecs = analysis.maxHVPs; o.tolerance = analysis.tolerance; o.seed = analysis.seed
            try run.perModule(table: table, layers: layerList, batches: batches, miniBatches: miniBatches, options: o)
        }
        if heterogeneity {
            try run.heterogeneity(layers: try perModuleLayers(count: probes[0].model.config.numHiddenLayers), runs: analysis.runs,
                                  steps: analysis.steps, seed: analysis.seed)
        }
        return try run.finish()
    }
}
