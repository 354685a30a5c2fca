import Foundation

/// Checks JSON text for what `JSONDecoder` forgives: a key repeated inside one object (the decoder keeps one of them
/// silently). Returns the first repeated key with the 1-based line it is on, or nil. The text must already be
/// valid JSON; this only tracks strings, braces and brackets.
enum StrictJSON {
    static func firstRepeatedKey(in data: Data) -> (key: String, line: Int)? {
        let bytes = [UInt8](data)
        var stack: [Set<String>?] = []   // one set per open object, nil for arrays
        var expectingKey: [Bool] = []
        var line = 1
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "\n"): line += 1
            case UInt8(ascii: "{"): stack.append([]); expectingKey.append(true)
            case UInt8(ascii: "["): stack.append(nil); expectingKey.append(false)
            case UInt8(ascii: "}"), UInt8(ascii: "]"): _ = stack.popLast(); _ = expectingKey.popLast()
            case UInt8(ascii: ","): if case .some = stack.last ?? nil { expectingKey[expectingKey.count - 1] = true }
            case UInt8(ascii: ":"): if !expectingKey.isEmpty { expectingKey[expectingKey.count - 1] = false }
            case UInt8(ascii: "\""):
                var j = i + 1, raw: [UInt8] = []
                while j < bytes.count && bytes[j] != UInt8(ascii: "\"") {
                    if bytes[j] == UInt8(ascii: "\\") && j + 1 < bytes.count { raw.append(bytes[j]); j += 1 }
                    raw.append(bytes[j]); j += 1
                }
                if let keys = stack.last ?? nil, expectingKey.last == true {
                    // Decode escapes the way the decoder will, so "a" and "\u0061" are the same key.
                    let quoted = Data([UInt8(ascii: "\"")] + raw + [UInt8(ascii: "\"")])
                    let key = (try? JSONDecoder().decode(String.self, from: quoted)) ?? String(decoding: raw, as: UTF8.self)
                    if keys.contains(key) { return (key, line) }
                    stack[stack.count - 1] = keys.union([key])
                }
                i = j
            default: break
            }
            i += 1
        }
        return nil
    }

    /// A `DecodingError` as one sentence naming the key, what it got and what it needs.
    static func describe(_ error: Error, expectations: [String: String]) -> String {
        func path(_ p: [CodingKey]) -> String {
            p.map { $0.intValue.map { "[\($0)]" } ?? snake($0.stringValue) }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        func need(_ p: [CodingKey]) -> String {
            guard let k = p.first(where: { $0.intValue == nil }) else { return "" }
            return expectations[snake(k.stringValue)].map { " (it takes \($0))" } ?? ""
        }
        switch error {
        case let DecodingError.keyNotFound(key, ctx):
            let full = ctx.codingPath + [key]
            return "the key \"\(path(full))\" is missing\(need(full))"
        case let DecodingError.typeMismatch(type, ctx), let DecodingError.valueNotFound(type, ctx):
            return "\"\(path(ctx.codingPath))\" has the wrong kind of value: expected \(describe(type))\(need(ctx.codingPath))"
        case let DecodingError.dataCorrupted(ctx):
            if ctx.codingPath.isEmpty { return "the file is not valid JSON" }
            return "\"\(path(ctx.codingPath))\" cannot be read as \(ctx.debugDescription.contains("Int") || ctx.debugDescription.contains("number") ? "a whole number in range" : "its type")\(need(ctx.codingPath))"
        default:
            return "\(error)"
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is UInt64.Type: return "a whole number"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        case is String.Type: return "a string"
        default: return "\(type)".hasPrefix("Array") ? "a list" : "\(type)"
        }
    }

    /// camelCase → snake_case, as `JSONEncoder.KeyEncodingStrategy.convertToSnakeCase` spells it.
    static func snake(_ s: String) -> String {
        var out = ""
        for ch in s {
            if ch.isUppercase { if !out.isEmpty { out.append("_") }; out.append(contentsOf: ch.lowercased()) } else { out.append(ch) }
        }
        return out
    }
}
