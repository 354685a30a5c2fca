import BERT
import Foundation
import Numerics
import Storage
import Text

/// `binarybert report`: plans the spec's stages, runs the unfinished ones, collects their results into the report's
/// tables and draws the figures and REPORT.md into the output directory. A second run reuses every finished stage
/// and rewrites the same bytes.
public struct ReportJob {
    public var spec: ReportSpec
    /// Models, scans and stage markers (git-ignored, large).
    public var work: String
    /// Figures, tables, REPORT.md and report.json (small, committed).
    public var output: URL
    public var executable: URL
    public var threads: Int
    /// Stages run at once (they share `threads`).
    public var jobs: Int
    public var version: String
    /// The command line recorded in report.json and REPORT.md.
    public var command: String
    /// How `executable` spells the stages' commands.
    public var commandLine: StageCommandLine
    public var log: (String) -> Void
    /// The hash the plan must have (a workflow's rules pass the hash of the plan they were written from).
    public var planHash: String?
    /// Keep finished training stages' resumable checkpoints (`StageRunner.keepCheckpoints`).
    public var keepCheckpoints = false
    /// Let the students of a replicate share their teacher's targets (`StageRunner.shareTeacher`).
    public var shareTeacher = true

    public init(spec: ReportSpec, work: String, output: URL, executable: URL, commandLine: StageCommandLine, threads: Int, jobs: Int = 1,
                version: String, command: String, log: @escaping (String) -> Void) {
        self.spec = spec
        self.work = work
        self.output = output
        self.executable = executable
        self.commandLine = commandLine
        self.threads = threads
        self.jobs = jobs
        self.version = version
        self.command = command
        self.log = log
    }

    public struct Summary: Encodable {
        public var output: String
        public var work: String
        public var stages: Int
        public var ran: Int
        public var reused: Int
        public var seconds: Double
        public var files: [String]
        public var verdicts: [String: String]
    }

    /// The plan for this spec, after checking the model and data it names.
    public func plan() throws -> ReportPlan { try planAndBaseline().plan }

