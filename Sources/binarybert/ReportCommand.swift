import ArgumentParser
import Foundation
import Training
import Numerics
import Report
import Storage

extension ReportSpec.Preset: ExpressibleByArgument {}
extension WorkflowExport.Engine: ExpressibleByArgument {}

/// `binarybert report`: the main job. Runs an analysis spec's stages (train, quantize, split, probe) as child
/// commands, reusing every finished one, and writes the figures, their CSVs and REPORT.md with verdicts.
struct ReportCommand: ParsableCommand, CheckedArguments {
    static let configuration = CommandConfiguration(commandName: "report",
        abstract: "Run an analysis preset end to end (teacher, students, TWS, probes) and write figures, CSVs and REPORT.md with verdicts.",
        discussion: """
        --preset quick (the README's main job: MiniLM-L6 on rt-polarity, a 512-example training subset, max length 32, \
        three replicates, small grids; ~16 minutes on 2 cores), standard (five replicates, 1,024 examples, every layer \
        in the per-module table; the README's headline, ~2.5 hours on 2 cores) or paper (full data, five replicates, \
        41×41 surfaces, adaptive splitting; cluster scale). A replicate is a complete training of every student with \
        its own seed and its own probe draws; each claim's verdict comes from its per-replicate values (mean, \
        t-interval at n − 1 degrees of freedom). The specs are Analyses/report/<preset>.json (--print-spec prints \
        them; --spec FILE runs your own, decoded strictly). --model/--task/--data run the same analysis on another \
        encoder or GLUE folder (e.g. --task mrpc --data glue_data, the paper's task for Fig. 2). Models and scans go to \
        --work (default runs/report-<preset>[-<task>]), the figures, their CSVs, report.json and REPORT.md to --output \
        (default Plots/<preset>[-<task>]). A finished stage is never run again; an interrupted run (even by SIGKILL) \
        resumes where it stopped; a stage whose options changed is refused. Stages that do not read each other's outputs run \
        --jobs at a time, sharing --threads (a stage that runs alone gets them all); the results are the same bytes \
        whatever --jobs and --threads. --render-only redraws the figures and \
        REPORT.md from the CSVs in --output. --workflow snakemake writes the plan as a Snakemake workflow (one rule per \
        stage, each running this command with --run-stage, and a last rule that collects) into --workflow-dir, to run \
        on a cluster; it writes the same files as the built-in runner.
        """)

    @Option(help: "Analysis preset: \(ReportSpec.Preset.allCases.map(\.rawValue).joined(separator: ", ")).") var preset: ReportSpec.Preset = .quick
    @Option(help: "An analysis spec (JSON, the keys of Analyses/report/quick.json) instead of a preset.") var spec: String?
    @Option(help: "Pre-trained encoder directory (default: the spec's, all-MiniLM-L6-v2).") var model: String?
    @Option(help: "Task name (default: the spec's, rt-polarity).") var task: String?
    @Option(help: "Data directory: a GLUE folder or the rt-polarity folder (default: the spec's).") var data: String?
    @Option(help: "Work directory for models, scans and stage markers.") var work: String?
    @Option(help: "Output directory for figures, CSVs, report.json and REPORT.md.") var output: String?
    @Flag(help: "Only redraw the figures, verdicts and REPORT.md from the CSVs in --output.") var renderOnly = false
    @Flag(help: "Print the spec as JSON and exit.") var printSpec = false
    @Flag(help: "Print the plan (every stage's command and estimated seconds) as JSON and exit.") var dryRun = false
    @Option(help: "Stages run at once, sharing --threads (default: 2 when there are at least 2 threads, else 1). Results do not depend on it.")
    var jobs: Int?
    @Option(help: "Write the plan as a workflow of this engine into --workflow-dir instead of running it.") var workflow: WorkflowExport.Engine?
    @Option(help: "Folder of the workflow (default: <work>/workflow).") var workflowDir: String?
    @Option(help: "Run only this stage of the plan (an id of --dry-run), once the stages it reads have finished: a workflow rule's job.")
    var runStage: String?
    @Option(help: "Refuse unless the spec gives the plan of this hash (a workflow's rules pass the hash of the plan they were written from).")
    var planHash: String?
    @OptionGroup var threading: ThreadOptions

    func check() throws {
        if let jobs { try OptionCheck.integer(jobs, "--jobs", in: 1...256) }
        if workflow != nil, runStage != nil || renderOnly || dryRun || printSpec {
            throw ValidationError("--workflow writes the workflow and runs nothing: it takes no --run-stage, --render-only, --dry-run or --print-spec")
        }
        if workflowDir != nil && workflow == nil { throw ValidationError("--workflow-dir needs --workflow ENGINE") }
        if runStage != nil && (renderOnly || dryRun) { throw ValidationError("--run-stage runs one stage: it takes no --render-only or --dry-run") }
    }

    /// The options that give the spec: a workflow's rules give the plan with them.
    var specOptions: [String] {
        var words = spec.map { ["--spec", $0] } ?? ["--preset", preset.rawValue]
        for (option, value) in [("--model", model), ("--task", task), ("--data", data)] {
            if let value { words += [option, value] }
        }
        return words
    }

    func run() throws {
        let spec = try ReportSpec.load(file: self.spec, preset: preset, assets: ProcessInfo.processInfo.environment["BINARYBERT_ASSETS"],
                                       model: model, task: task, data: data)
        if printSpec {
            FileHandle.standardOutput.write(try spec.json())
            return
        }
        let suffix = spec.task == ReportSpec.defaultTask ? "" : "-\(spec.task)"
        let outputURL = URL(fileURLWithPath: output ?? "Plots/\(spec.preset.rawValue)\(suffix)")
        if renderOnly {
            // Locked like a run's output: two renderings (or a run and a rendering) never write into one folder at once.
            let renderer = try ReportRenderer(directory: outputURL)
            let files = try OutputClaim.with(outputURL.path) { try renderer.render().files }
            // The layout check's findings, one line each on stderr (the figures are written all the same).
            for (figure, problems) in renderer.layoutProblems.sorted(by: { $0.key < $1.key }) {
                for p in problems { FileHandle.standardError.write("layout: \(figure): \(p)\n".data(using: .utf8)!) }
            }
            try printJSONLine(["output": outputURL.path, "files": files.joined(separator: ",")])
            return
        }
        try threading.apply()
        let threads = threading.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var job = ReportJob(spec: spec, work: work ?? "runs/report-\(spec.preset.rawValue)\(suffix)", output: outputURL,
                            executable: executable, commandLine: StageArguments(), threads: threads, jobs: jobs ?? min(2, threads),
                            version: BinaryBERTVersion.string, command: (["binarybert"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
                            log: { FileHandle.standardError.write(($0 + "\n").data(using: .utf8)!) })
        job.planHash = planHash
        if let workflow {
            try printJSONLine(try job.exportWorkflow(workflow, directory: URL(fileURLWithPath: workflowDir ?? job.work + "/workflow"),
                                                     specOptions: specOptions, project: FileManager.default.currentDirectoryPath))
            return
        }
        if let runStage {
            try printJSONLine(try job.runStage(runStage))
            return
        }
        if dryRun {
            try printJSONLine(try job.plan().listing(job.commandLine, threads: threads))
            return
        }
        // The output folder is claimed for the whole run (the work folder has its own lock): a second report with
        // another --work cannot write into it meanwhile.
        try printJSONLine(try OutputClaim.with(outputURL.path) { try job.run() })
    }
}
