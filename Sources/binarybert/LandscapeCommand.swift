import ArgumentParser
import Foundation
import Probe
import Landscape
import Numerics
import Training

extension PerturbationSpace: ExpressibleByArgument {}
extension OneDPolicy: ExpressibleByArgument {}

/// `binarybert landscape`: 1-D and 2-D loss-surface scans, resumable and shardable, with surface statistics.
struct LandscapeCommand: ParsableCommand, CheckedArguments {
    static let configuration = CommandConfiguration(commandName: "landscape",
        abstract: "Loss-surface scans along random, filter-normalized, all-ones, Hessian or model-difference directions.",
        discussion: """
        Every point is θ₀ + x·d_x (+ y·d_y) from the unperturbed weights, and its value is the fixed objective of \
        `hessian`: the mean loss over the first --examples examples of --split (or a seeded subset with --sample-seed), \
        eval mode, activation quantizers frozen; the metric is the accuracy.

        Spaces (--space): latent perturbs the latent weights and re-quantizes at every point with the scales recomputed \
        (the paper's Fig. 2; the surface jumps where a weight crosses a threshold); quantized perturbs ŵ directly; steps \
        perturbs ŵ in units of each tensor's quantization step. A full-precision model has one space, recorded as \
        full-precision. A split model moves both halves by half the offset each.

        Directions (--directions, --y-directions): \(DirectionKind.syntax). random is standard Gaussian; filter rescales \
        each output row to the weight row's norm; layer each tensor to the tensor's norm; ones is the paper's probe, \
        mean|W|·1 per tensor (use --select value@0 --y-select value@1 for Fig. 2's one tensor per axis). Random draws \
        are per tensor name and seed. The y direction is orthogonalized against x after normalizing.

        Output: OUTPUT/surface.csv (i,j,x,y,loss,metric; appended to surface.csv.partial as points finish, so a rerun of \
        the same command computes only the missing points), surface.json (provenance, directions, statistics and their \
        definitions), statistics.csv, direction-x/-y.safetensors. --direction-seeds K > 1 writes OUTPUT/seed-S/ per \
        seed and statistics-summary.csv (mean ± std). A rerun with other options is refused.

        Sharding: --shard K/N (or the launcher's OMPI_COMM_WORLD_RANK/SIZE, PMI_RANK/SIZE, SLURM_ARRAY_TASK_ID/COUNT, \
        SLURM_PROCID/NTASKS) computes the points whose index k = j·Nx + i is K mod N into part-K-of-N.{csv,json}; \
        `binarybert landscape --merge DIR…` assembles them into the same surface.csv as an unsharded scan.
        """)

    @Option(help: "Model directory (full precision, quantized, split or packed).") var model: String?
    @Option(help: "Parameter selection of the x direction (KIND@LAYERS[+…], see hessian --help).") var select: String?
    @Option(help: "Selection of the y direction (default: --select).") var ySelect: String?
    @Flag(help: "Add the selected modules' biases and LayerNorm parameters.") var includeBiases = false
    @Option(help: "Directions on 1-D tensors: \(OneDPolicy.allCases.map(\.rawValue).joined(separator: ", ")).") var oneD: OneDPolicy = .zero
    @Option(help: "Perturbation space: \(PerturbationSpace.requestable.map(\.rawValue).joined(separator: ", ")).") var space: PerturbationSpace = .latent
    @Option(help: "x direction: \(DirectionKind.syntax).") var directions = "filter"
    @Option(help: "y direction (default: the x kind, drawn independently).") var yDirections: String?
    @Option(parsing: .unconditional, help: "x offsets MIN:MAX:N.") var x: String = "-1:1:21"
    @Option(parsing: .unconditional, help: "y offsets MIN:MAX:N (a 2-D scan).") var y: String?
    @Option(help: "Seed of drawn directions.") var directionSeed: UInt64 = 0
    @Option(help: "Repeat a drawn-direction scan over seeds S…S+K−1 and report mean ± std of each statistic.") var directionSeeds = 1
    @Option(help: "Compute only the points k ≡ K mod N (K/N).") var shard: String?
    @Flag(help: "Run the full forward at every point instead of starting from the cached hidden states.") var noCache = false
    @Flag(help: "Outside the latent space, compute the first perturbed dense layer per point instead of from its affine basis (bit-identical to --no-cache).")
    var noAffine = false
    @Option(help: "Largest prefix cache in MB; a larger one is refused.") var cacheMb = 1024
    @Flag(help: "Accept hessian:/file: direction files computed on another model (same tensor names, another sha256).") var allowOtherModel = false
    @Option(help: "Compute in \(DType.allCases.map(\.rawValue).joined(separator: " or ")).") var dtype: DType = .float32
    @Option(parsing: .upToNextOption, help: "Merge the part-K-of-N files of these directories (then only --output applies).") var merge: [String] = []
    @Option(help: "Output directory.") var output: String?
    @OptionGroup var objective: ProbeObjectiveArguments
    @OptionGroup var threading: ThreadOptions

