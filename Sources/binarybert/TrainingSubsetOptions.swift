import ArgumentParser
import Training

/// Which training examples a training command uses: all, the first N (`--limit`), or a seeded random N (`--subset`).
struct TrainingSubsetOptions: ParsableArguments {
    @Option(help: "Use only the first N training examples (smoke tests).") var limit: Int?
    @Option(help: "Use N training examples drawn at random by --subset-seed (balanced where the file is sorted by label).")
    var subset: Int?
    @Option(help: "Seed of --subset's draw.") var subsetSeed: UInt64 = 0

    func validate() throws {
        if let limit, limit <= 0 { throw ValidationError("--limit must be positive, not \(limit)") }
        if let subset, subset <= 0 { throw ValidationError("--subset must be positive, not \(subset)") }
        if limit != nil && subset != nil { throw ValidationError("--limit and --subset exclude each other: give one") }
    }

    /// The examples chosen, nil for all of them.
    var choice: TrainingSubset? {
        if let limit { return TrainingSubset(count: limit) }
        return subset.map { TrainingSubset(count: $0, seed: subsetSeed) }
    }

    /// A training command's task data: these examples of `task` in `data`.
    func taskData(task: String, data: String, maxLength: Int, skipBadRows: Bool = false) -> TaskDataOptions {
        TaskDataOptions(task: task, data: data, maxLength: maxLength, subset: choice, skipBadRows: skipBadRows)
    }
}

extension ArgumentWriter {
    /// The training examples: `--limit N` or `--subset N --subset-seed S` (nothing for all of them).
    mutating func subset(_ subset: TrainingSubset?) {
        guard let subset else { return }
        if let seed = subset.seed { options(["--subset": subset.count, "--subset-seed": seed]) } else { options(["--limit": subset.count]) }
    }
}
