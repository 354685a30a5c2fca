import ArgumentParser
import Numerics

/// `--threads`, shared by the commands that compute.
struct ThreadOptions: ParsableArguments {
    @Option(help: "Threads for the GEMM splitter and the kernels (default: all cores; OpenBLAS itself runs single-threaded).")
    var threads: Int?

    func apply() throws {
        guard let n = threads else { return }
        guard n >= 1 else { throw ValidationError("--threads must be at least 1") }
        Parallel.threads = n
    }
}
