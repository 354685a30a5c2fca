import ArgumentParser
import Numerics

/// `--threads`, shared by the commands that compute.
struct ThreadOptions: ParsableArguments {
    @Option(help: "Threads for OpenBLAS and the Swift kernels (default: all cores).")
    var threads: Int?

    func apply() throws {
        guard let n = threads else { return }
        guard n >= 1 else { throw ValidationError("--threads must be at least 1") }
        Parallel.threads = n
        BLASInfo.setThreads(n)
    }
}
