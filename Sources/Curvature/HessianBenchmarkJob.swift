import BERT
import Foundation
import Numerics
import Probe
import Storage
import Training

/// `binarybert bench-hessian`: the curvature engine's cost on one model and objective (`HessianBenchmark`), with the
/// peak memory of a gradient step against an HVP, each measured by a child process (`memoryProbe`) that the caller
/// starts.
public struct HessianBenchmarkJob: Sendable {
    /// What a memory-probe child runs before reporting its peak memory.
    public enum MemoryProbe: String, CaseIterable, Sendable {
        case gradient, hvp
    }

    public var model: String
    public var objective: ProbeObjectiveOptions
    /// The selection of the convergence measurement.
    public var select = "value@0,1"
    public var dtype = DType.float32
    /// Timed repetitions (the median is reported).
    public var iterations = 3
    public var topK = 5
    /// Relative accuracy the convergence counts are measured at.
    public var accuracy = 1e-3
    /// Product budget per eigensolver run.
    public var maxHVPs = 150
    public var seed: UInt64 = 0
    public var curvature = CurvatureProduct.hessian
    /// Memory (MB) for products in blocks: the block size it allows is measured beside k = 1, 4, 8 (0: those alone).
    public var blockMemoryMB = 0.0

    public init(model: String, objective: ProbeObjectiveOptions) {
        self.model = model
        self.objective = objective
    }

    /// The checks of the options (each sentence names the option).
    public func validate() throws {
        try objective.validate()
        guard iterations >= 1, iterations <= 1000 else { throw CurvatureError.badRequest("--iters must be in 1...1000, got \(iterations)") }
        guard topK >= 1, topK <= 100 else { throw CurvatureError.badRequest("--top-k must be in 1...100, got \(topK)") }
        guard accuracy > 0, accuracy < 1 else { throw CurvatureError.badRequest("--accuracy must be in (0, 1), got \(accuracy)") }
        guard maxHVPs >= topK, maxHVPs <= 100_000 else { throw CurvatureError.badRequest("--max-hvps must be in --top-k...100000, got \(maxHVPs)") }
        guard blockMemoryMB >= 0, blockMemoryMB <= 1_048_576 else { throw CurvatureError.badRequest("--block-memory must be in 0...1048576 (MB), got \(blockMemoryMB)") }
    }

    func probeObjective<T: BLASReal>(_: T.Type, log: (String) -> Void) throws -> (ProbeModel<T>, LossObjective<T>, ProbeExamples) {
        let probe = try ProbeModel<T>(directory: URL(fileURLWithPath: model))
        let data = try ProbeData.prepare(objective, models: [probe], log: log)
        return (probe, try data.objective(for: probe), data.chosen)
    }

    /// The child's side: one gradient or one full HVP, and its memory. The peak is reset after loading (and after the
    /// input and output vectors of an HVP are made, as Lanczos holds them anyway, like the gradient's buffer the model
    /// holds), so the growth over what loading left resident is the operation's working set.
    public func memoryProbe(_ kind: MemoryProbe, log: (String) -> Void) throws -> HessianBenchmark.MemoryProbeReport {
        dtype == .float32 ? try memoryProbe(Float.self, kind, log: log) : try memoryProbe(Double.self, kind, log: log)
    }

    func memoryProbe<T: BLASReal>(_: T.Type, _ kind: MemoryProbe, log: (String) -> Void) throws -> HessianBenchmark.MemoryProbeReport {
        let (probe, objective, _) = try probeObjective(T.self, log: log)
        let all = try ParameterSelection("all@*", table: probe.model.table, layers: probe.model.config.numHiddenLayers, includeBiases: true)
        let v = kind == .hvp ? [Double](repeating: 1e-3, count: all.dimension) : []
        var hv = kind == .hvp ? [Double](repeating: 1e-3, count: all.dimension) : []
        let op = kind == .hvp ? ModelHessian(objective: objective, selection: all.views) : nil
        let baseline = ProcessMemory.residentMB
        let reset = ProcessMemory.resetPeak()
        switch kind {
        case .gradient: _ = try objective.lossAndGradient()
        case .hvp: try hv.withUnsafeMutableBufferPointer { y in try op!.apply(v, into: y.baseAddress!) }
        }
        let maxRSS = ProcessMemory.maxResidentMB
        let peak = reset ? ProcessMemory.peakMB : nil
        let growth = peak.flatMap { p in baseline.map { p - $0 } }
        return HessianBenchmark.MemoryProbeReport(maxRssMb: maxRSS, baselineRssMb: baseline, peakRssMb: peak, growthMb: growth)
    }

