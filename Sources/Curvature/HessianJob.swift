import Foundation
import Numerics
import Probe

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
        let r = analysis
        func refuse(_ why: String) -> CurvatureError { .badRequest(why) }
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
