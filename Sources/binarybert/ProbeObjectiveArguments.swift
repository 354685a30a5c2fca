import ArgumentParser
import Probe
import Storage

extension ProbeBatching: ExpressibleByArgument {
    static let help = ArgumentHelp(stringLiteral: "Batch layout of the objective: auto (packed unless a model quantizes "
        + "activations), packed (no padding rows) or padded (as training batches).")
}

/// The options of a probe's objective, one group for `hessian`, `landscape` and the benchmarks (`ProbeObjectiveOptions`).
/// `--examples` and `--split` defaults differ by command (each passes its own); `--task`/`--data` are checked by
/// the command (a merge needs neither).
struct ProbeObjectiveArguments: CheckedArguments {
    @Option(help: "Task name (see finetune --help).") var task: String?
    @Option(help: "Data directory: a GLUE folder or the rt-polarity folder.") var data: String?
    @Option(help: "Split of the objective (default: train; dev for the benchmarks).") var split: ProbeSplit?
    @Option(help: "Examples in the objective, the first N of the split (default: 64; 256 for landscape and bench-landscape).") var examples: Int?
    @Option(help: "Draw the examples as a seeded subset instead of the first N.") var sampleSeed: UInt64?
    @Option(help: "Examples per batch of the objective (and per mini-batch of hessian --per-module).") var batchSize = 32
    @Option(help: ProbeBatching.help) var batching: ProbeBatching = .auto
    @Option(help: "Maximum tokens per example.") var maxLength = 64

    func check() throws { try options(examples: 1).validate() }

    /// `--task` and `--data` given, or the sentence that says which is missing.
    func requireTaskAndData(unless exempt: String? = nil) throws {
        for (name, value) in [("--task", task), ("--data", data)] where value == nil {
            throw OptionError("\(name) is required\(exempt.map { " (unless \($0))" } ?? "")")
        }
    }

    /// The typed options, with this command's defaults for what the user left out.
    func options(examples defaultExamples: Int, split defaultSplit: ProbeSplit = .train) -> ProbeObjectiveOptions {
        var o = ProbeObjectiveOptions(task: task ?? "", data: data ?? "")
        o.split = (split ?? defaultSplit).rawValue
        o.examples = examples ?? defaultExamples
        o.sampleSeed = sampleSeed
        o.batchSize = batchSize
        o.batching = batching
        o.maxLength = maxLength
        return o
    }
}

extension ArgumentWriter {
    /// The objective's examples, their draw and batches (the split and layout when not the defaults).
    mutating func objectiveExamples(_ o: ProbeObjectiveOptions) {
        options(["--examples": o.examples, "--sample-seed": o.sampleSeed, "--batch-size": o.batchSize])
        nondefault(["--split": (o.split, ProbeSplit.train.rawValue), "--batching": (o.batching.rawValue, ProbeBatching.auto.rawValue)])
    }
}
