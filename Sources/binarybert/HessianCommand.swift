import ArgumentParser
import BERT
import Curvature
import Numerics

extension HessianAnalysis.Space: ExpressibleByArgument {}
extension HessianAnalysis.Method: ExpressibleByArgument {}
extension TraceEstimator.Method: ExpressibleByArgument {}
extension CurvatureProduct: ExpressibleByArgument {}
extension CurvatureScale: ExpressibleByArgument {}

/// `binarybert hessian`: curvature of a model's loss by exact Hessian-vector products.
struct HessianCommand: OutputCommand, CheckedArguments {
    static let configuration = CommandConfiguration(commandName: "hessian",
        abstract: "Curvature of the loss: extreme Hessian eigenpairs, trace, spectral density, per-module λ_max/λ_min.",
        discussion: """
        The objective: the mean loss over the first --examples examples of --split (or a seeded subset, --sample-seed), \
        eval mode, activation quantizers frozen. Products are exact (Pearlmutter's R-operator); a quantized model's \
        Hessian is taken in the weights ŵ its forward reads (the STE surrogate's), a split model's in ŵ₁ + ŵ₂ (--space \
        pair: in the halves). --curvature and --scale apply to --select and --per-module.

        Selections (--select): KIND@LAYERS[+KIND@LAYERS…], KIND one of \(ParameterSelection.Kind.allCases.map(\.rawValue).joined(separator: ", ")); \
        LAYERS like 0,1 or 0-3 or *; embeddings, pooler and classifier take no layers. Weight matrices only unless \
        --include-biases.

        Writes OUTPUT/hessian.json, per-module[-<curvature>[-<scale>]].csv (an interrupted table resumes) and the \
        eigenvectors as OUTPUT/<model>/top-i.safetensors. Definitions and conventions: Analyses/README.md.
        """)

    @Option(help: "Model directory (repeat for several: full precision, quantized, split or packed).") var model: [String] = []
    @Option(help: "Parameter selection (see above). Needed unless only --per-module.") var select: String?
    @Flag(help: "Add the selected modules' biases and LayerNorm parameters.") var includeBiases = false
    @Option(help: "Largest-algebraic eigenpairs to compute.") var topK = 1
    @Option(help: "Smallest-algebraic eigenpairs to compute (Lanczos only).") var bottomK = 0
    @Option(help: "Eigensolver (power: PyHessian's rule, largest |λ|).") var method: HessianAnalysis.Method = .lanczos
    @Option(help: "Lanczos: converged when the Ritz residual ≤ tol·‖T‖; power: relative change of θ below tol.") var tol = 1e-4
    @Option(help: "HVP budget of the eigensolver (per eigenvalue for power iteration; per cell for --per-module).") var maxHvps = 100
    @Flag(help: "Estimate the trace.") var trace = false
    @Option(help: "HVPs of the trace estimate (default: \(HessianAnalysis.Request().probes)).") var traceMatvecs: Int?
    /// The old name of --trace-matvecs, still read (scripts and the markers of earlier reports use it).
    @Option(name: .customLong("probes"), help: .hidden) var probes: Int?
    @Option(help: "Trace estimator.") var estimator: TraceEstimator.Method = .hutchpp
    @Flag(help: "Estimate the spectral density by stochastic Lanczos quadrature.") var density = false
    @Option(help: "SLQ runs.") var runs = 4
    @Option(help: "Lanczos steps per SLQ run.") var steps = 40
    @Option(help: "Gaussian smoothing σ of the density (default: 1% of the nodes' spread).") var sigma: Double?
    @Option(help: "Points of the density grid.") var grid = 256
    @Flag(help: "Per-module λ_max and λ_min table (the paper's Fig. 3), on each of --batches mini-batches.") var perModule = false
    @Option(help: "With --per-module: disjoint mini-batches of --batch-size examples.") var batches = 2
    @Option(help: "With --per-module or --heterogeneity: layers, e.g. 0-5 or 0,3 (default: all).") var layers: String?
    @Flag(help: "Spectral density of each module kind in --layers (SLQ) and their Jensen–Shannon distances.") var heterogeneity = false
    @Flag(help: "Compare the second-order prediction gᵀε + ½εᵀHε of quantizing the selection with the loss change measured.") var quadraticCheck = false
    @Flag(help: "With --quadratic-check: λ_max at w by Lanczos and the paper's bound ½λ_max‖ε‖².") var quadraticBound = false
    @Option(help: "Space (pair: a split model's halves).") var space: HessianAnalysis.Space = .effective
    @Option(help: "Curvature matrix (ggn: the generalized Gauss–Newton Jᵀ H_out J, positive semi-definite).") var curvature: CurvatureProduct = .hessian
    @Option(help: "Scale-invariant view D·C·D (weights: D = diag(|w|); steps: D = the quantization step α per tensor).") var scale: CurvatureScale = .none
    @Option(help: "Start Lanczos from these eigenvector files of an earlier run (repeatable).") var warmStart: [String] = []
    @Flag(help: "Accept --warm-start files computed on another model (same tensor names, another sha256).") var allowOtherModel = false
    @Option(help: "Precision of the computation.") var dtype: DType = .float64
    @Option(help: "Seed of every random vector.") var seed: UInt64 = 0
    @Option(help: "Memory (MB) for curvature products in blocks: the trace and density estimates apply the operator to as many vectors at once as fit (0: one at a time).")
    var blockMemory: Double = 0
    @Option(help: "Output directory.") var output: String
    @OptionGroup var objective: ProbeObjectiveArguments
    @OptionGroup var threading: ThreadOptions

