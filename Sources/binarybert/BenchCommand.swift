import ArgumentParser
import BERT
import Numerics

/// Forward and forward+backward throughput of a BERT-shaped model, and the machine's measured sgemm peak.
struct BenchCommand: ThreadedCommand, CheckedArguments {
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
    @Option(help: "Precision of the computation.") var dtype: DType = .float32
    @Option(help: "Untimed warm-up iterations.") var warmup = 2
    @Option(help: "Timed iterations (the median is reported).") var iters = 5
    @Option(help: "Seed for weights and token ids.") var seed: UInt64 = 0
    @Flag(help: "Print one JSON object on stdout.") var json = false
    @OptionGroup var threading: ThreadOptions

    var setup: ThroughputBenchmark.Setup {
        var s = ThroughputBenchmark.Setup()
        s.batch = batch; s.seq = seq; s.layers = numLayers; s.hidden = hidden; s.heads = heads
        s.intermediate = intermediate; s.vocab = vocab; s.warmup = warmup; s.iterations = iters; s.seed = seed
        return s
    }

    func check() throws { try setup.validate() }

    func run() throws {
        let result = dtype == .float32 ? try ThroughputBenchmark.run(Float.self, setup: setup, dtype: dtype.rawValue, log: standardError)
            : try ThroughputBenchmark.run(Double.self, setup: setup, dtype: dtype.rawValue, log: standardError)
        if json { return try printJSONLine(result) }
        for (key, value) in result.rows { print("\(key.padding(toLength: 22, withPad: " ", startingAt: 0)) \(value)") }
    }
}
