import Foundation
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// Runs a plan's stages as child processes of the `binarybert` executable, in order, each at most once: a finished
/// stage leaves `MARKERS/<id>.json` (its arguments, seconds and the JSON it printed) and is skipped on every later run;
/// an interrupted one is continued (`--resume` for training, point by point for scans) or run again. One report at
/// a time per work directory (a lock file). Progress: one line per stage on standard error with the overall ETA;
/// the children's own progress lines (step, rate, ETA) pass through.
public final class StageRunner {
    public struct Record: Codable, Sendable {
        public var id: String
        public var arguments: [String]
        public var seconds: Double
        /// The JSON object the command printed (nil if it printed none).
        public var result: JSONValue?
    }

    public let executable: URL
    public let work: URL
    public let log: (String) -> Void
    /// The environment variable a child reads to die with its parent (set to the parent's pid).
    public static let parentVariable = "BINARYBERT_PARENT_PID"

    /// Launcher variables a stage would read as "compute only your shard" (`landscape` shards by MPI, PMI and Slurm
    /// ranks): a report owns its whole plan, so its children never see them, and a stage's completion always means
    /// its outputs are complete whatever allocation the report itself runs in.
    public static let launcherVariables = ["OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMI_SIZE", "SLURM_ARRAY_TASK_ID",
                                           "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "SLURM_PROCID", "SLURM_NTASKS"]

    /// The report's environment without the launcher variables.
    public static func childEnvironment(_ environment: [String: String]) -> [String: String] {
        environment.filter { !launcherVariables.contains($0.key) }
    }

    public init(executable: URL, work: URL, log: @escaping (String) -> Void) {
        self.executable = executable
        self.work = work
        self.log = log
    }

    var markers: URL { work.appendingPathComponent(".stages") }
    public func markerURL(_ id: String) -> URL { markers.appendingPathComponent(id.replacingOccurrences(of: "/", with: "__") + ".json") }

    /// The arguments a marker is compared on: without `--threads N` (same results, other speed).
    static func identity(_ arguments: [String]) -> [String] {
        var out: [String] = [], skip = false
        for a in arguments {
            if skip { skip = false; continue }
            if a == "--threads" { skip = true; continue }
            out.append(a)
        }
        return out
    }

    /// The finished record of a stage, nil if it has not finished; a record made with other arguments is an error.
    public func finished(_ stage: ReportStage) throws -> Record? {
        let url = markerURL(stage.id)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        guard let record = try? JSONDecoder().decode(Record.self, from: data) else {
            throw ReportError.badResult(path: url.path, reason: "is not a stage record (delete it to redo the stage)")
        }
        guard Self.identity(record.arguments) == Self.identity(stage.arguments) else {
            throw ReportError.changedStage(stage: stage.id, marker: url.path)
        }
        return record
    }

    /// Runs every unfinished stage; returns the records of all of them (reused or new) in plan order, and how many
    /// were reused.
    public func run(_ stages: [ReportStage]) throws -> (records: [Record], reused: Int) {
        let fm = FileManager.default
        try fm.createDirectory(at: markers, withIntermediateDirectories: true)
        let lock = try OutputLock(directory: work, option: "--work")
        defer { lock.release() }
        let done = try stages.map { try finished($0) }
        let total = stages.count
        let start = Date()
        var measured = 0.0, estimated = 0.0
        let reused = done.compactMap { $0 }.count
        if reused > 0 { log("report: \(reused) of \(total) stages finished earlier, reused") }
        var records: [Record] = []
        for (k, stage) in stages.enumerated() {
            if let record = done[k] { records.append(record); continue }
            let remaining = zip(stages, done).dropFirst(k).filter { $0.1 == nil }.reduce(0) { $0 + $1.0.cost }
            let speed = estimated > 0 ? measured / estimated : 1
            log(String(format: "report [%d/%d] %@ — elapsed %@, ETA %@", k + 1, total, stage.title,
                       Self.duration(Date().timeIntervalSince(start)), Self.duration(remaining * speed)))
            let record = try execute(stage)
            measured += record.seconds; estimated += stage.cost
            records.append(record)
        }
        return (records, reused)
    }

    func execute(_ stage: ReportStage) throws -> Record {
        let fm = FileManager.default
        let out = URL(fileURLWithPath: stage.output)
        var arguments = stage.arguments
        func exists(_ name: String) -> Bool { fm.fileExists(atPath: out.appendingPathComponent(name).path) }
        switch stage.resume {
        case .finetune, .quantize:
            let checkpoint = exists("checkpoint-last") || exists("checkpoint-last.old")
                || (stage.resume == .quantize && ["stage1/metrics.json", "stage1/checkpoint-last", "stage1/checkpoint-last.old"].contains(where: exists))
            if checkpoint { arguments.append("--resume") } else if fm.fileExists(atPath: out.path) { try fm.removeItem(at: out) }
        case .rerun:
            break
        }
        let t0 = Date()
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = Self.childEnvironment(ProcessInfo.processInfo.environment)
        environment[Self.parentVariable] = String(getpid())
        process.environment = environment
        let stdoutURL = markers.appendingPathComponent(markerURL(stage.id).lastPathComponent + ".stdout")
        guard fm.createFile(atPath: stdoutURL.path, contents: nil) else {
            throw ReportError.badResult(path: stdoutURL.path, reason: "cannot be created (is the work directory writable?)")
        }
        let handle = try FileHandle(forWritingTo: stdoutURL)
        process.standardOutput = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let text = (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? ""
        try? fm.removeItem(at: stdoutURL)
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw ReportError.stageFailed(stage: stage.id, status: process.terminationStatus,
                                          command: "binarybert " + arguments.map(Self.quoted).joined(separator: " "))
        }
        // The last line that parses as JSON is the command's result.
        let result = text.split(separator: "\n").reversed().lazy.compactMap { try? JSONValue.parse(Data($0.utf8)) }.first
        let record = Record(id: stage.id, arguments: stage.arguments, seconds: Date().timeIntervalSince(t0), result: result)
        try AtomicFile.write(try JSONFormat.file(record), to: markerURL(stage.id), createParent: true)
        return record
    }

    static func quoted(_ s: String) -> String {
        s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./:=@,*+".contains($0) }) ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    public static func duration(_ seconds: Double) -> String {
        let s = Int(max(0, seconds).rounded())
        if s >= 3600 { return "\(s / 3600)h\(String(format: "%02d", (s % 3600) / 60))m" }
        if s >= 60 { return "\(s / 60)m\(String(format: "%02d", s % 60))s" }
        return "\(s)s"
    }
}
