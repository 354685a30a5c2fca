import ArgumentParser
import Foundation
import Landscape

/// `binarybert bench-landscape`: points/s of surface scans, prefix-cached against a full forward per point.
struct BenchLandscapeCommand: ThreadedCommand, CheckedArguments {
    static let configuration = CommandConfiguration(commandName: "bench-landscape",
        abstract: "Benchmark surface scans: points/s with the prefix cache against a full forward per point.",
        discussion: """
        Both paths in alternation on a --points sample of each --select's grid; OUTPUT/<select>/ receives the \
        directions and points for the PyTorch peer, Benchmarks/peer/torch_landscape.py.
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

    func check() throws {
        try objective.requireTaskAndData()
        guard points >= 1, points <= 100_000 else { throw ValidationError("--points must be in 1...100000, got \(points)") }
        _ = try grid()
    }

    func grid() throws -> SurfaceGrid { try SurfaceGrid.checked(x: try GridAxis(parsing: x, option: "--x"), y: try GridAxis(parsing: y, option: "--y")) }

    func run() throws {
        try printJSONLine(try LandscapeBenchmark.run(model: model, objective: objective.options(examples: 256, split: .dev), selections: select, grid: try grid(),
                                                     gridText: "\(x) × \(y)", points: points, seed: directionSeed, output: output.map { URL(fileURLWithPath: $0) },
                                                     version: BinaryBERTVersion.string, log: { standardError("bench-landscape: " + $0) }))
    }
}
