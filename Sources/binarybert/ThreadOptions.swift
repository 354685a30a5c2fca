import ArgumentParser
import Numerics

/// `--threads`, shared by the commands that compute.
struct ThreadOptions: ParsableArguments {
    @Option(help: "Threads for the GEMM splitter and the kernels (default: all cores; OpenBLAS itself runs single-threaded).")
    var threads: Int?

    func validate() throws {
        if let threads { try OptionCheck.integer(threads, "--threads", in: 1...1024) }
    }

    func apply() throws {
        if let threads { Parallel.threads = threads }
    }
}
