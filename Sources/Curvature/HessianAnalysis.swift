import BERT
import Foundation
import Probe
import Numerics

/// What `binarybert hessian` computes for one model on one selection: extreme eigenpairs (Lanczos or power iteration),
/// a trace estimate, a spectral density and the quadratic check, with every count and time, and the eigenvectors on disk.
public enum HessianAnalysis {
    /// The space the Hessian is taken in. `effective`: ŵ (for a split model ŵ₁ + ŵ₂, comparable with ternary and BWN
    /// models); `pair`: a split model's halves (ŵ₁, ŵ₂), whose Hessian [[H, H], [H, H]] has eigenvalues 2λ and 0.
    public enum Space: String, Codable, Sendable, CaseIterable { case effective, pair }
    public enum Method: String, Codable, Sendable, CaseIterable { case lanczos, power }

    /// What to compute (the options of `hessian --select`).
    public struct Request: Codable, Sendable, Equatable {
        public var space: Space = .effective
        /// The curvature object: the Hessian (default) or the GGN, raw (default) or in a scale-invariant view.
        public var view = CurvatureView()
        public var topK = 1, bottomK = 0
        public var method: Method = .lanczos
        public var tolerance = 1e-4
        public var maxHVPs = 100
        public var seed: UInt64 = 0
        public var trace = false
        /// Matrix-vector products of the trace estimate (`--trace-matvecs`).
        public var probes = 30
        public var estimator: TraceEstimator.Method = .hutchpp
        public var density = false
        public var runs = 4, steps = 40
        public var sigma: Double? = nil
        public var gridPoints = 256
        public var quadraticCheck = false
        /// With `quadraticCheck`: λ_max at w by Lanczos (`tolerance`, `maxHVPs`, `seed`) and the bound ½λ_max‖ε‖².
        public var quadraticBound = false
        public var warmStart: [URL] = []
        /// Accept warm-start files whose recorded model sha256 is another model's.
        public var allowOtherModel = false
        /// Memory (MB) the curvature products of a block may take beyond one product's: the trace and density
        /// estimates then apply the operator to as many vectors at once as fit (`ModelCurvature.chooseBlockColumns`);
        /// 0 (the default): one vector at a time. Not recorded: results do not depend on it beyond rounding.
        public var blockMemoryMB: Double = 0
        public init() {}

        /// `warmStart` is left out: a file URL records the directory it was made in (`HessianJob` keeps the paths).
        enum CodingKeys: String, CodingKey {
            case space, view, topK, bottomK, method, tolerance, maxHVPs = "maxHvps", seed, trace, probes = "traceMatvecs", estimator, density
            case runs, steps, sigma, gridPoints, quadraticCheck, quadraticBound, allowOtherModel
        }

        /// Refuses, before any work, a request whose Krylov basis or sketch (vectors of `dimension` float64 entries)
        /// exceeds the memory available, by the solvers' own estimates (they check again where they allocate).
        public func requireMemory(dimension n: Int) throws {
            if ((topK > 0 || bottomK > 0) && method == .lanczos) || (quadraticCheck && quadraticBound) {
                try Lanczos.requireMemory(dimension: n, maxMatvecs: max(maxHVPs, topK, bottomK), advice: "ask for fewer --max-hvps or a smaller --select")
            }
            if trace && estimator == .hutchpp {
                try TraceEstimator.requireHutchPlusPlusMemory(dimension: n, matvecs: probes, advice: "ask for fewer --trace-matvecs or a smaller --select")
            }
            if density { try SpectralDensity.requireMemory(dimension: n, steps: steps, advice: "ask for fewer --steps or a smaller --select") }
        }
    }

    public struct DensityReport: Encodable {
        public var slq: SpectralDensity
        public var sigma: Double
        public var grid: [Double]
        public var density: [Double]
        public var trace: Double, traceStandardError: Double
        enum CodingKeys: String, CodingKey {
            case slq, sigma, grid, density, trace, traceStandardError = "trace_standard_error"
        }
    }

    public struct Report: Encodable {
        public var model: [String: String]
        public var loss: Double
        public var accuracy: Double?
        public var space: Space
        /// Set only for a view other than the raw Hessian (so that the default output is unchanged).
        public var curvature: CurvatureProduct?, scale: CurvatureScale?, matrix: String?
        public var dimension: Int
        public var top: EigenResult?
        public var bottom: EigenResult?
        public var trace: TraceEstimate?
        public var density: DensityReport?
        public var quadraticCheck: QuadraticCheck?
        public var eigenvectorFiles: [String]
        public var hvps: Int
        public var seconds: Double
        /// Columns of the block products of the trace and density estimates; set only above 1 (so that the default
        /// output is unchanged).
        public var blockColumns: Int?
        enum CodingKeys: String, CodingKey {
            case model, loss, accuracy, space, curvature, scale, matrix, dimension, top, bottom, trace, density, quadraticCheck = "quadratic_check"
            case eigenvectorFiles = "eigenvector_files", hvps, seconds, blockColumns = "block_columns"
        }
    }

