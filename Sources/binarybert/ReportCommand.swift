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
        --preset quick (3 replicates, the README's main job), standard (5 replicates, the README's headline) or paper \
        (cluster scale); --spec FILE runs your own (the keys of --print-spec). Models and scans go to --work, figures, \
        CSVs and REPORT.md to --output. Finished stages are reused, a killed run resumes, a stage whose options changed \
        is refused; results are the same bytes whatever --jobs and --threads. What each stage runs and each claim \
        means: Analyses/README.md.
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
    @Flag(help: "Keep each finished training stage's checkpoint-last/ (weights and Adam moments, for resuming it by hand); by default they are deleted once the stage is done, about half of the work folder.")
    var keepCheckpoints = false
    @Flag(help: "Do not let a replicate's students share their teacher's targets (a folder per seed under the work folder, up to ~20 MB per batch of 32 x 32 tokens, removed when the replicate's last student is done): every student then runs the teacher itself. The results are the same bytes either way.")
    var noTeacherCache = false
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
        if renderOnly { return try printJSONLine(try ReportRenderer.redraw(outputURL, log: standardError)) }
        try threading.apply()
        let threads = threading.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var job = ReportJob(spec: spec, work: work ?? "runs/report-\(spec.preset.rawValue)\(suffix)", output: outputURL,
                            executable: executable, commandLine: StageArguments(), threads: threads, jobs: jobs ?? min(2, threads),
                            version: BinaryBERTVersion.string, command: (["binarybert"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
                            log: { FileHandle.standardError.write(($0 + "\n").data(using: .utf8)!) })
        job.planHash = planHash
        job.keepCheckpoints = keepCheckpoints
        job.shareTeacher = !noTeacherCache
        if let workflow {
            let runOptions = (keepCheckpoints ? ["--keep-checkpoints"] : []) + (noTeacherCache ? ["--no-teacher-cache"] : [])
            try printJSONLine(try job.exportWorkflow(workflow, directory: URL(fileURLWithPath: workflowDir ?? job.work + "/workflow"),
                                                     specOptions: specOptions + runOptions, project: FileManager.default.currentDirectoryPath))
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
