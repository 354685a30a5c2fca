import ArgumentParser
import Training

/// `binarybert slice`: a narrower model (first or most important heads and FFN neurons), as the half-width network
/// BinaryBERT splits.
struct SliceCommand: OutputCommand {
    static let configuration = CommandConfiguration(commandName: "slice",
        abstract: "Keep ⌈heads·W⌉ attention heads and ⌊FFN·W⌋ neurons of every layer (DynaBERT-style width).",
        discussion: """
        Without --rank the first heads and neurons are kept. With --rank (needs --task and --data) the model is first \
        reordered by importance (Σ over --batches training batches of |∂L/∂mask| for masks on every head's context \
        and every FFN activation, task loss on the gold labels, dropout off), so the most important ones are kept; \
        OUTPUT/importance.json records the scores and the orderings.
        """)

    @Option(help: "Full-precision model directory.") var model: String
    @Option(help: "Width in (0, 1], e.g. 0.5.") var width: Double
    @Option(help: "Output directory.") var output: String
    @Flag(inversion: .prefixedNo, help: "Rank heads and neurons by importance on training batches before slicing (--no-rank, the default, keeps the first ones).") var rank = false
    @Option(help: "Task name (with --rank).") var task: String?
    @Option(help: "Data directory (with --rank).") var data: String?
    @Option(help: "Training batches for the importance (with --rank).") var batches = 32
    @Option(help: "Examples per importance batch.") var batchSize = 32
    @Option(help: "Maximum tokens per example.") var maxLength = 128
    @Option(help: "Seed of the batch sampling.") var seed: UInt64 = 42
    @OptionGroup var threading: ThreadOptions

    func validate() throws {
        guard width > 0, width <= 1 else { throw ValidationError("--width must lie in (0, 1]") }
        if rank, task == nil || data == nil { throw ValidationError("--rank needs --task and --data") }
        try OptionCheck.positive(batches, "--batches", max: 1_000_000)
        try OptionCheck.positive(batchSize, "--batch-size", max: 65_536)
        try OptionCheck.maxLength(maxLength)
    }

    func execute() throws {
        var job = SliceJob(model: model, width: width, output: output)
        job.maxLength = maxLength
        if rank, let task, let data {
            var r = SliceJob.Ranking(task: task, data: data)
            r.batches = batches; r.batchSize = batchSize; r.seed = seed
            job.ranking = r
        }
        standardError(try job.run())
    }
}