    /// Names of the pair space's tensors: the selection's, then the same with the second halves' prefix.
    static func pairNames(_ selection: [ParameterView]) -> [ParameterView] {
        selection + selection.map {
            ParameterView(name: "split2." + $0.name, shape: $0.shape, offset: $0.offset, role: $0.role, layer: $0.layer, module: $0.module)
        }
    }

    /// Everything `hessian --select` computes for one model: the request checked against the model, its curvature
    /// operator, then the eigenpairs (saved as eigenvector files under OUTPUT/<label>/), trace, density and quadratic
    /// check it asks for, with every count and time.
    public static func analyze<T: BLASReal>(_ probe: ProbeModel<T>, objective: LossObjective<T>, selection: [ParameterView],
                                            request r: Request, output: URL, progress: @escaping (String) -> Void) throws -> Report {
        let clock = Date()
        try validate(r, for: probe)
        let (loss, accuracy) = try objective.lossAndAccuracy()
        let op = try makeOperator(probe, objective: objective, selection: selection, request: r)
        try op.checkFixed(seed: r.seed)
        var report = Report(model: probe.description, loss: loss, accuracy: accuracy, space: r.space, dimension: op.dimension,
                            eigenvectorFiles: [], hvps: 2, seconds: 0)
        if op.blockColumns > 1 {
            report.blockColumns = op.blockColumns
            progress("\(probe.label): trace and density products in blocks of \(op.blockColumns) (--block-memory \(r.blockMemoryMB) MB)")
        }
        if !r.view.isDefault {
            report.curvature = r.view.product; report.scale = r.view.scale; report.matrix = r.view.formula
        }
        try r.requireMemory(dimension: op.dimension)
        let files = EigenvectorFiles(directory: output.appendingPathComponent(probe.label), views: r.space == .pair ? pairNames(selection) : selection,
                                     modelSha256: probe.sha256, request: r)
        let start = try r.warmStart.map { try EigenvectorFile.read($0, selection: files.views, model: probe.sha256, allowOtherModel: r.allowOtherModel) }
        try FileManager.default.createDirectory(at: files.directory, withIntermediateDirectories: true)

        if r.topK > 0 || r.bottomK > 0 {
            let (results, hvps) = try eigenpairs(op, request: r, start: start, label: probe.label, progress: progress)
            report.hvps += hvps
            for result in results {
                if result.which == .smallestAlgebraic { report.bottom = result } else { report.top = result }
                report.eigenvectorFiles += try files.save(result, prefix: result.which == .smallestAlgebraic ? "bottom" : "top")
            }
        }
        if r.trace {
            progress("\(probe.label): trace by \(r.estimator.rawValue) with \(r.probes) HVPs")
            let t = try TraceEstimator.estimate(op, method: r.estimator, matvecs: r.probes, seed: r.seed)
            report.trace = t
            report.hvps += t.matvecs
        }
        if r.density {
            progress("\(probe.label): SLQ density, \(r.runs) runs × \(r.steps) steps")
            let d = try density(op, request: r)
            report.density = d
            report.hvps += d.slq.matvecs
        }
        let bound = r.quadraticBound ? lanczosOptions(r, label: probe.label + " λ_max at w", progress: progress) : nil
        if r.quadraticCheck, let q = try quadraticCheck(probe, objective: objective, selection: selection, bound: bound, progress: progress) {
            report.quadraticCheck = q
            report.hvps += q.hvps
        }
        report.seconds = Date().timeIntervalSince(clock)
        return report
    }

    /// Refuses a request the model or the curvature view cannot have, before any work.
    static func validate<T: BLASReal>(_ r: Request, for probe: ProbeModel<T>) throws {
        if r.space == .pair && !probe.split {
            throw CurvatureError.badRequest("--space pair needs a split (TWS) model; \(probe.label) is \(probe.kind)")
        }
        if r.method == .power && r.bottomK > 0 {
            throw CurvatureError.badRequest("power iteration finds the largest |λ| only: use --method lanczos for --bottom-k")
        }
        if r.quadraticCheck && !r.view.isDefault {
            throw CurvatureError.badRequest("--quadratic-check predicts the loss change with the raw Hessian itself: run it without --curvature ggn or --scale")
        }
    }

    /// The curvature operator of the request's view on the selection, on the halves' pair for `--space pair`.
    static func makeOperator<T: BLASReal>(_ probe: ProbeModel<T>, objective: LossObjective<T>, selection: [ParameterView],
                                          request r: Request) throws -> LinearOperator {
        let curvature = try r.view.makeOperator(probe, objective: objective, selection: selection,
                                                blockMemoryBytes: Int(r.blockMemoryMB * 1_048_576))
        return r.space == .pair ? SplitPairOperator(effective: curvature) : curvature
    }

