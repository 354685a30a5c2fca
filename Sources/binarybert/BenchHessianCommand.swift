import ArgumentParser
import BERT
import Curvature
import Foundation
import Probe
import Numerics
import Storage
import Text
import Training

/// What a `bench-hessian --memory-probe` child process runs before reporting its peak memory.
enum MemoryProbe: String, ExpressibleByArgument, CaseIterable {
    case gradient, hvp
}

/// `binarybert bench-hessian`: the curvature engine's cost on a real model, side by side in one run.
struct BenchHessianCommand: ParsableCommand {
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
    @Option(help: "Internal: run one \(MemoryProbe.allCases.map(\.rawValue).joined(separator: " or ")) and print the peak RSS.")
    var memoryProbe: MemoryProbe?
    @OptionGroup var objectiveOptions: ProbeObjectiveArguments
    @OptionGroup var threading: ThreadOptions

    func validate() throws {
        try objectiveOptions.requireTaskAndData()
        guard iters >= 1, iters <= 1000 else { throw ValidationError("--iters must be in 1...1000, got \(iters)") }
        guard topK >= 1, topK <= 100 else { throw ValidationError("--top-k must be in 1...100, got \(topK)") }
        guard accuracy > 0, accuracy < 1 else { throw ValidationError("--accuracy must be in (0, 1), got \(accuracy)") }
        guard maxHvps >= topK, maxHvps <= 100_000 else { throw ValidationError("--max-hvps must be in --top-k...100000, got \(maxHvps)") }
    }

    func run() throws {
        try threading.apply()
        switch dtype {
        case .float32: try run(Float.self)
        case .float64: try run(Double.self)
        }
    }

    private func log(_ s: String) { FileHandle.standardError.write(("bench-hessian: " + s + "\n").data(using: .utf8)!) }

    func objective<T: BLASReal>(_ type: T.Type) throws -> (ProbeModel<T>, LossObjective<T>, ProbeExamples) {
        let probe = try ProbeModel<T>(directory: URL(fileURLWithPath: model))
        let probeData = try ProbeData.prepare(objectiveOptions.options(examples: 64), models: [probe], log: log)
        return (probe, try probeData.objective(for: probe), probeData.chosen)
    }

    func run<T: BLASReal>(_ type: T.Type) throws {
        let (probe, objective, chosen) = try objective(T.self)
        let layers = probe.model.config.numHiddenLayers
        let all = try ParameterSelection("all@*", table: probe.model.table, layers: layers, includeBiases: true)
        if let memoryProbe {
            // The growth over what loading left resident: the peak is reset after loading (and after the input and
            // output vectors of an HVP are made, as Lanczos holds them anyway, like the gradient's buffer the model
            // holds), so it measures the operation's working set.
            let v = memoryProbe == .hvp ? [Double](repeating: 1e-3, count: all.dimension) : []
            var hv = memoryProbe == .hvp ? [Double](repeating: 1e-3, count: all.dimension) : []
            let op = memoryProbe == .hvp ? ModelHessian(objective: objective, selection: all.views) : nil
            let baseline = ProcessMemory.residentMB
            let reset = ProcessMemory.resetPeak()
            switch memoryProbe {
            case .gradient: _ = try objective.lossAndGradient()
            case .hvp: try hv.withUnsafeMutableBufferPointer { y in try op!.apply(v, into: y.baseAddress!) }
            }
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            let peak = reset ? ProcessMemory.peakMB : nil
            let growth = zip2(peak, baseline).map { $0 - $1 }
            try printJSONLine(HessianBenchmark.MemoryProbeReport(maxRssMb: Double(usage.ru_maxrss) / 1024, baselineRssMb: baseline,
                                                                 peakRssMb: peak, growthMb: growth))
            return
        }
        log("\(probe.label): \(chosen.indices.count) examples, \(T.self), threads \(Parallel.threads), BLAS core \(BLASInfo.coreName)")
        var costs: [HessianBenchmark.Cost] = []
        for spec in ["all@*", "value@0,1", "ffn-output@\(layers - 1)"] {
            let selection = try ParameterSelection(spec, table: probe.model.table, layers: layers, includeBiases: spec == "all@*")
            let c = try HessianBenchmark.cost(objective: objective, selection: selection, iterations: iters, product: curvature)
            log(String(format: "%@: gradient %.3f s, HVP %.3f s, ratio %.2f", spec, c.gradientSeconds, c.hvpSeconds, c.ratio))
            costs.append(c)
        }
        let selection = try ParameterSelection(select, table: probe.model.table, layers: layers)
        if curvature == .ggn { try ModelCurvature.requireGaussNewtonSupport(objective) }
        let op = ModelCurvature(objective: objective, selection: selection.views, product: curvature)
        let convergence = try HessianBenchmark.convergence(op, k: topK, accuracy: accuracy, seed: seed, budget: maxHvps, progress: log)
        log("Lanczos HVPs top-1 \(convergence.lanczosTop1.map(String.init) ?? "-"), top-\(topK) \(convergence.lanczosTopK.map(String.init) ?? "-"); "
            + "power top-1 \(convergence.powerTop1.map(String.init) ?? "-"), top-\(topK) \(convergence.powerTopK.map(String.init) ?? "-")")
        var reports: [HessianBenchmark.MemoryProbeReport] = []
        for probeKind in MemoryProbe.allCases {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
            p.arguments = ["bench-hessian", "--model", model, "--task", objectiveOptions.task!, "--data", objectiveOptions.data!, "--examples", String(chosen.indices.count),
                           "--batch-size", String(objectiveOptions.batchSize), "--batching", objectiveOptions.batching.rawValue, "--max-length", String(objectiveOptions.maxLength),
                           "--dtype", dtype.rawValue, "--memory-probe", probeKind.rawValue, "--threads", String(Parallel.threads)]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            let out = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            reports.append(HessianBenchmark.MemoryProbeReport(try JSONDecoder().decode(JSONValue.self, from: out)))
        }
        // The peak since the reset (ru_maxrss of a child carries its parent's peak over exec on Linux, so it is kept for
        // reference only).
        let report = HessianBenchmark.Report(
            model: probe.description, examples: chosen.indices.count, indicesSha256: chosen.indicesHash, batchSize: objectiveOptions.batchSize,
            batching: chosen.batching, maxLength: objectiveOptions.maxLength, dtype: dtype.rawValue, version: BinaryBERTVersion.string,
            select: select, topK: topK, cost: costs, convergence: convergence, memory: HessianBenchmark.Memory(gradient: reports[0], hvp: reports[1]),
            curvature: curvature)
        print(try JSONFormat.line(report, nonFinite: .named))
    }
}

/// Both values, or nil.
private func zip2(_ a: Double?, _ b: Double?) -> (Double, Double)? {
    guard let a, let b else { return nil }
    return (a, b)
}
