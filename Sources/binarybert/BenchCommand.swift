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
        let result: [String: Any]
        if dtype == .float32 { result = try measure(Float.self) } else { result = try measure(Double.self) }
        if json {
            let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for key in result.keys.sorted() { print("\(key.padding(toLength: 22, withPad: " ", startingAt: 0)) \(result[key]!)") }
        }
    }

    private func log(_ s: String) { FileHandle.standardError.write((s + "\n").data(using: .utf8)!) }

    func measure<T: BLASReal>(_ type: T.Type) throws -> [String: Any] {
        let config = BertConfig(vocabSize: vocab, hiddenSize: hidden, numHiddenLayers: numLayers, numAttentionHeads: heads,
                                intermediateSize: intermediate, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0,
                                maxPositionEmbeddings: max(512, seq), numLabels: 2)
        let model = try BertModel<T>(config: config)
        model.initializeWeights(seed: seed)
        var rng = SeededRNG(seed: seed, stream: 1)
        let ids = (0..<(batch * seq)).map { _ in Int32(rng.next() % UInt64(vocab)) }
        let tokens = TokenBatch(batchSize: batch, sequenceLength: seq, inputIds: ids)
        let labels = Targets.classes((0..<batch).map { $0 % 2 })

        let peak = gemmPeak(T.self)
        log("gemm peak \(String(format: "%.1f", peak)) GFLOP/s (\(T.self), \(Parallel.threads) threads, core \(BLASInfo.coreName))")

        var fwd: [Double] = [], fwdBwd: [Double] = []
        for i in 0..<(warmup + iters) {
            let t = try Stopwatch.seconds { try model.forward(tokens) }
            if i >= warmup { fwd.append(t) }
        }
        log("forward median \(String(format: "%.3f", Stopwatch.median(fwd))) s")
        for i in 0..<(warmup + iters) {
            let t = try Stopwatch.seconds { _ = try model.lossAndGradient(tokens, targets: labels, rng: &rng) }
            if i >= warmup { fwdBwd.append(t) }
        }
        log("forward+backward median \(String(format: "%.3f", Stopwatch.median(fwdBwd))) s")

        let n = Double(batch * seq), h = Double(hidden), inter = Double(intermediate), t = Double(seq)
        let fwdFlopsPerToken = Double(numLayers) * (2 * (4 * h * h + 2 * h * inter) + 2 * 2 * t * h)
        let fwdTime = Stopwatch.median(fwd), fwdBwdTime = Stopwatch.median(fwdBwd)
        let gflopsFwd = fwdFlopsPerToken * n / fwdTime / 1e9
        let gflopsFwdBwd = 3 * fwdFlopsPerToken * n / fwdBwdTime / 1e9
        return [
            "impl": "swift", "dtype": dtype.rawValue, "batch": batch, "seq": seq, "layers": numLayers, "hidden": hidden, "heads": heads,
            "intermediate": intermediate, "threads": Parallel.threads, "blas_core": BLASInfo.coreName,
            "blas_core_selection": BLASCoreSelection.note,
            "fwd_seconds": fwdTime, "fwd_bwd_seconds": fwdBwdTime,
            "fwd_tokens_per_s": n / fwdTime, "fwd_bwd_tokens_per_s": n / fwdBwdTime,
            "gflops_fwd": gflopsFwd, "gflops_fwd_bwd": gflopsFwdBwd,
            "sgemm_peak_gflops": peak, "fraction_of_peak_fwd_bwd": gflopsFwdBwd / peak,
        ]
    }

    /// Best of several square GEMMs (n = 2048) in the benchmark's precision.
    private func gemmPeak<T: BLASReal>(_ type: T.Type) -> Double {
        let n = 2048
        let a = Buffer<T>(count: n * n), b = Buffer<T>(count: n * n), c = Buffer<T>(count: n * n)
        var rng = SeededRNG(seed: 11)
        rng.fillUniform(a.pointer, count: n * n, low: -1, high: 1)
        rng.fillUniform(b.pointer, count: n * n, low: -1, high: 1)
        var best = Double.infinity
        for _ in 0..<4 {
            best = min(best, Stopwatch.seconds {
                T.gemm(.none, .none, m: n, n: n, k: n, alpha: 1, a: a.pointer, lda: n, b: b.pointer, ldb: n, beta: 0, c: c.pointer, ldc: n)
            })
        }
        return 2 * Double(n * n * n) / best / 1e9
    }
}