    /// The plan, and the dev set's majority-class fraction (0 for regression): the score of a model that learned nothing.
    func planAndBaseline() throws -> (plan: ReportPlan, baseline: Double) {
        let config = URL(fileURLWithPath: spec.model).appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: config.path) else {
            throw ReportError.badSpec("\(config.path) is missing: --model needs a model directory (run scripts/fetch-assets for the default)")
        }
        guard let layers = try JSONValue.read(config)["num_hidden_layers"]?.double else {
            throw ReportError.badResult(path: config.path, reason: "has no num_hidden_layers")
        }
        let task = try Tasks.named(spec.task)
        let train = try DatasetLoader.load(task: task, dataDirectory: URL(fileURLWithPath: spec.data), split: "train")
        let dev = try DatasetLoader.load(task: task, dataDirectory: URL(fileURLWithPath: spec.data), split: "dev")
        var counts: [Int: Int] = [:]
        for l in dev.labels { if let c = l.classIndex { counts[c, default: 0] += 1 } }
        let baseline = task.isRegression || dev.count == 0 ? 0 : Double(counts.values.max() ?? 0) / Double(dev.count)
        if let n = spec.trainSubset, n > train.examples.count {
            log("report: train_subset \(n) exceeds the \(train.examples.count) training examples of \(spec.data); all of them are used")
        }
        let plan = try ReportPlan(spec: spec, work: work, layers: Int(layers), trainExamples: train.examples.count)
        if let planHash, try plan.hash() != planHash { throw ReportError.changedPlan(expected: planHash, actual: try plan.hash()) }
        return (plan, baseline)
    }

    public func run() throws -> Summary {
        let start = Date()
        let (plan, baseline) = try planAndBaseline()
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let runner = StageRunner(executable: executable, work: URL(fileURLWithPath: work), commandLine: commandLine, log: log)
        runner.keepCheckpoints = keepCheckpoints
        runner.shareTeacher = shareTeacher
        let (records, reused) = try runner.run(plan.stages, jobs: jobs, threads: threads)
        log("report: collecting the results into \(output.path)")
        let tables = try ReportCollector(plan: plan, records: records, baseline: baseline).collect()
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        for (name, table) in tables { try table.write(to: output.appendingPathComponent(name)) }
        try AtomicFile.write(try provenance(plan: plan, records: records), to: output.appendingPathComponent(ReportFiles.provenance), createParent: true)
        let renderer = try ReportRenderer(directory: output)
        let (files, claims) = try renderer.render()
        return Summary(output: output.path, work: work, stages: plan.stages.count, ran: plan.stages.count - reused, reused: reused,
                       seconds: Date().timeIntervalSince(start), files: (Array(tables.keys) + files + [ReportFiles.provenance]).sorted(),
                       verdicts: Dictionary(claims.map { ($0.id, $0.verdict.rawValue) }, uniquingKeysWith: { a, _ in a }))
    }

    /// report.json: the spec, the command, version and threads, the hashes of the data and the base model, every
    /// stage's arguments (without threads) and seconds. Nothing in it changes when a finished report is run again.
    func provenance(plan: ReportPlan, records: [StageRunner.Record]) throws -> Data {
        let specObject = try JSONDecoder().decode(JSONValue.self, from: try spec.json())
        let stages: [JSONValue] = records.map { r in
            .object(["id": .string(r.id), "arguments": .array(r.arguments.map { .string($0) }), "seconds": .number(r.seconds.rounded())])
        }
        var fields: [String: JSONValue] = [
            "spec": specObject, "command": .string(command), "version": .string(version), "threads": .number(Double(threads)),
            "blas_core": .string(BLASInfo.coreName),
            "task": .string(spec.task), "data": .string(spec.data), "model": .string(spec.model),
            "data_sha256": .string(try Self.hashDirectory(URL(fileURLWithPath: spec.data))),
            "model_sha256": .string(try Self.hashFile(URL(fileURLWithPath: spec.model).appendingPathComponent(ModelDirectory.weightsFile))),
            "layers": .number(Double(plan.layers)), "train_examples": .number(Double(plan.trainExamples)),
            "stages": .array(stages), "stage_seconds": .number(records.reduce(0) { $0 + $1.seconds.rounded() }),
        ]
        // Stages that ran in parallel: how many at once, and the time during which at least one ran (their intervals'
        // union: a pause between an interrupted run and its resumption does not count).
        if jobs > 1 || records.contains(where: { $0.started != nil }) {
            fields["jobs"] = .number(Double(jobs))
            if let busy = Self.busySeconds(records) { fields["busy_seconds"] = .number(busy.rounded()) }
        }
        return try JSONFormat.file(JSONValue.object(fields)) + Data("\n".utf8)
    }

    /// The length of the union of the stages' [start, start + seconds] intervals; nil if a record has no start.
    static func busySeconds(_ records: [StageRunner.Record]) -> Double? {
        var spans: [(Double, Double)] = []
        for r in records {
            guard let s = r.started else { return nil }
            spans.append((s, s + r.seconds))
        }
        var total = 0.0, end = -Double.infinity
        for (a, b) in spans.sorted(by: { $0.0 < $1.0 }) {
            if b <= end { continue }
            total += b - max(a, end)
            end = b
        }
        return total
    }

    static func hashFile(_ url: URL) throws -> String {
        do { return try SHA256.hex(file: url) } catch { throw ReportError.badResult(path: url.path, reason: "cannot be read") }
    }

    /// sha256 over the sorted relative paths and contents' hashes of every regular file under `url`.
    static func hashDirectory(_ url: URL) throws -> String {
        let fm = FileManager.default
        var files: [String] = []
        if let e = fm.enumerator(atPath: url.path) {
            for case let path as String in e {
                var isDir: ObjCBool = false
                if fm.fileExists(atPath: url.appendingPathComponent(path).path, isDirectory: &isDir), !isDir.boolValue { files.append(path) }
            }
        }
        var sha = SHA256()
        for f in files.sorted() { sha.update(Data("\(f)\0\(try hashFile(url.appendingPathComponent(f)))\n".utf8)) }
        return sha.finalize()
    }
}
