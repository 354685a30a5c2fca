import ArgumentParser
import BERT
import Curvature
import Foundation
import Probe
import Numerics
import Storage

extension HessianBenchmarkJob.MemoryProbe: ExpressibleByArgument {}

/// `binarybert bench-hessian`: the curvature engine's cost on a real model, side by side in one run.
struct BenchHessianCommand: ParsableCommand, CheckedArguments {
    static let configuration = CommandConfiguration(commandName: "bench-hessian",
        abstract: "Benchmark HVPs: cost against a gradient, HVPs to the top eigenvalues (Lanczos vs power iteration), peak memory.",
        discussion: """
        On `hessian`'s objective (the first --examples training examples, eval mode). Reports, in one JSON object: \
        median seconds of a gradient of all parameters and of HVPs for the full model, value@0,1 and \
        ffn-output@<last layer>, and their ratios; HVPs until Lanczos and power iteration (with deflation) have the \
        top-1 and top-k eigenvalues of --select within --accuracy of a tight reference, and the result and cost of \
        PyHessian's stopping rule (tol 1e-3); the peak RSS of a child process doing one gradient step against one doing \
        one full HVP on the same batches, and how much each grows over the RSS that loading left (peak reset after \
        loading through /proc/self/clear_refs). The PyTorch peer is Benchmarks/peer/torch_hessian.py.
        """)

    @Option(help: "Model directory.") var model: String
    @Option(help: "Selection for the convergence measurement.") var select = "value@0,1"
    @Option(help: "Compute in \(DType.allCases.map(\.rawValue).joined(separator: " or ")).") var dtype: DType = .float32
    @Option(help: "Timed repetitions (the median is reported).") var iters = 3
    @Option(help: "Eigenvalues for the convergence measurement.") var topK = 5
    @Option(help: "Relative accuracy the convergence counts are measured at.") var accuracy = 1e-3
    @Option(help: "Product budget per eigensolver run (as hessian --max-hvps).") var maxHvps = 150
    @Option(help: "Seed.") var seed: UInt64 = 0
    @Option(help: "Curvature matrix of the products and the convergence measurement (ggn: the generalized Gauss–Newton Jᵀ H_out J).")
    var curvature: CurvatureProduct = .hessian
    @Option(help: "Internal: run one \(HessianBenchmarkJob.MemoryProbe.allCases.map(\.rawValue).joined(separator: " or ")) and print the peak RSS.")
    var memoryProbe: HessianBenchmarkJob.MemoryProbe?
    @OptionGroup var objectiveOptions: ProbeObjectiveArguments
    @OptionGroup var threading: ThreadOptions

    func check() throws {
        try objectiveOptions.requireTaskAndData()
        try job.validate()
    }

    var job: HessianBenchmarkJob {
        var job = HessianBenchmarkJob(model: model, objective: objectiveOptions.options(examples: 64))
        job.select = select; job.dtype = dtype; job.iterations = iters; job.topK = topK; job.accuracy = accuracy
        job.maxHVPs = maxHvps; job.seed = seed; job.curvature = curvature
        return job
    }

    func run() throws {
        try threading.apply()
        let log = { standardError("bench-hessian: " + $0) }
        if let memoryProbe { return try printJSONLine(try job.memoryProbe(memoryProbe, log: log)) }
        let report = try job.run(version: BinaryBERTVersion.string, log: log) { probe, examples in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
            let o = objectiveOptions
            p.arguments = ["bench-hessian", "--model", model, "--task", o.task!, "--data", o.data!, "--examples", String(examples),
                           "--batch-size", String(o.batchSize), "--batching", o.batching.rawValue, "--max-length", String(o.maxLength),
                           "--dtype", dtype.rawValue, "--memory-probe", probe.rawValue, "--threads", String(Parallel.threads)]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            let out = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return HessianBenchmark.MemoryProbeReport(try JSONDecoder().decode(JSONValue.self, from: out))
        }
        print(try JSONFormat.line(report, nonFinite: .named))
    }
}
