import Foundation

/// One command of a report, writing `output` (relative to the work directory). A stage runs once every stage it
/// reads (`inputs`) has finished; the plan's order respects them, so running the stages one after another in plan
/// order is always valid. A finished stage leaves a marker and is never run again.
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
    public var command: StageCommand
    /// Estimated seconds on the quick preset's machine (2 cores), for the overall ETA and the order of parallel work.
    public var cost: Double
    /// The ids of the earlier stages whose outputs this stage reads (`reads`).
    public var inputs: [String] = []

    public init(id: String, title: String, command: StageCommand, cost: Double) {
        self.id = id
        self.title = title
        self.command = command
        self.cost = cost
    }

    public var output: String { command.output }
    public var resume: Resume { command.resume }

    /// The ids of `earlier` stages whose output this stage's command reads: a path it reads is that output or lies
    /// inside it (`runs/x/tws-split` is not inside `runs/x/tws`).
    public func reads(_ earlier: [ReportStage]) -> [String] {
        let paths = command.reads
        return earlier.filter { stage in
            !stage.output.isEmpty && paths.contains { $0 == stage.output || $0.hasPrefix(stage.output + "/") }
        }.map(\.id)
    }
}
