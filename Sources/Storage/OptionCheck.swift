/// The checks of numeric options, each failing with one sentence naming the option and its valid range (an
/// `OptionError`, a usage error); the jobs' `validate()` run them before any work starts. Upper bounds keep every
/// count that a command multiplies (epochs × steps, batch × length × width) far from integer overflow.
public enum OptionCheck {
    /// The largest count any option takes (examples, steps, points): 2³¹ − 1.
    public static let maxCount = Int(Int32.max)

    public static func integer(_ value: Int, _ name: String, in range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            let upper = range.upperBound == maxCount ? "2147483647" : String(range.upperBound)
            throw OptionError("\(name) must be an integer in [\(range.lowerBound), \(upper)], not \(value)")
        }
    }

    /// A positive count: batch sizes, intervals, examples, iterations.
    public static func positive(_ value: Int, _ name: String, max: Int = maxCount) throws { try integer(value, name, in: 1...max) }

    public static func positive(_ value: Int?, _ name: String, max: Int = maxCount) throws {
        if let value { try positive(value, name, max: max) }
    }

    /// Training epochs (at most 10 000; `allowZero`: 0 means "train nothing").
    public static func epochs(_ value: Int, _ name: String = "--epochs", allowZero: Bool = false) throws {
        try integer(value, name, in: (allowZero ? 0 : 1)...10_000)
    }

    /// A token budget per example: at least [CLS] and [SEP]; the model's own limit is checked when it is loaded.
    public static func maxLength(_ value: Int, _ name: String = "--max-length") throws { try integer(value, name, in: 2...65_536) }

    public static func maxLength(_ value: Int?, _ name: String = "--max-length") throws {
        if let value { try maxLength(value, name) }
    }

    /// A learning rate: finite, positive, at most 1 (Adam's steps are ~lr per weight; above 1 a run only diverges).
    public static func learningRate(_ value: Double, _ name: String = "--lr") throws {
        guard value.isFinite, value > 0, value <= 1 else {
            throw OptionError("\(name) must be a number in (0, 1], not \(value)")
        }
    }

    /// A finite number in a closed range.
    public static func number(_ value: Double, _ name: String, in range: ClosedRange<Double>) throws {
        guard value.isFinite, range.contains(value) else {
            throw OptionError("\(name) must be a number in [\(format(range.lowerBound)), \(format(range.upperBound))], not \(value)")
        }
    }

    /// A finite number in [low, high).
    public static func number(_ value: Double, _ name: String, in range: Range<Double>) throws {
        guard value.isFinite, range.contains(value) else {
            throw OptionError("\(name) must be a number in [\(format(range.lowerBound)), \(format(range.upperBound))), not \(value)")
        }
    }

    /// A finite positive number (a tolerance, a scale, a budget).
    public static func positive(_ value: Double, _ name: String) throws {
        guard value.isFinite, value > 0 else { throw OptionError("\(name) must be a finite positive number, not \(value)") }
    }

    private static func format(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)"
    }
}
