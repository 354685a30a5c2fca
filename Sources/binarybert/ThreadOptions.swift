import ArgumentParser
import Numerics

/// `--threads`, shared by the commands that compute.
struct ThreadOptions: ParsableArguments {
    @Option(help: "Threads for the GEMM splitter and the kernels (default: all cores; OpenBLAS itself runs single-threaded).")
    var threads: Int?

    func apply() throws {
        guard let n = threads else { return }
        try OptionCheck.integer(n, "--threads", in: 1...1024)
        Parallel.threads = n
    }
}
