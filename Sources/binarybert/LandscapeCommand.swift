import ArgumentParser
import Foundation
import Landscape
import Numerics
import Training

extension PerturbationSpace: ExpressibleByArgument {}
extension OneDPolicy: ExpressibleByArgument {}

/// `binarybert landscape`: 1-D and 2-D loss-surface scans, resumable and shardable, with surface statistics.
struct LandscapeCommand: ThreadedCommand, CheckedArguments {
    static let configuration = CommandConfiguration(commandName: "landscape",
        abstract: "Loss-surface scans along random, filter-normalized, all-ones, Hessian or model-difference directions.",
        discussion: """
        Every point is θ₀ + x·d_x (+ y·d_y), its value `hessian`'s objective (the metric: accuracy). Spaces: latent \
        re-quantizes the perturbed latent weights at every point (the paper's Fig. 2), quantized perturbs ŵ, steps ŵ in \
        units of each tensor's quantization step. Directions: \(DirectionKind.syntax); y is orthogonalized against x.

        Writes OUTPUT/surface.csv (a rerun computes only the missing points; one with other options is refused), \
        surface.json, statistics.csv and the directions; --direction-seeds K > 1 one OUTPUT/seed-S/ per seed and \
        statistics-summary.csv. --shard K/N (or a launcher's rank variables) computes the points k ≡ K mod N into \
        part-K-of-N files, which `landscape --merge DIR…` assembles. Definitions: Analyses/README.md.
        """)

    @Option(help: "Model directory (full precision, quantized, split or packed).") var model: String?
    @Option(help: "Parameter selection of the x direction (KIND@LAYERS[+…], see hessian --help).") var select: String?
    @Option(help: "Selection of the y direction (default: --select).") var ySelect: String?
    @Flag(help: "Add the selected modules' biases and LayerNorm parameters.") var includeBiases = false
    @Option(help: "Directions on 1-D tensors.") var oneD: OneDPolicy = .zero
    @Option(help: "Perturbation space: \(PerturbationSpace.requestable.map(\.rawValue).joined(separator: ", ")).") var space: PerturbationSpace = .latent
    @Option(help: "x direction: \(DirectionKind.syntax).") var directions = "filter"
    @Option(help: "y direction (default: the x kind, drawn independently).") var yDirections: String?
    @Option(parsing: .unconditional, help: "x offsets MIN:MAX:N.") var x: String = "-1:1:21"
    @Option(parsing: .unconditional, help: "y offsets MIN:MAX:N (a 2-D scan).") var y: String?
    @Option(help: "Seed of drawn directions.") var directionSeed: UInt64 = 0
    @Option(help: "Repeat a drawn-direction scan over seeds S…S+K−1 and report mean ± std of each statistic.") var directionSeeds = 1
    @Option(help: "Compute only the points k ≡ K mod N (K/N).") var shard: String?
    @Flag(help: "Run the full forward at every point instead of starting from the cached hidden states.") var noCache = false
    @Flag(help: "Outside the latent space, compute the first perturbed dense layer per point, not from its affine basis.") var noAffine = false
    @Option(help: "Largest prefix cache in MB; a larger one is refused.") var cacheMb = 1024
    @Flag(help: "Accept hessian:/file: direction files computed on another model (same tensor names, another sha256).") var allowOtherModel = false
    @Option(help: "Precision of the computation.") var dtype: DType = .float32
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
        try job().validate()
    }

    func run() throws {
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
        var a = ArgumentWriter("landscape", ["--model": job.model])
        a.task(o.task, data: o.data, maxLength: o.maxLength)
        a.options(["--space": s.space.rawValue, "--select": s.select, "--y-select": s.ySelect, "--include-biases": s.includeBiases])
        a.nondefault(["--one-d": (s.oneD.rawValue, d.oneD.rawValue)])
        a.options(["--directions": s.directions])
        a.nondefault(["--direction-seed": (s.directionSeed, d.directionSeed), "--direction-seeds": (s.directionSeeds, d.directionSeeds)],
                     always: s.drawsDirections)
        a.options(["--y-directions": s.yDirections])
        // Attached: a negative bound would read as an option.
        a.attached("--x", axis(s.grid.x))
        if let y = s.grid.y { a.attached("--y", axis(y)) }
        a.options(["--shard": s.shard, "--no-cache": !s.prefixCache, "--no-affine": !s.affine])
        a.nondefault(["--cache-mb": (s.cacheMB, d.cacheMB)])
        a.options(["--allow-other-model": s.allowOtherModel])
        a.nondefault(["--dtype": (job.dtype.rawValue, DType.float32.rawValue)])
        a.objectiveExamples(o)
        a.options(["--output": job.output])
        return a.words
    }
}
