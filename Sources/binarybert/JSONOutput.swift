import Foundation

/// Prints `value` as one line of JSON with sorted keys on standard output (the commands' machine-readable result).
func printJSONLine<V: Encodable>(_ value: V) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
