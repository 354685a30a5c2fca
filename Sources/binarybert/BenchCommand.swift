import ArgumentParser
import BERT
import Foundation
import Training
import Text
import Numerics

/// Forward and forward+backward throughput of a BERT-shaped model, and the machine's measured sgemm peak.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench",
        abstract: "Measure forward and forward+backward tokens/s (random weights) against a measured sgemm peak.",
        discussion: """
        FLOPs count matrix products only: per token and layer, forward 2·(4·H² + 2·H·I) + 2·2·T·H; backward twice that.
        Dropout is off in both passes (as in the PyTorch peer, Benchmarks/peer/torch_bert.py).
        """)

    @Option(help: "Sequences per batch.") var batch = 32
    @Option(help: "Tokens per sequence.") var seq = 128
    @Option(help: "Transformer layers.") var numLayers = 6
    @Option(help: "Hidden size.") var hidden = 384
    @Option(help: "Attention heads.") var heads = 12
    @Option(help: "FFN size.") var intermediate = 1536
    @Option(help: "Vocabulary size.") var vocab = 30522
    @Option(help: "Compute in \(DType.allCases.map(\.rawValue).joined(separator: " or ")).") var dtype: DType = .float32
    @Option(help: "Untimed warm-up iterations.") var warmup = 2
    @Option(help: "Timed iterations (the median is reported).") var iters = 5
    @Option(help: "Seed for weights and token ids.") var seed: UInt64 = 0
    @Flag(help: "Print one JSON object on stdout.") var json = false
    @OptionGroup var threading: ThreadOptions

    func validate() throws {
        try OptionCheck.positive(batch, "--batch", max: 4096)
        try OptionCheck.positive(seq, "--seq", max: 8192)
        try OptionCheck.positive(numLayers, "--num-layers", max: 96)
        try OptionCheck.positive(hidden, "--hidden", max: 16_384)
        try OptionCheck.positive(heads, "--heads", max: 256)
        try OptionCheck.positive(intermediate, "--intermediate", max: 65_536)
        try OptionCheck.positive(vocab, "--vocab", max: 1_000_000)
        try OptionCheck.positive(iters, "--iters", max: 10_000)
        try OptionCheck.integer(warmup, "--warmup", in: 0...10_000)
        guard hidden % heads == 0 else { throw ValidationError("--hidden must be a multiple of --heads") }
    }

    func run() throws {
        try threading.apply()
        var setup = ThroughputBenchmark.Setup()
        setup.batch = batch; setup.seq = seq; setup.layers = numLayers; setup.hidden = hidden; setup.heads = heads
        setup.intermediate = intermediate; setup.vocab = vocab; setup.warmup = warmup; setup.iterations = iters; setup.seed = seed
        let result = dtype == .float32 ? try ThroughputBenchmark.run(Float.self, setup: setup, dtype: dtype.rawValue, log: log)
            : try ThroughputBenchmark.run(Double.self, setup: setup, dtype: dtype.rawValue, log: log)
        if json {
            try printJSONLine(result)
        } else {
            for (key, value) in result.rows { print("\(key.padding(toLength: 22, withPad: " ", startingAt: 0)) \(value)") }
        }
    }

    private func log(_ s: String) { FileHandle.standardError.write((s + "\n").data(using: .utf8)!) }
}