    func check() throws {
        if !merge.isEmpty { return }
        for (name, value) in [("--model", model), ("--select", select), ("--output", output)] where value == nil {
            throw ValidationError("\(name) is required (unless --merge)")
        }
        try objective.requireTaskAndData(unless: "--merge")
        guard directionSeeds >= 1, directionSeeds <= 1000 else { throw ValidationError("--direction-seeds must be in 1...1000, got \(directionSeeds)") }
        try OptionCheck.integer(cacheMb, "--cache-mb", in: 0...(1 << 30))
        guard space != .fullPrecision else { throw ValidationError("--space must be one of \(PerturbationSpace.requestable.map(\.rawValue).joined(separator: ", "))") }
        _ = try job()
    }

    func run() throws {
        try threading.apply()
        try OutputClaim.with(output ?? merge[0]) {
            if !merge.isEmpty { return try printJSONLine(try SurfaceMerge.mergeLine(merge.map { URL(fileURLWithPath: $0) }, into: URL(fileURLWithPath: output ?? merge[0]))) }
            try printJSONLine(try job().run(version: BinaryBERTVersion.string, environment: ProcessInfo.processInfo.environment, log: standardError))
        }
    }

    /// The command's typed options (a scan: --merge has none).
    func job() throws -> LandscapeJob {
        guard merge.isEmpty, let model, let select, let output else { throw ValidationError("landscape --merge only assembles a scan's parts") }
        var scan = LandscapeOptions(select: select, grid: try SurfaceGrid.checked(x: try GridAxis(parsing: x, option: "--x"),
                                                                                  y: try y.map { try GridAxis(parsing: $0, option: "--y") }))
        scan.ySelect = ySelect; scan.includeBiases = includeBiases; scan.oneD = oneD; scan.space = space
        scan.directions = try DirectionKind(parsing: directions, option: "--directions")
        scan.yDirections = try yDirections.map { try DirectionKind(parsing: $0, option: "--y-directions") }
        scan.directionSeed = directionSeed; scan.directionSeeds = directionSeeds; scan.shard = try shard.map(Shard.init(parsing:))
        scan.prefixCache = !noCache; scan.affine = !noAffine; scan.cacheMB = cacheMb; scan.allowOtherModel = allowOtherModel
        var job = LandscapeJob(model: model, scan: scan, objective: objective.options(examples: 256), output: output)
        job.dtype = dtype
        return job
    }

    /// `job` as this command's arguments: the scan as the report states it (seeds where a direction is drawn), and
    /// any other option that differs from its default.
    static func arguments(_ job: LandscapeJob) -> [String] {
        let s = job.scan, d = LandscapeOptions(select: s.select, grid: s.grid), o = job.objective
        func axis(_ a: GridAxis) -> String { "\(ArgumentWriter.number(a.min)):\(ArgumentWriter.number(a.max)):\(a.count)" }
        var a = ArgumentWriter("landscape")
        a.options(["--model": job.model])
        a.task(o.task, data: o.data, maxLength: o.maxLength)
        a.options(["--space": s.space.rawValue, "--select": s.select, "--y-select": s.ySelect])
        a.flag("--include-biases", s.includeBiases)
        a.nondefault(["--one-d": (s.oneD.rawValue, d.oneD.rawValue)])
        a.options(["--directions": s.directions])
        a.nondefault(["--direction-seed": (s.directionSeed, d.directionSeed), "--direction-seeds": (s.directionSeeds, d.directionSeeds)],
                     always: s.drawsDirections)
        a.options(["--y-directions": s.yDirections])
        // Attached: a negative bound would read as an option.
        a.attached("--x", axis(s.grid.x))
        if let y = s.grid.y { a.attached("--y", axis(y)) }
        a.options(["--shard": s.shard])
        a.flag("--no-cache", !s.prefixCache)
        a.flag("--no-affine", !s.affine)
        a.nondefault(["--cache-mb": (s.cacheMB, d.cacheMB)])
        a.flag("--allow-other-model", s.allowOtherModel)
        a.nondefault(["--dtype": (job.dtype.rawValue, DType.float32.rawValue)])
        a.objectiveExamples(o)
        a.options(["--output": job.output])
        return a.words
    }
}