    /// The top (and bottom) eigenpairs the request asks for, each trimmed to its count, and the HVPs they took.
    static func eigenpairs(_ op: LinearOperator, request r: Request, start: [[Double]], label: String,
                           progress: @escaping (String) -> Void) throws -> (results: [EigenResult], hvps: Int) {
        switch r.method {
        case .lanczos:
            var ends: [SpectrumEnd] = []
            if r.topK > 0 { ends.append(.largestAlgebraic) }
            if r.bottomK > 0 { ends.append(.smallestAlgebraic) }
            let results = try Lanczos.extremes(op, options: lanczosOptions(r, label: label, progress: progress), ends: ends, start: start)
            return (results.map { $0.prefix($0.which == .largestAlgebraic ? r.topK : r.bottomK) }, results[0].matvecs)
        case .power:
            var o = PowerIteration.Options()
            o.count = r.topK
            o.maxIterations = r.maxHVPs
            o.tolerance = r.tolerance
            o.seed = r.seed
            let result = try PowerIteration.eigenpairs(op, options: o)
            return ([result], result.matvecs + result.values.count)
        }
    }

    /// Lanczos for both ends at once, reporting its Ritz values, residual and time left after every step.
    static func lanczosOptions(_ r: Request, label: String, progress: @escaping (String) -> Void) -> Lanczos.Options {
        var o = Lanczos.Options()
        o.count = max(r.topK, r.bottomK)
        o.maxMatvecs = r.maxHVPs
        o.tolerance = r.tolerance
        o.seed = r.seed
        let perHVP = Date()
        o.progress = { hvps, values, residual in
            let rate = Date().timeIntervalSince(perHVP) / Double(max(hvps, 1))
            progress(String(format: "%@: %d HVPs, Ritz %@, worst relative residual %.2e, ETA ≤ %@", label, hvps,
                            values.prefix(6).map { String(format: "%.6g", $0) }.joined(separator: " "), residual,
                            formatDuration(rate * Double(r.maxHVPs - hvps))))
        }
        o.checkEvery = 1
        return o
    }

    /// The SLQ density on the request's grid, smoothed by its σ (default: 1% of the spectrum's spread, a standard
    /// deviation, unscaled), with the trace it implies.
    static func density(_ op: LinearOperator, request r: Request) throws -> DensityReport {
        let slq = try SpectralDensity.estimate(op, runs: r.runs, steps: r.steps, seed: r.seed)
        let nodes = slq.runs.flatMap(\.nodes)
        let range = (nodes.max() ?? 1) - (nodes.min() ?? 0)
        let sigma = r.sigma ?? max(range * 0.01, 1e-12)
        let grid = slq.grid(points: r.gridPoints, sigma: sigma)
        let (trace, se) = slq.trace
        return DensityReport(slq: slq, sigma: sigma, grid: grid, density: slq.smoothed(grid: grid, sigma: sigma),
                             trace: trace, traceStandardError: se)
    }

    /// The quadratic check of quantizing the selection; nil for a full-precision model (ŵ = w: nothing to check)
    /// and a packed one (no latent weights to check against).
    static func quadraticCheck<T: BLASReal>(_ probe: ProbeModel<T>, objective: LossObjective<T>, selection: [ParameterView],
                                            bound: Lanczos.Options?, progress: (String) -> Void) throws -> QuadraticCheck? {
        guard let latent = probe.latentWeights() else {
            progress("\(probe.label): no quadratic check (\(probe.kind == "fp" ? "full precision: ŵ = w" : "packed: no latent weights"))")
            return nil
        }
        progress("\(probe.label): quadratic check\(bound == nil ? "" : " with the bound ½λ_max‖ε‖²")")
        return try QuadraticCheck.run(objective: objective, selection: selection, latent: latent, bound: bound)
    }

    /// Where one model's eigenvectors go: OUTPUT/<label>/<prefix>-<i>.safetensors, named after the selected tensors
    /// (the pair space's halves as `split2.<name>`), sign fixed, with the eigenvalue, residual, model and space.
    struct EigenvectorFiles {
        let directory: URL
        let views: [ParameterView]
        let modelSha256: String
        let request: Request

        /// Writes every vector of `result`; the paths written, in order.
        func save(_ result: EigenResult, prefix: String) throws -> [String] {
            var paths: [String] = []
            for (i, v) in result.vectors.enumerated() {
                let url = directory.appendingPathComponent("\(prefix)-\(i).safetensors")
                var metadata = ["eigenvalue": String(result.values[i]), "residual": String(result.residuals[i]), "which": result.which.rawValue,
                                "model_sha256": modelSha256, "space": request.space.rawValue]
                if !request.view.isDefault { metadata["curvature"] = request.view.product.rawValue; metadata["scale"] = request.view.scale.rawValue }
                try EigenvectorFile.write(EigenvectorFile.fixSign(v), selection: views, to: url, metadata: metadata)
                paths.append(url.path)
            }
            return paths
        }
    }
}

extension EigenResult {
    /// The first `k` pairs.
    func prefix(_ k: Int) -> EigenResult {
        var trimmed = self
        trimmed.values = Array(values.prefix(k)); trimmed.residuals = Array(residuals.prefix(k))
        trimmed.converged = Array(converged.prefix(k)); trimmed.vectors = Array(vectors.prefix(k))
        return trimmed
    }
}
