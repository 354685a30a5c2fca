import Foundation

/// One command of a report: `binarybert ARGUMENTS`, writing `output` (relative to the work directory). Stages run in
/// the plan's order, which respects their inputs; a finished stage leaves a marker and is never run again.
public struct ReportStage: Sendable, Equatable {
    /// How an interrupted stage continues: training commands take `--resume` once they have a checkpoint; scans
    /// resume point by point on their own; the rest simply run again.
    public enum Resume: String, Sendable {
        case finetune, quantize, rerun
    }

    /// Unique and file-name safe, e.g. `seed-42/ternary` or `probes/ones-bwn`.
    public var id: String
    /// What the progress line says.
    public var title: String
    public var arguments: [String]
    public var output: String
    public var resume: Resume
    /// Estimated seconds on the quick preset's machine (2 cores), for the overall ETA.
    public var cost: Double

    public init(id: String, title: String, arguments: [String], output: String, resume: Resume = .rerun, cost: Double) {
        self.id = id
        self.title = title
        self.arguments = arguments
        self.output = output
        self.resume = resume
        self.cost = cost
    }
}