    /// The whole benchmark: costs of the full model and two blocks, convergence on `select`, and the memory each
    /// child process of this program reports when run with `child`'s arguments (given the probe and the number of
    /// examples the objective holds; its standard output is `memoryProbe`'s report as JSON).
    public func run(version: String, log: (String) -> Void, child: (MemoryProbe, _ examples: Int) -> [String]) throws -> HessianBenchmark.Report {
        let measureMemory = { (probe: MemoryProbe, examples: Int) throws -> HessianBenchmark.MemoryProbeReport in
            let p = Process(), pipe = Pipe()
            p.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            p.arguments = child(probe, examples)
            p.standardOutput = pipe
            try p.run()
            let out = pipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return HessianBenchmark.MemoryProbeReport(try JSONDecoder().decode(JSONValue.self, from: out))
        }
        return dtype == .float32 ? try run(Float.self, version: version, log: log, measureMemory: measureMemory)
            : try run(Double.self, version: version, log: log, measureMemory: measureMemory)
    }

    func run<T: BLASReal>(_: T.Type, version: String, log: (String) -> Void,
                          measureMemory: (MemoryProbe, Int) throws -> HessianBenchmark.MemoryProbeReport) throws -> HessianBenchmark.Report {
        let (probe, objective, chosen) = try probeObjective(T.self, log: log)
        let layers = probe.model.config.numHiddenLayers
        log("\(probe.label): \(chosen.indices.count) examples, \(T.self), threads \(Parallel.threads), BLAS core \(BLASInfo.coreName)")
        var costs: [HessianBenchmark.Cost] = []
        for spec in ["all@*", "value@0,1", "ffn-output@\(layers - 1)"] {
            let selection = try ParameterSelection(spec, table: probe.model.table, layers: layers, includeBiases: spec == "all@*")
            let c = try HessianBenchmark.cost(objective: objective, selection: selection, iterations: iterations, product: curvature)
            log(String(format: "%@: gradient %.3f s, HVP %.3f s, ratio %.2f", spec, c.gradientSeconds, c.hvpSeconds, c.ratio))
            costs.append(c)
        }
        let all = try ParameterSelection("all@*", table: probe.model.table, layers: layers, includeBiases: true)
        let blocks = try BlockBenchmark.measure(objective: objective, selection: all.views, blockMemoryMB: blockMemoryMB, iterations: iterations, progress: log)
        let selection = try ParameterSelection(select, table: probe.model.table, layers: layers)
        if curvature == .ggn { try ModelCurvature.requireGaussNewtonSupport(objective) }
        let op = ModelCurvature(objective: objective, selection: selection.views, product: curvature)
        let convergence = try HessianBenchmark.convergence(op, k: topK, accuracy: accuracy, seed: seed, budget: maxHVPs, progress: log)
        log("Lanczos HVPs top-1 \(convergence.lanczosTop1.map(String.init) ?? "-"), top-\(topK) \(convergence.lanczosTopK.map(String.init) ?? "-"); "
            + "power top-1 \(convergence.powerTop1.map(String.init) ?? "-"), top-\(topK) \(convergence.powerTopK.map(String.init) ?? "-")")
        let memory = try MemoryProbe.allCases.map { try measureMemory($0, chosen.indices.count) }
        return HessianBenchmark.Report(
            model: probe.description, examples: chosen.indices.count, indicesSha256: chosen.indicesHash, batchSize: self.objective.batchSize,
            batching: chosen.batching, maxLength: self.objective.maxLength, dtype: dtype.rawValue, version: version,
            select: select, topK: topK, cost: costs, convergence: convergence, memory: HessianBenchmark.Memory(gradient: memory[0], hvp: memory[1]),
            curvature: curvature, blocks: blocks)
    }
}
