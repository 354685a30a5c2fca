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

extension JSONValue {
    /// `value` as `JSONFormat` writes it, read back: a typed record to lay over a document read from a file.
    public init<T: Encodable>(encoding value: T, nonFinite: JSONFormat.NonFinite = .refused) throws {
        self = try JSONDecoder().decode(JSONValue.self, from: JSONFormat.file(value, nonFinite: nonFinite))
    }

    /// This object with the fields of `other` added, replacing those of the same name; nil unless both are objects.
    public func merging(_ other: JSONValue) -> JSONValue? {
        guard let base = object, let fields = other.object else { return nil }
        return .object(base.merging(fields) { _, new in new })
    }

    /// This object without the fields `names` (nil unless it is an object).
    public func removing(_ names: some Sequence<String>) -> JSONValue? {
        guard var fields = object else { return nil }
        for name in names { fields[name] = nil }
        return .object(fields)
    }

    /// This value in the number notation of a document that was read back and written again (`ReadBackNumbers`).
    public var readBack: ReadBack { ReadBack(value: self) }

    /// A value written in the notation Foundation's `JSONSerialization` gives a number it has read: one whose text
    /// has more than 17 characters before its exponent (an exponent within ±127) in plain decimal notation —
    /// `0.00000010176718677633168`, not `1.0176718677633168e-07`; every other value as `JSONFormat` writes it.
    public struct ReadBack: Encodable {
        let value: JSONValue

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch value {
            case let .number(n):
                if let plain = Self.plainDecimal(n) { try c.encode(plain) } else { try c.encode(n) }
            case let .integer(i) where i.magnitude >= 1 << 53:
                // A Double this large is written in exponent form, which reads back as an integer: written as that
                // Double again when its text denotes exactly this integer (an integer of its own keeps its digits).
                let n = Double(i)
                if Decimal(string: Self.text(n)) == Decimal(i) { try ReadBack(value: .number(n)).encode(to: encoder) } else { try c.encode(i) }
            case let .array(a): try c.encode(a.map(ReadBack.init))
            case let .object(o): try c.encode(o.mapValues(ReadBack.init))
            default: try c.encode(value)
            }
        }

        /// `n` as a Decimal when its JSON text (the shortest round-trip decimal) has more than 17 characters before
        /// the exponent and an exponent Decimal can hold; nil otherwise.
        static func plainDecimal(_ n: Double) -> Decimal? {
            guard n.isFinite else { return nil }
            let text = Self.text(n)
            let e = text.firstIndex(of: "e")
            let exponent = e.map { Int(text[text.index(after: $0)...]) ?? 0 } ?? 0
            guard text[..<(e ?? text.endIndex)].count > 17, (-128...127).contains(exponent) else { return nil }
            return Decimal(string: text)
        }

        /// A Double's JSON text: the shortest round-trip decimal, without a trailing ".0".
        static func text(_ n: Double) -> String {
            let text = n.description
            return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
        }
    }
}

/// A record written with the number notation it had when its document went through Foundation's `JSONSerialization`
/// (`JSONValue.ReadBack`): the records nested in `hessian.json` and in `bench-hessian`'s result, and a narrower
/// student's `metrics.json`, keep the bytes they have always had. Non-finite numbers are "NaN", "Infinity", "-Infinity".
public struct ReadBackNumbers<Value: Encodable>: Encodable {
    public var value: Value
    public init(_ value: Value) { self.value = value }

    public func encode(to encoder: Encoder) throws {
        try JSONValue(encoding: value, nonFinite: .named).readBack.encode(to: encoder)
    }
}
