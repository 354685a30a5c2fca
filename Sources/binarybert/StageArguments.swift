import ArgumentParser
import Report
import Storage

/// The report's stage commands on this command line: each written as the arguments of its command (the commands
/// own their flags: a command's `job` is its typed options, and its `arguments(job)` states the options the report
/// always states and the others where they are not the default) and read back through the same parser a user's
/// command line goes through.
struct StageArguments: StageCommandLine {
    func arguments(_ command: StageCommand, threads: Int?, resume: Bool) -> [String] {
        arguments(command, threads: threads, resume: resume, teacherCache: nil)
    }

    func arguments(_ command: StageCommand, threads: Int?, resume: Bool, teacherCache: String?) -> [String] {
        var words: [String]
        switch command {
        case let .finetune(job): words = FinetuneCommand.arguments(job)
        case let .quantize(job): words = QuantizeCommand.arguments(job) + (teacherCache.map { ["--teacher-cache", $0] } ?? [])
        case let .split(job): return SplitCommand.arguments(job)
        case let .export(job): return ExportCommand.arguments(job)
        case let .landscape(job): words = LandscapeCommand.arguments(job)
        case let .hessian(job): words = HessianCommand.arguments(job)
        case let .adaptiveSplit(job): words = AdaptiveSplitCommand.arguments(job)
        case let .sharpness(job): words = SharpnessCommand.arguments(job)
        }
        if let threads { words += ["--threads", String(threads)] }
        if resume { words.append("--resume") }
        return words
    }

    func parse(_ arguments: [String]) throws -> (command: StageCommand, arguments: [String]) {
        let command: StageCommand
        switch try BinaryBERTCommand.parseAsRoot(arguments) {
        case let c as FinetuneCommand: command = .finetune(c.job)
        case let c as QuantizeCommand: command = .quantize(c.job)
        case let c as SplitCommand: command = .split(c.job)
        case let c as ExportCommand: command = .export(c.job)
        case let c as LandscapeCommand: command = .landscape(try c.job())
        case let c as HessianCommand: command = .hessian(c.job)
        case let c as AdaptiveSplitCommand: command = .adaptiveSplit(c.job)
        case let c as SharpnessCommand: command = .sharpness(c.job)
        default: throw OptionError("`binarybert \(arguments.first ?? "")` is not a command of a report's stage")
        }
        return (command, Self.withoutRunOptions(arguments))
    }

    /// The options one run of a command adds to it, each with a value.
    static let runOptions = ["--threads", "--teacher-cache"]

    /// `arguments` without `--threads N`, `--teacher-cache DIR` and `--resume`: what one run of a command adds to it.
    static func withoutRunOptions(_ arguments: [String]) -> [String] {
        arguments.indices.filter { k in
            let a = arguments[k]
            return a != "--resume" && !runOptions.contains(a) && !runOptions.contains(where: { a.hasPrefix($0 + "=") })
                && (k == 0 || !runOptions.contains(arguments[k - 1]))
        }.map { arguments[$0] }
    }
}
