import Foundation

/// Whether a task predicts one of a fixed set of labels or a real value.
public enum TaskKind: Sendable, Equatable {
    /// Labels in the order of their class indices (the string is the label as written in the data file).
    case classification(labels: [String])
    case regression
}

/// A fine-tuning task: its name, label space and the metric used to compare models.
public struct TaskSpec: Sendable, Equatable {
    /// Lower-case task name, e.g. "sst-2", "mnli-mm", "rt-polarity".
    public let name: String
    public let kind: TaskKind
    /// Key into `Metrics.evaluate(...)`: "accuracy", "f1", "mcc" or "pearson_spearman_mean".
    public let primaryMetric: String
    /// File stem of the evaluation split ("dev", or "dev_matched"/"dev_mismatched" for MNLI).
    /// `DatasetLoader.load` accepts either "dev" or this name.
    public let devSplitName: String

    public init(name: String, kind: TaskKind, primaryMetric: String, devSplitName: String = "dev") {
        self.name = name
        self.kind = kind
        self.primaryMetric = primaryMetric
        self.devSplitName = devSplitName
    }

    /// Number of classifier outputs: the label count, or 1 for regression.
    public var numLabels: Int {
        switch kind {
        case .classification(let labels): return labels.count
        case .regression: return 1
        }
    }

    /// Label names for classification tasks (empty for regression).
    public var labelNames: [String] {
        if case .classification(let labels) = kind { return labels }
        return []
    }

    public var isRegression: Bool { kind == .regression }
}

/// The registry of known tasks.
public enum Tasks {
    static let binary = ["0", "1"]

    public static let cola = TaskSpec(name: "cola", kind: .classification(labels: binary), primaryMetric: "mcc")
    public static let sst2 = TaskSpec(name: "sst-2", kind: .classification(labels: binary), primaryMetric: "accuracy")
    public static let mrpc = TaskSpec(name: "mrpc", kind: .classification(labels: binary), primaryMetric: "f1")
    public static let stsb = TaskSpec(name: "sts-b", kind: .regression, primaryMetric: "pearson_spearman_mean")
    public static let qqp = TaskSpec(name: "qqp", kind: .classification(labels: binary), primaryMetric: "f1")
    public static let mnli = TaskSpec(
        name: "mnli", kind: .classification(labels: ["contradiction", "entailment", "neutral"]),
        primaryMetric: "accuracy", devSplitName: "dev_matched")
    public static let mnliMismatched = TaskSpec(
        name: "mnli-mm", kind: .classification(labels: ["contradiction", "entailment", "neutral"]),
        primaryMetric: "accuracy", devSplitName: "dev_mismatched")
    public static let qnli = TaskSpec(
        name: "qnli", kind: .classification(labels: ["entailment", "not_entailment"]), primaryMetric: "accuracy")
    public static let rte = TaskSpec(
        name: "rte", kind: .classification(labels: ["entailment", "not_entailment"]), primaryMetric: "accuracy")
    public static let wnli = TaskSpec(name: "wnli", kind: .classification(labels: binary), primaryMetric: "accuracy")
    /// Rotten Tomatoes snippets (Hutto & Gilbert 2014), label = sign of the mean rating (0 = negative, 1 = positive).
    public static let rtPolarity = TaskSpec(
        name: "rt-polarity", kind: .classification(labels: ["negative", "positive"]), primaryMetric: "accuracy")
    /// The same snippets with the mean rating (-4...+4) as a regression target.
    public static let rtRating = TaskSpec(name: "rt-rating", kind: .regression, primaryMetric: "pearson_spearman_mean")

    /// The task used when none is given: it needs only the offline rt-polarity asset.
    public static let defaultTask = rtPolarity

    public static var all: [TaskSpec] {
        [cola, sst2, mrpc, stsb, qqp, mnli, mnliMismatched, qnli, rte, wnli, rtPolarity, rtRating]
    }

    static let aliases: [String: String] = [
        "sst2": "sst-2", "stsb": "sts-b", "sts": "sts-b",
        "mnli-m": "mnli", "mnli_matched": "mnli", "mnli-matched": "mnli",
        "mnli_mismatched": "mnli-mm", "mnli-mismatched": "mnli-mm", "mnlimm": "mnli-mm",
        "rt": "rt-polarity", "rt_polarity": "rt-polarity", "rt_rating": "rt-rating",
    ]

    /// Looks a task up by name (case-insensitive; "sst2", "stsb" and similar spellings are accepted).
    public static func named(_ name: String) throws -> TaskSpec {
        let key = name.trimmingCharacters(in: .whitespaces).lowercased()
        let canonical = aliases[key] ?? key
        if let spec = all.first(where: { $0.name == canonical }) { return spec }
        throw DatasetError.unknownTask(name: name, known: all.map(\.name))
    }
}
