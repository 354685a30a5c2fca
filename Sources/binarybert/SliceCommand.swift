import ArgumentParser
import Training

/// `binarybert slice`: a narrower model (first or most important heads and FFN neurons), as the half-width network
/// BinaryBERT splits.
struct SliceCommand: OutputCommand, CheckedArguments {
    static let configuration = CommandConfiguration(commandName: "slice",
        abstract: "Keep ⌈heads·W⌉ attention heads and ⌊FFN·W⌋ neurons of every layer (DynaBERT-style width).",
        discussion: """
        With --rank the most important ones are kept (Σ over --batches training batches of |∂L/∂mask| for masks on \
        every head's context and FFN activation; OUTPUT/importance.json records the scores), else the first ones.
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

    func check() throws {
        if rank, task == nil || data == nil { throw ValidationError("--rank needs --task and --data") }
        try job(ranked: true).validate()  // the ranking's options are checked with or without --rank
    }

    func execute() throws { standardError(try job(ranked: rank).run()) }

    func job(ranked: Bool) -> SliceJob {
        var job = SliceJob(model: model, width: width, output: output)
        job.maxLength = maxLength
        if ranked {
            job.ranking = SliceJob.Ranking(task: task ?? "", data: data ?? "")
            job.ranking?.batches = batches; job.ranking?.batchSize = batchSize; job.ranking?.seed = seed
        }
        return job
    }
}
