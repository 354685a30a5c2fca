import Foundation
import Storage

/// Prints `value` as one line of JSON (the project's convention: snake_case, sorted keys) on standard output: the
/// commands' machine-readable result.
func printJSONLine<V: Encodable>(_ value: V) throws {
    print(try JSONFormat.line(value))
}
