import Foundation

/// The one JSON convention of every document the project writes: snake_case keys (a type's camelCase properties
/// are converted; explicit snake_case coding keys stay as they are), sorted keys, unescaped slashes, pretty-printed
/// for files and compact for the one-line results commands print. The decoder reads snake_case and, for files
/// written before the convention, the camelCase spelling of the same fields: use it for types with default coding
/// keys (a type whose coding keys are already snake_case decodes with a plain `JSONDecoder`).
public enum JSONFormat {
    /// What a non-finite number becomes: refused (an encoding error, the default: JSON has no such numbers) or the
    /// strings "NaN", "Infinity" and "-Infinity" (the curvature results, where an estimate can be non-finite).
    public enum NonFinite: Sendable { case refused, named }

    public static func encoder(pretty: Bool = true, nonFinite: NonFinite = .refused) -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        e.keyEncodingStrategy = .convertToSnakeCase
        if nonFinite == .named {
            e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        }
        return e
    }

    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }

    /// `value` encoded as a file's bytes (pretty).
    public static func file<T: Encodable>(_ value: T, nonFinite: NonFinite = .refused) throws -> Data {
        try encoder(nonFinite: nonFinite).encode(value)
    }

    /// `value` encoded as one line (compact, no newline), for a command's result on standard output.
    public static func line<T: Encodable>(_ value: T, nonFinite: NonFinite = .refused) throws -> String {
        String(decoding: try encoder(pretty: false, nonFinite: nonFinite).encode(value), as: UTF8.self)
    }

    /// A number as a document records it where JSON cannot: NaN and ±Inf become nil (written as null).
    public static func finite(_ v: Double?) -> Double? {
        v.flatMap { $0.isFinite ? $0 : nil }
    }
}

/// An optional field written as `null` when absent (a plain optional property is left out of the document).
@propertyWrapper
public struct NullWhenAbsent<Wrapped: Encodable>: Encodable {
    public var wrappedValue: Wrapped?
    public init(wrappedValue: Wrapped?) { self.wrappedValue = wrappedValue }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if let wrappedValue { try c.encode(wrappedValue) } else { try c.encodeNil() }
    }
}

extension NullWhenAbsent: Sendable where Wrapped: Sendable {}

/// Records written as one JSON object: the fields of every part side by side (a part that is nil adds none). What a
/// document made of a shared header (a probe's provenance) and its own fields is written as.
public struct JSONObjectParts: Encodable {
    let parts: [any Encodable]

    public init(_ parts: (any Encodable)?...) { self.parts = parts.compactMap { $0 } }

    public func encode(to encoder: Encoder) throws {
        for part in parts { try part.encode(to: encoder) }
    }
}

/// A key chosen at run time: the fields of a record whose names are data (a model's description, a scan's
/// statistics), written beside a type's own fields.
public struct JSONKey: CodingKey, Hashable, Sendable {
    public let stringValue: String
    public var intValue: Int? { nil }
    public init(_ name: String) { stringValue = name }
    public init?(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}
