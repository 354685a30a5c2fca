import Foundation

/// A JSON document kept as parsed: the project's one JSON value type (safetensors headers, commands' results,
/// sidecars, specs). Integers are kept apart from other numbers, so that offsets, dimensions and seeds stay exact;
/// `double` reads either.
public indirect enum JSONValue: Codable, Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .integer(i) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else if let o = try? c.decode([String: JSONValue].self) { self = .object(o) }
        else { throw DecodingError.dataCorruptedError(in: c, debugDescription: "unrecognized JSON value") }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case let .bool(b): try c.encode(b)
        case let .integer(i): try c.encode(i)
        case let .number(n): try c.encode(n)
        case let .string(s): try c.encode(s)
        case let .array(a): try c.encode(a)
        case let .object(o): try c.encode(o)
        }
    }

    public subscript(key: String) -> JSONValue? {
        if case let .object(o) = self { return o[key] }
        return nil
    }

    public subscript(index: Int) -> JSONValue? {
        if case let .array(a) = self, a.indices.contains(index) { return a[index] }
        return nil
    }

    /// The value of the first of `keys` present: a field renamed over time (`best_step`, once `bestStep`) is read
    /// under either spelling.
    public subscript(anyOf keys: [String]) -> JSONValue? {
        for k in keys { if let v = self[k] { return v } }
        return nil
    }

    /// A number, integer or not.
    public var double: Double? {
        switch self {
        case let .number(n): return n
        case let .integer(i): return Double(i)
        default: return nil
        }
    }
    public var int: Int? { if case let .integer(i) = self { return i }; return nil }
    public var string: String? { if case let .string(s) = self { return s }; return nil }
    public var array: [JSONValue]? { if case let .array(a) = self { return a }; return nil }
    public var object: [String: JSONValue]? { if case let .object(o) = self { return o }; return nil }
    public var bool: Bool? { if case let .bool(b) = self { return b }; return nil }
}
