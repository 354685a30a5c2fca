import ArgumentParser
import BERT
import Curvature
import Foundation
import Probe
import Landscape
import Numerics
import Text
import Training

/// `binarybert bench-landscape`: points/s of surface scans, prefix-cached against a full forward per point.
struct BenchLandscapeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench-landscape",
        abstract: "Benchmark surface scans: points/s with the prefix cache against a full forward per point.",
        discussion: """
        For each --select, a --points sample of the --x × --y grid (filter-normalized directions of --direction-seed) \
        is evaluated by both paths in alternation, on the first --examples examples of --split. Writes each \
        selection's directions and evaluated points to OUTPUT/<select>/ for the PyTorch peer \
        (Benchmarks/peer/torch_landscape.py, which sets the weights and runs a full forward, as loss-landscape does) \
        and prints one JSON object.
        """)

    @Option(help: "Model directory.") var model: String
    @Option(help: "Selections to time (repeatable).") var select: [String] = ["value@0,1", "ffn-output@5"]
    @Option(parsing: .unconditional, help: "x offsets MIN:MAX:N.") var x = "-1:1:21"
    @Option(parsing: .unconditional, help: "y offsets MIN:MAX:N.") var y = "-1:1:21"
    @Option(help: "Grid points timed per selection (spread over the grid).") var points = 12
    @Option(help: "Seed of the directions.") var directionSeed: UInt64 = 0
    @Option(help: "Where the directions and points for the peer go.") var output: String?
    @OptionGroup var objective: ProbeObjectiveArguments
    @OptionGroup var threading: ThreadOptions

    func validate() throws {
        try objective.requireTaskAndData()
        guard points >= 1, points <= 100_000 else { throw ValidationError("--points must be in 1...100000, got \(points)") }
        do {
            _ = try GridAxis(parsing: x, option: "--x"); _ = try GridAxis(parsing: y, option: "--y")
        } catch let e as LandscapeError { throw ValidationError(e.description) }
    }

    func run() throws {
        try threading.apply()
        let probe = try ProbeModel<Float>(directory: URL(fileURLWithPath: model))
        let probeData = try ProbeData.prepare(self.objective.options(examples: 256, split: .dev), models: [probe],
                                              log: { FileHandle.standardError.write(Data(("bench-landscape: " + $0 + "\n").utf8)) })
        let o = probeData.options, chosen = probeData.chosen
        let grid = try SurfaceGrid.checked(x: try GridAxis(parsing: x, option: "--x"), y: try GridAxis(parsing: y, option: "--y"))
        var results: [LandscapeBenchmark.Result] = []
        for s in select {
            let objective = try probeData.objective(for: probe)
            var request = LandscapeRequest(select: s, grid: grid)
            request.directions = .filter
            request.space = .quantized
            let dir = output.map { URL(fileURLWithPath: $0).appendingPathComponent(s.replacingOccurrences(of: "@", with: "-").replacingOccurrences(of: ",", with: "_")) }
            results.append(try LandscapeBenchmark.run(probe: probe, objective: objective, request: request, seed: directionSeed, points: points,
                                                      output: dir, progress: { FileHandle.standardError.write(Data(("bench-landscape: " + $0 + "\n").utf8)) }))
        }
        struct Report: Encodable {
            let version: String, model: String, modelSha256: String, threads: Int, blasCore: String, dtype: String
            let split: String, examples: Int, indicesSha256: String, maxLength: Int, batchSize: Int, batching: String, grid: String, results: [LandscapeBenchmark.Result]
            enum CodingKeys: String, CodingKey {
                case version, model, threads, dtype, split, examples, grid, results, batching
                case modelSha256 = "model_sha256", blasCore = "blas_core", indicesSha256 = "indices_sha256", maxLength = "max_length", batchSize = "batch_size"
            }
        }
        try printJSONLine(Report(version: BinaryBERTVersion.string, model: probe.directory.path, modelSha256: probe.sha256, threads: Parallel.threads,
                                 blasCore: BLASInfo.coreName, dtype: "float32", split: o.split, examples: chosen.indices.count,
                                 indicesSha256: chosen.indicesHash, maxLength: o.maxLength, batchSize: o.batchSize, batching: chosen.batching, grid: "\(x) × \(y)", results: results))
    }
}
