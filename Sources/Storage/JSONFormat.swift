import Foundation

/// The one JSON convention of every document the project writes: snake_case keys (a type's camelCase properties
/// are converted; explicit snake_case coding keys stay as they are), sorted keys, unescaped slashes, pretty-printed
/// for files and compact for the one-line results commands print. The decoder reads snake_case and, for files
/// written before the convention, the camelCase spelling of the same fields: use it for types with default coding
/// keys (a type whose coding keys are already snake_case decodes with a plain `JSONDecoder`).
public enum JSONFormat {
    public static func encoder(pretty: Bool = true) -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        e.keyEncodingStrategy = .convertToSnakeCase
        return e
    }

    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }

    /// `value` encoded as a file's bytes (pretty).
    public static func file<T: Encodable>(_ value: T) throws -> Data {
        try encoder().encode(value)
    }

    /// `value` encoded as one line (compact, no newline), for a command's result on standard output.
    public static func line<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try encoder(pretty: false).encode(value), as: UTF8.self)
    }
}
