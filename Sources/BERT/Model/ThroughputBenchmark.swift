import Foundation
import Numerics
import Storage

/// Forward and forward+backward throughput of a BERT-shaped model with random weights and token ids (dropout off, as
/// in the PyTorch peer), against the machine's measured GEMM peak in the same precision. FLOPs count matrix products
/// only: per token and layer, forward 2·(4·H² + 2·H·I) + 2·2·T·H; backward twice that.
public enum ThroughputBenchmark {
    /// The model's shape and the timing plan.
    public struct Setup: Sendable {
        public var batch = 32, seq = 128, layers = 6, hidden = 384, heads = 12, intermediate = 1536, vocab = 30522
        public var warmup = 2, iterations = 5
        public var seed: UInt64 = 0
        public init() {}

        /// Refuses a shape or a count out of range (one sentence naming the option).
        public func validate() throws {
            for (name, value, max) in [("--batch", batch, 4096), ("--seq", seq, 8192), ("--num-layers", layers, 96), ("--hidden", hidden, 16_384),
                                       ("--heads", heads, 256), ("--intermediate", intermediate, 65_536), ("--vocab", vocab, 1_000_000),
                                       ("--iters", iterations, 10_000)] {
                try OptionCheck.positive(value, name, max: max)
            }
            try OptionCheck.integer(warmup, "--warmup", in: 0...10_000)
            guard hidden % heads == 0 else { throw OptionError("--hidden must be a multiple of --heads") }
        }
    }

    /// What `binarybert bench` reports: the shape, the machine, the median seconds of each pass, tokens/s, GFLOP/s
    /// and the fraction of the GEMM peak.
    public struct Result: Encodable, Sendable {
        public var impl = "swift"
        public var dtype: String
        public var batch: Int, seq: Int, layers: Int, hidden: Int, heads: Int, intermediate: Int
        public var threads: Int
        public var blasCore: String
        public var blasCoreSelection: String
        public var fwdSeconds: Double, fwdBwdSeconds: Double
        public var fwdTokensPerS: Double, fwdBwdTokensPerS: Double
        public var gflopsFwd: Double, gflopsFwdBwd: Double
        public var sgemmPeakGflops: Double
        public var fractionOfPeakFwdBwd: Double

        /// (field, value) by field name, as the text report lists them.
        public var rows: [(name: String, value: String)] {
            let all: [(String, Any)] = [
                ("impl", impl), ("dtype", dtype), ("batch", batch), ("seq", seq), ("layers", layers), ("hidden", hidden), ("heads", heads),
                ("intermediate", intermediate), ("threads", threads), ("blas_core", blasCore), ("blas_core_selection", blasCoreSelection),
                ("fwd_seconds", fwdSeconds), ("fwd_bwd_seconds", fwdBwdSeconds), ("fwd_tokens_per_s", fwdTokensPerS),
                ("fwd_bwd_tokens_per_s", fwdBwdTokensPerS), ("gflops_fwd", gflopsFwd), ("gflops_fwd_bwd", gflopsFwdBwd),
                ("sgemm_peak_gflops", sgemmPeakGflops), ("fraction_of_peak_fwd_bwd", fractionOfPeakFwdBwd),
            ]
            return all.sorted { $0.0 < $1.0 }.map { ($0.0, "\($0.1)") }
        }
    }

    /// Measures `setup` in precision T (named `dtype` in the result); `log` gets the peak and each median.
    public static func run<T: BLASReal>(_ type: T.Type, setup s: Setup, dtype: String, log: (String) -> Void) throws -> Result {
        let config = BertConfig(vocabSize: s.vocab, hiddenSize: s.hidden, numHiddenLayers: s.layers, numAttentionHeads: s.heads,
                                intermediateSize: s.intermediate, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0,
                                maxPositionEmbeddings: max(512, s.seq), numLabels: 2)
        let model = try BertModel<T>(config: config)
        model.initializeWeights(seed: s.seed)
        var rng = SeededRNG(seed: s.seed, stream: 1)
        let ids = (0..<(s.batch * s.seq)).map { _ in Int32(rng.next() % UInt64(s.vocab)) }
        let tokens = TokenBatch(batchSize: s.batch, sequenceLength: s.seq, inputIds: ids)
        let labels = Targets.classes((0..<s.batch).map { $0 % 2 })

        let peak = gemmPeak(T.self)
        log("gemm peak \(String(format: "%.1f", peak)) GFLOP/s (\(T.self), \(Parallel.threads) threads, core \(BLASInfo.coreName))")

        var fwd: [Double] = [], fwdBwd: [Double] = []
        for i in 0..<(s.warmup + s.iterations) {
            let t = try Stopwatch.seconds { try model.forward(tokens) }
            if i >= s.warmup { fwd.append(t) }
        }
        log("forward median \(String(format: "%.3f", Stopwatch.median(fwd))) s")
        for i in 0..<(s.warmup + s.iterations) {
            let t = try Stopwatch.seconds { _ = try model.lossAndGradient(tokens, targets: labels, rng: &rng) }
            if i >= s.warmup { fwdBwd.append(t) }
        }
        log("forward+backward median \(String(format: "%.3f", Stopwatch.median(fwdBwd))) s")

        let n = Double(s.batch * s.seq), h = Double(s.hidden), inter = Double(s.intermediate), t = Double(s.seq)
        let fwdFlopsPerToken = Double(s.layers) * (2 * (4 * h * h + 2 * h * inter) + 2 * 2 * t * h)
        let fwdTime = Stopwatch.median(fwd), fwdBwdTime = Stopwatch.median(fwdBwd)
        let gflopsFwd = fwdFlopsPerToken * n / fwdTime / 1e9
        let gflopsFwdBwd = 3 * fwdFlopsPerToken * n / fwdBwdTime / 1e9
        return Result(dtype: dtype, batch: s.batch, seq: s.seq, layers: s.layers, hidden: s.hidden, heads: s.heads, intermediate: s.intermediate,
                      threads: Parallel.threads, blasCore: BLASInfo.coreName, blasCoreSelection: BLASCoreSelection.note,
                      fwdSeconds: fwdTime, fwdBwdSeconds: fwdBwdTime, fwdTokensPerS: n / fwdTime, fwdBwdTokensPerS: n / fwdBwdTime,
                      gflopsFwd: gflopsFwd, gflopsFwdBwd: gflopsFwdBwd, sgemmPeakGflops: peak, fractionOfPeakFwdBwd: gflopsFwdBwd / peak)
    }

    /// Best of several square GEMMs (n = 2048) in the benchmark's precision.
    static func gemmPeak<T: BLASReal>(_ type: T.Type) -> Double {
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
