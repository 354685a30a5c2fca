import Foundation
import Storage

/// Prints `value` as one line of JSON (the project's convention: snake_case, sorted keys) on standard output: the
/// commands' machine-readable result.
func printJSONLine<V: Encodable>(_ value: V) throws {
    print(try JSONFormat.line(value))
}

/// A progress line on standard error.
func standardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
