import BERT
import Foundation
import Storage

/// A report's plan written as a workflow of an existing engine, for clusters: one rule per stage, whose inputs are
/// the completion markers of the stages it reads and whose output is its own marker, with threads, memory and
/// runtime as resources; each rule runs `binarybert report <the same spec options> --run-stage ID`, and a final
/// rule runs the plain report, which reuses every stage and collects and renders. Every call carries the plan's
/// hash and is refused when the spec now gives another plan. The built-in runner and the workflow write the same
/// markers, so either can finish what the other started.
public struct WorkflowExport {
    public enum Engine: String, CaseIterable, Sendable { case snakemake }

    public static let configFile = "config.json", snakefile = "Snakefile"

    public var plan: ReportPlan
    public var engine: Engine
    public var directory: URL
    /// The `binarybert` executable the rules run (absolute).
    public var executable: String
    /// The directory the rules run in (absolute; relative paths of the spec and the plan are relative to it).
    public var project: String
    /// The options of `report` that give this plan's spec (preset or spec file, model, task, data).
    public var specOptions: [String]
    /// The report's output folder (the collection's).
    public var output: String
    /// Threads of each stage's job (the collection takes one).
    public var threads: Int

    public init(plan: ReportPlan, engine: Engine, directory: URL, executable: String, project: String, specOptions: [String], output: String, threads: Int) {
        self.plan = plan
        self.engine = engine
        self.directory = directory
        self.executable = executable
        self.project = project
        self.specOptions = specOptions
        self.output = output
        self.threads = max(1, threads)
    }

    public struct Summary: Encodable {
        public var workflow: String
        public var engine: String
        public var planHash: String
        public var stages: Int
        public var estimatedCoreHours: Double
        /// The longest chain of stages that need each other: the wall time however many nodes run the rest.
        public var estimatedCriticalPathHours: Double
    }

    /// What the config records besides the rules: the engine reads it, the rules' commands are built from it.
    struct Config: Codable, Equatable {
        var planHash: String
        var binarybert: String
        var project: String
        var options: [String]
    }

    /// The plan's stage estimates summed: core-hours at the quick preset machine's speed (a stage's estimate is the
    /// seconds of one core's share of it).
    public var coreHours: Double { plan.stages.reduce(0) { $0 + $1.cost } / 3600 }

    /// Writes the workflow into `directory` (temporaries renamed into place), or refuses a directory that holds
    /// another plan's workflow or files of no workflow. Writing the same plan's workflow again is allowed.
    public func write() throws -> Summary {
        let fm = FileManager.default
        let hash = try plan.hash()
        let configURL = directory.appendingPathComponent(Self.configFile)
        if let data = fm.contents(atPath: configURL.path) {
            guard let old = try? JSONFormat.decoder().decode(Config.self, from: data) else {
                throw ReportError.otherWorkflow(directory: directory.path, reason: "holds a \(Self.configFile) that is no report workflow's")
            }
            if old.planHash != hash {
                throw ReportError.otherWorkflow(directory: directory.path,
                                                reason: "holds the workflow of another plan (\(old.planHash.prefix(12)), this one is \(hash.prefix(12)))")
            }
        } else if let names = try? fm.contentsOfDirectory(atPath: directory.path), !names.isEmpty {
            throw ReportError.otherWorkflow(directory: directory.path, reason: "is not empty and holds no report workflow")
        }
        let config = Config(planHash: hash, binarybert: executable, project: project, options: specOptions + ["--work", plan.work, "--output", output])
        try AtomicFile.write(try JSONFormat.file(config) + Data("\n".utf8), to: configURL, createParent: true)
        try AtomicFile.write(Data(snakefile(hash: hash).utf8), to: directory.appendingPathComponent(Self.snakefile), createParent: true)
        return Summary(workflow: directory.appendingPathComponent(Self.snakefile).path, engine: engine.rawValue, planHash: hash,
                       stages: plan.stages.count, estimatedCoreHours: (coreHours * 100).rounded() / 100,
                       estimatedCriticalPathHours: (criticalPathHours * 100).rounded() / 100)
    }

    var criticalPathHours: Double {
        (StageRunner.criticalPath(plan.stages, needs: StageRunner.needs(plan.stages)).max() ?? 0) / 3600
    }

    /// Memory of one stage's job in MB: a rough bound from the model's weights (teacher and student with their
    /// gradients and optimizer moments, Hessian products in float64), at least 1 GB.
    var memoryMB: Int {
        let weights = URL(fileURLWithPath: plan.spec.model, relativeTo: URL(fileURLWithPath: project + "/"))
            .appendingPathComponent(ModelDirectory.weightsFile)
        let bytes = (try? FileManager.default.attributesOfItem(atPath: weights.path)[.size] as? Int) ?? nil
        let mb = 1024 + 20 * (bytes ?? 0) / 1_000_000
        return (mb + 255) / 256 * 256
    }

    /// Minutes a stage's job may run: twice its estimate plus five minutes (a stage stopped at its limit resumes
    /// when the engine submits it again).
    static func minutes(_ seconds: Double) -> Int { Int((2 * seconds / 60).rounded(.up)) + 5 }

    /// A Python string literal (JSON's escapes are Python's).
    static func literal(_ s: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }

