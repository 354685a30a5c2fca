import Foundation

/// One command of a report: `binarybert ARGUMENTS`, writing `output` (relative to the work directory). A stage runs
/// once every stage it reads (`inputs`) has finished; the plan's order respects them, so running the stages one after
/// another in plan order is always valid. A finished stage leaves a marker and is never run again.
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
    /// Estimated seconds on the quick preset's machine (2 cores), for the overall ETA and the order of parallel work.
    public var cost: Double
    /// The ids of the earlier stages whose outputs this stage reads (found by `ReportPlan` in its arguments).
    public var inputs: [String] = []

    public init(id: String, title: String, arguments: [String], output: String, resume: Resume = .rerun, cost: Double) {
        self.id = id
        self.title = title
        self.arguments = arguments
        self.output = output
        self.resume = resume
        self.cost = cost
    }

    /// The ids of `earlier` stages whose output this stage's arguments name: an argument equal to the output, or
    /// containing it as a whole path (after `:` or `=`, followed by `/`, `,` or the end), e.g. `--model OUT`,
    /// `--directions hessian:OUT/bwn/top-0.safetensors` or `--x=…`. `runs/x/tws` is not read by `runs/x/tws-split`.
    public func reads(_ earlier: [ReportStage]) -> [String] {
        earlier.filter { stage in
            arguments.contains { Self.names(path: stage.output, in: $0) }
        }.map(\.id)
    }

    static func names(path: String, in argument: String) -> Bool {
        guard !path.isEmpty else { return false }
        var searchStart = argument.startIndex
        while let range = argument.range(of: path, range: searchStart..<argument.endIndex) {
            let before = range.lowerBound == argument.startIndex ? nil : argument[argument.index(before: range.lowerBound)]
            let after = range.upperBound == argument.endIndex ? nil : argument[range.upperBound]
            if (before == nil || before == ":" || before == "=") && (after == nil || after == "/" || after == ",") { return true }
            searchStart = argument.index(after: range.lowerBound)
        }
        return false
    }
}
