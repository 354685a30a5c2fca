import ArgumentParser
import Foundation
import Storage
import Training

/// A command that writes an output directory: `run()` claims the directory (locked, cleared of what crashed runs
/// left; removed again when a refused run leaves it empty) and calls `execute()`.
protocol OutputCommand: ThreadedCommand {
    var output: String { get }
    func execute() throws
}

extension OutputCommand {
    func run() throws { try OutputClaim.with(output) { try execute() } }
}

/// Prints `value` as one line of JSON (the project's convention: snake_case, sorted keys) on standard output: the
/// commands' machine-readable result.
func printJSONLine<V: Encodable>(_ value: V) throws {
    print(try JSONFormat.line(value))
}

/// A progress line on standard error.
func standardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
