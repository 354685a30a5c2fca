import ArgumentParser
import Training

/// A command that writes an output directory: `run()` claims the directory (locked, cleared of what crashed runs
/// left; removed again when a refused run leaves it empty), applies `--threads`, and calls `execute()`.
protocol OutputCommand: ParsableCommand {
    var output: String { get }
    var threading: ThreadOptions { get }
    func execute() throws
}

extension OutputCommand {
    func run() throws {
        try OutputClaim.with(output) {
            try threading.apply()
            try execute()
        }
    }
}
