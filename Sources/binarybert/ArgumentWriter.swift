/// A command line written from typed options: options with their values in order (none where the value is nil; a
/// `Bool` is a flag, written when true), options stated only when they are not their defaults.
struct ArgumentWriter {
    private(set) var words: [String]

    init(_ command: String, _ pairs: KeyValuePairs<String, (any CustomStringConvertible)?> = [:]) {
        words = [command]
        options(pairs)
    }

    mutating func options(_ pairs: KeyValuePairs<String, (any CustomStringConvertible)?>) {
        for (name, value) in pairs {
            if let flag = value as? Bool { if flag { words.append(name) } } else if let value { words += [name, value.description] }
        }
    }

    /// Options stated where their value (first) is not the command's default (second), or all of them when
    /// `always` (they apply to what runs).
    mutating func nondefault(_ pairs: KeyValuePairs<String, (any CustomStringConvertible, any CustomStringConvertible)>, always: Bool = false) {
        for (name, (value, standard)) in pairs where always || value.description != standard.description { words += [name, value.description] }
    }

    /// `NAME=VALUE` in one argument.
    mutating func attached(_ name: String, _ value: String) {
        words.append("\(name)=\(value)")
    }

    /// `--task`, `--data` and `--max-length`.
    mutating func task(_ task: String, data: String, maxLength: Int) {
        options(["--task": task, "--data": data, "--max-length": maxLength])
    }

    /// A number as the report writes it: an integer without a decimal point (1, -2), any other the shortest way that
    /// reads back the same (0.25, 5e-05).
    static func number(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v) }
}
