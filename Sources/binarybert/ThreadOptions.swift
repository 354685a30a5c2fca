import ArgumentParser
import Numerics
import Storage

/// A command that computes: the entry point applies its `--threads` before running it.
protocol ThreadedCommand: ParsableCommand {
    var threading: ThreadOptions { get }
}

/// `--threads`, shared by the commands that compute.
struct ThreadOptions: CheckedArguments {
    @Option(help: "Threads for the GEMM splitter and the kernels (default: all cores; OpenBLAS itself runs single-threaded).") var threads: Int?

    func check() throws {
        if let threads { try OptionCheck.integer(threads, "--threads", in: 1...1024) }
    }

    func apply() throws {
        if let threads { Parallel.threads = threads }
    }
}
