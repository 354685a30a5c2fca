import Foundation

/// The gold target of an example.
public enum Label: Sendable, Equatable {
    /// Index into the task's label list (`TaskKind.classification(labels:)`).
    case classIndex(Int)
    /// Regression target (STS-B similarity 0...5, rt-rating mean rating -4...+4).
    case value(Double)

    public var classIndex: Int? {
        if case .classIndex(let i) = self { return i }
        return nil
    }

    public var value: Double? {
        if case .value(let v) = self { return v }
        return nil
    }
}

/// One sentence or sentence pair with its label.
public struct Example: Sendable, Equatable {
    /// "<split>-<index column>" where the file has an index column, otherwise "<split>-<line number>";
    /// for rt-polarity/rt-rating the snippet id from the file.
    public let id: String
    public let textA: String
    public let textB: String?
    public let label: Label

    public init(id: String, textA: String, textB: String? = nil, label: Label) {
        self.id = id
        self.textA = textA
        self.textB = textB
        self.label = label
    }
}

/// The examples of one split of one task, in file order.
public struct Dataset: Sendable {
    public let task: TaskSpec
    /// "train" or "dev".
    public let split: String
    public let examples: [Example]
    /// Rows skipped as malformed (only non-zero with `skipBadRows: true`).
    public let skippedRows: Int
    /// The file that was read.
    public let source: URL
    /// Lines of `source` that were not valid UTF-8 and were decoded as Windows-1252 (1-based).
    public var windows1252Lines: [Int] = []

    /// A warning naming the lines decoded as Windows-1252, nil when there are none.
    public var encodingWarning: String? {
        guard !windows1252Lines.isEmpty else { return nil }
        let shown = windows1252Lines.prefix(5).map { "\(source.path):\($0)" }.joined(separator: ", ")
        return "warning: \(windows1252Lines.count) line(s) are not valid UTF-8 and were read as Windows-1252: \(shown)"
            + (windows1252Lines.count > 5 ? ", …" : "")
    }

    public init(task: TaskSpec, split: String, examples: [Example], skippedRows: Int, source: URL) {
        self.task = task
        self.split = split
        self.examples = examples
        self.skippedRows = skippedRows
        self.source = source
    }

    public var count: Int { examples.count }
    public var labels: [Label] { examples.map(\.label) }
}