    func check() throws {
        try objective.requireTaskAndData()
        if traceMatvecs != nil && probes != nil { throw ValidationError("give --trace-matvecs once (--probes is its old name)") }
        try job.validate()
    }

    func execute() throws { try printJSONLine(try job.run(version: BinaryBERTVersion.string, log: standardError)) }

    var job: HessianJob {
        var r = HessianAnalysis.Request()
        r.space = space; r.topK = topK; r.bottomK = bottomK; r.method = method; r.tolerance = tol
        r.maxHVPs = maxHvps; r.seed = seed; r.trace = trace; r.probes = traceMatvecs ?? probes ?? r.probes
        r.estimator = estimator; r.density = density; r.runs = runs; r.steps = steps
        r.sigma = sigma; r.gridPoints = grid; r.quadraticCheck = quadraticCheck; r.quadraticBound = quadraticBound
        r.allowOtherModel = allowOtherModel; r.view = CurvatureView(product: curvature, scale: scale); r.blockMemoryMB = blockMemory
        var job = HessianJob(models: model, objective: objective.options(examples: 64), output: output)
        job.select = select; job.includeBiases = includeBiases; job.analysis = r; job.warmStart = warmStart
        job.perModule = perModule; job.batches = batches; job.layers = layers; job.dtype = dtype; job.heterogeneity = heterogeneity
        return job
    }

    /// `job` as this command's arguments: what it computes with the settings that apply to it (the eigensolver's
    /// budget after what it solves for, or after the objective for the per-module table alone), and any other
    /// option that differs from its default.
    static func arguments(_ job: HessianJob) -> [String] {
        let r = job.analysis, d = HessianAnalysis.Request(), o = job.objective
        var a = ArgumentWriter("hessian")
        for m in job.models { a.options(["--model": m]) }
        a.task(o.task, data: o.data, maxLength: o.maxLength)
        a.options(["--select": job.select])
        a.nondefault(["--top-k": (r.topK, d.topK)], always: job.select != nil)
        a.nondefault(["--bottom-k": (r.bottomK, d.bottomK)])
        a.options(["--include-biases": job.includeBiases])
        a.nondefault(["--method": (r.method.rawValue, d.method.rawValue)])
        let solves = job.select != nil && (r.topK > 0 || r.bottomK > 0 || r.quadraticBound)
        func budget(always: Bool) { a.nondefault(["--tol": (r.tolerance, d.tolerance), "--max-hvps": (r.maxHVPs, d.maxHVPs)], always: always) }
        if solves { budget(always: true) }
        a.options(["--trace": r.trace])
        a.nondefault(["--estimator": (r.estimator.rawValue, d.estimator.rawValue), "--trace-matvecs": (r.probes, d.probes)], always: r.trace)
        a.options(["--density": r.density, "--heterogeneity": job.heterogeneity])
        a.nondefault(["--runs": (r.runs, d.runs), "--steps": (r.steps, d.steps)], always: r.density || job.heterogeneity)
        a.options(["--sigma": r.sigma])
        a.nondefault(["--grid": (r.gridPoints, d.gridPoints)])
        a.options(["--quadratic-check": r.quadraticCheck, "--quadratic-bound": r.quadraticBound])
        a.nondefault(["--space": (r.space.rawValue, d.space.rawValue), "--curvature": (r.view.product.rawValue, d.view.product.rawValue),
                      "--scale": (r.view.scale.rawValue, d.view.scale.rawValue)])
        for w in job.warmStart { a.options(["--warm-start": w]) }
        a.options(["--allow-other-model": r.allowOtherModel])
        a.nondefault(["--block-memory": (r.blockMemoryMB, d.blockMemoryMB)])
        a.options(["--per-module": job.perModule, "--layers": job.layers])
        a.nondefault(["--batches": (job.batches, HessianJob(models: [], objective: o, output: "").batches)], always: job.perModule)
        a.objectiveExamples(o)
        if !solves { budget(always: job.perModule) }
        a.options(["--seed": r.seed, "--dtype": job.dtype.rawValue, "--output": job.output])
        return a.words
    }
}
