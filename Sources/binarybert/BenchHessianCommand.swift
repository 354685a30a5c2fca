import ArgumentParser
import BERT
import Curvature
import Numerics
import Storage

extension HessianBenchmarkJob.MemoryProbe: ExpressibleByArgument {}

/// `binarybert bench-hessian`: the curvature engine's cost on a real model, side by side in one run.
struct BenchHessianCommand: ThreadedCommand, CheckedArguments {
    static let configuration = CommandConfiguration(commandName: "bench-hessian",
        abstract: "Benchmark HVPs: cost against a gradient, HVPs to the top eigenvalues (Lanczos vs power iteration), peak memory.",
        discussion: """
        On `hessian`'s objective: median seconds of a gradient and of HVPs (full model, value@0,1, ffn-output@<last \
        layer>); HVPs until Lanczos and power iteration have the top-k eigenvalues of --select within --accuracy, and \
        PyHessian's stopping rule; the peak memory of a gradient step against a full HVP, each in a child process. \
        The PyTorch peer is Benchmarks/peer/torch_hessian.py.
        """)

    @Option(help: "Model directory.") var model: String
    @Option(help: "Selection for the convergence measurement.") var select = "value@0,1"
    @Option(help: "Precision of the computation.") var dtype: DType = .float32
    @Option(help: "Timed repetitions (the median is reported).") var iters = 3
    @Option(help: "Eigenvalues for the convergence measurement.") var topK = 5
    @Option(help: "Relative accuracy the convergence counts are measured at.") var accuracy = 1e-3
    @Option(help: "Product budget per eigensolver run (as hessian --max-hvps).") var maxHvps = 150
    @Option(help: "Seed.") var seed: UInt64 = 0
    @Option(help: "Curvature matrix of the products and the convergence measurement (ggn: generalized Gauss–Newton).") var curvature: CurvatureProduct = .hessian
    @Option(help: "Memory (MB) for products in blocks: the block size it allows is measured beside k = 1, 4, 8 (0: k = 1, 4, 8).") var blockMemory: Double = 0
    @Option(help: "Internal: run one gradient or HVP and print the peak RSS.") var memoryProbe: HessianBenchmarkJob.MemoryProbe?
    @OptionGroup var objectiveOptions: ProbeObjectiveArguments
    @OptionGroup var threading: ThreadOptions

    func check() throws {
        try objectiveOptions.requireTaskAndData()
        try job.validate()
    }

    var job: HessianBenchmarkJob {
        var job = HessianBenchmarkJob(model: model, objective: objectiveOptions.options(examples: 64))
        job.select = select; job.dtype = dtype; job.iterations = iters; job.topK = topK; job.accuracy = accuracy
        job.maxHVPs = maxHvps; job.seed = seed; job.curvature = curvature; job.blockMemoryMB = blockMemory
        return job
    }

    func run() throws {
        let log = { standardError("bench-hessian: " + $0) }
        if let memoryProbe { return try printJSONLine(try job.memoryProbe(memoryProbe, log: log)) }
        let report = try job.run(version: BinaryBERTVersion.string, log: log) { probe, examples in
            // The same command with the objective's examples, as the memory probe of one gradient or one HVP.
            Array(CommandLine.arguments.dropFirst()) + ["--examples", String(examples), "--memory-probe", probe.rawValue, "--threads", String(Parallel.threads)]
        }
        print(try JSONFormat.line(report, nonFinite: .named))
    }
}