    /// `s` as Snakemake reads it literally in a path or a shell command (its braces doubled).
    static func braced(_ s: String) -> String {
        s.replacingOccurrences(of: "{", with: "{{").replacingOccurrences(of: "}", with: "}}")
    }

    /// A rule's input: one plan path a line (nothing for no paths).
    static func input(_ paths: [String]) -> [String] {
        paths.isEmpty ? [] : ["    input:"] + paths.map { "        P(\(literal(braced($0))))," }
    }

    /// Rule names: the stage ids as Python identifiers, made unique.
    static func ruleNames(_ ids: [String]) -> [String] {
        var used: Set<String> = ["all", "collect"]
        return ids.map { id in
            let base = "stage_" + String(id.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
            var name = base, k = 2
            while used.contains(name) { name = "\(base)_\(k)"; k += 1 }
            used.insert(name)
            return name
        }
    }

    func snakefile(hash: String) -> String {
        func marker(_ id: String) -> String { plan.work + "/" + StageRunner.marker(id) }
        let names = Self.ruleNames(plan.stages.map(\.id))
        let report = output.hasSuffix("/") && output.count > 1 ? String(output.dropLast()) : output
        var lines = [
            "# The plan of `binarybert report` as a Snakemake workflow (written by `binarybert report --workflow snakemake`;",
            "# write it again rather than edit it). Plan \(hash): \(plan.stages.count) stages, about",
            String(format: "# %.2f core-hours by the plan's own estimates. One rule per stage: its inputs are the markers of the", coreHours),
            "# stages it reads, its output its own marker; each runs `binarybert report ... --run-stage ID`, refused when the",
            "# spec now gives another plan. `collect` runs the plain report, which reuses every stage and draws the report.",
            "#   cd \(directory.path) && snakemake --cores 2",
            "#   cd \(directory.path) && snakemake --executor slurm --jobs 50",
            "import os, shlex, subprocess, sys",
            "",
            "# The engine's own files (.snakemake: metadata, logs) stay beside this file; the commands run in the project.",
            "configfile: os.path.join(workflow.basedir, \"\(Self.configFile)\")",
            "workdir: workflow.basedir",
            "PROJECT = config[\"project\"]",
            "",
            "def P(path):",
            "    \"\"\"A path of the plan (relative to the project).\"\"\"",
            "    return os.path.join(PROJECT, path)",
            "",
            "ARGUMENTS = [config[\"binarybert\"], \"report\", *config[\"options\"], \"--plan-hash\", config[\"plan_hash\"]]",
            "REPORT = (\"cd \" + shlex.quote(PROJECT) + \" && \" + shlex.join(ARGUMENTS)).replace(\"{\", \"{{\").replace(\"}\", \"}}\")",
            "",
            "# Refused before anything runs (binarybert's one sentence) when the spec now gives another plan.",
            "_check = subprocess.run(ARGUMENTS + [\"--dry-run\"], cwd=config[\"project\"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)",
            "if _check.returncode != 0:",
            "    sys.exit(_check.stderr.strip())",
            "",
            "rule all:",
            "    default_target: True",
            "    input: P(\(Self.literal(Self.braced(report + "/" + ReportFiles.provenance))))",
            "",
            "rule collect:",
        ] + Self.input(plan.stages.map { marker($0.id) }) + [
            "    output: P(\(Self.literal(Self.braced(report + "/" + ReportFiles.provenance))))",
            "    threads: 1",
            "    resources: mem_mb=\(memoryMB), runtime=30",
            "    shell: REPORT + \" --threads {threads}\"",
        ]
        for (stage, name) in zip(plan.stages, names) {
            lines += [
                "",
                "# \(stage.title)",
                "rule \(name):",
            ] + Self.input(stage.inputs.map(marker)) + [
                "    output: P(\(Self.literal(Self.braced(marker(stage.id)))))",
                "    threads: \(threads)",
                "    resources: mem_mb=\(memoryMB), runtime=\(Self.minutes(stage.cost))",
                "    shell: REPORT + \(Self.literal(" --run-stage " + Self.braced(StageRunner.quoted(stage.id)) + " --threads {threads}"))",
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension ReportJob {
    /// The plan written as a workflow of `engine` into `directory`; the rules run in `project` with `specOptions`
    /// and each stage takes `threads / jobs` threads.
    public func exportWorkflow(_ engine: WorkflowExport.Engine, directory: URL, specOptions: [String], project: String) throws -> WorkflowExport.Summary {
        try WorkflowExport(plan: plan(), engine: engine, directory: directory, executable: executable.path, project: project,
                           specOptions: specOptions, output: output.relativePath, threads: max(1, threads / max(1, jobs))).write()
    }

    public struct StageSummary: Encodable {
        public var stage: String
        public var ran: Bool
        public var seconds: Double
        public var marker: String
    }

    /// One stage of the plan on `threads` threads (a workflow rule's job): see `StageRunner.runStage`.
    public func runStage(_ id: String) throws -> StageSummary {
        let plan = try plan()
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        let runner = StageRunner(executable: executable, work: URL(fileURLWithPath: work), commandLine: commandLine, log: log)
        runner.keepCheckpoints = keepCheckpoints
        runner.shareTeacher = shareTeacher
        let (record, reused) = try runner.runStage(id, of: plan.stages, threads: threads)
        return StageSummary(stage: id, ran: !reused, seconds: reused ? 0 : record.seconds.rounded(), marker: runner.markerURL(id).relativePath)
    }
}
