import ArgumentParser
import Training

/// `--task`, `--data` and `--max-length`: the task data of the commands that train or evaluate.
struct TaskArguments: ParsableArguments {
    @Option(help: "Task: rt-polarity, rt-rating, cola, sst-2, mrpc, sts-b, qqp, mnli, mnli-mm, qnli, rte, wnli.") var task: String
    @Option(help: "Data directory (GLUE layout, or the folder holding movieReviewSnippets_GroundTruth.txt).") var data: String
    @Option(help: "Maximum tokens per example (truncation: longest first).") var maxLength = 128
}

/// The optimizer's settings shared by `finetune`, `quantize` and `adaptive-split`.
struct TrainingArguments: ParsableArguments {
    @Option(help: "Examples per step.") var batchSize = 32
    @Option(help: "Peak learning rate (distillation: of stage 2; stage 1 uses 2.5×).") var lr = 5e-5
    @Option(help: "Seed of new heads, shuffling and dropout.") var seed: UInt64 = 42
    @Option(help: "Evaluate on dev every N steps (and at the end of each epoch).") var evalEvery = 100
}

/// Which training examples a training command uses: all, the first N (`--limit`), or a seeded random N (`--subset`).
struct TrainingSubsetOptions: CheckedArguments {
    @Option(help: "Use only the first N training examples (smoke tests).") var limit: Int?
    @Option(help: "Use N training examples drawn at random by --subset-seed (balanced where the file is sorted by label).") var subset: Int?
    @Option(help: "Seed of --subset's draw.") var subsetSeed: UInt64 = 0

    func check() throws {
        if limit != nil && subset != nil { throw ValidationError("--limit and --subset exclude each other: give one") }
    }

    /// The examples chosen, nil for all of them.
    var choice: TrainingSubset? {
        if let limit { return TrainingSubset(count: limit) }
        return subset.map { TrainingSubset(count: $0, seed: subsetSeed) }
    }

    /// A training command's task data: these examples of the task.
    func taskData(_ t: TaskArguments, skipBadRows: Bool = false) -> TaskDataOptions {
        TaskDataOptions(task: t.task, data: t.data, maxLength: t.maxLength, subset: choice, skipBadRows: skipBadRows)
    }
}

extension ArgumentWriter {
    /// `--task`, `--data` and `--max-length` of task data.
    mutating func task(_ d: TaskDataOptions) { task(d.task, data: d.data, maxLength: d.maxLength) }

    /// The training examples: `--limit N` or `--subset N --subset-seed S` (nothing for all of them).
    mutating func subset(_ subset: TrainingSubset?) {
        guard let subset else { return }
        if let seed = subset.seed { options(["--subset": subset.count, "--subset-seed": seed]) } else { options(["--limit": subset.count]) }
    }
}
