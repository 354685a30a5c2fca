import BERT
import Foundation
import Quantization
import Storage
import Training
#if canImport(Glibc)
import Glibc
#endif

/// Runs a plan's stages as child processes of the `binarybert` executable, each at most once and after the stages it
/// reads, one or several at a time (`jobs`): a finished stage leaves `MARKERS/<id>.json` (its command, arguments,
/// seconds and the JSON it printed) and is skipped on every later run with the same command; an interrupted one is
/// continued (`resume` for training, point by point for scans) or run again. One report at a time per work
/// directory (a lock file). Progress: one line per stage on standard error with the overall ETA; the children's own
/// progress lines (step, rate, ETA) pass through. The command line is the CLI's (`commandLine`).
public final class StageRunner {
    public struct Record: Codable, Sendable {
        public var id: String
        /// The stage's command (absent in markers written before commands were typed: read from `arguments`).
        public var command: StageCommand?
        /// The command's arguments, without the options of one run (threads, resume).
        public var arguments: [String]
        public var seconds: Double
        /// The JSON object the command printed (nil if it printed none).
        public var result: JSONValue?
        /// When it started (seconds since 1970; absent in markers written before stages ran in parallel).
        public var started: Double?

        init(id: String, command: StageCommand, arguments: [String], seconds: Double, result: JSONValue?, started: Double) {
            self.id = id; self.command = command; self.arguments = arguments; self.seconds = seconds; self.result = result; self.started = started
        }

        enum CodingKeys: String, CodingKey { case id, command, arguments, seconds, result, started }

        /// A command this version cannot read is left out: the stage is then recognised by its arguments.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decode(String.self, forKey: .id)
            command = try? c.decodeIfPresent(StageCommand.self, forKey: .command)
            arguments = try c.decode([String].self, forKey: .arguments)
            seconds = try c.decode(Double.self, forKey: .seconds)
            result = try c.decodeIfPresent(JSONValue.self, forKey: .result)
            started = try c.decodeIfPresent(Double.self, forKey: .started)
        }
    }

    public let executable: URL
    public let work: URL
    public let commandLine: StageCommandLine
    public let log: (String) -> Void
    /// Keep a finished training stage's resumable checkpoints (weights and Adam moments, `checkpoint-last/` of each
    /// distillation stage). By default they are removed once the stage's marker is written: a finished stage is
    /// reused by its marker and never resumed, and they are about half of a work folder (quick: ~8 of 17 GB).
    public var keepCheckpoints = false
    /// Let the distillations that train on the same batches share their teacher's targets (`quantize
    /// --teacher-cache`, a folder per teacher, data and seed under `teacher-cache/`): the teacher then runs once per
    /// batch instead of once per student. It changes no result; a group's folder is removed once its last student
    /// has finished.
    public var shareTeacher = true
    /// The folder under the work directory that holds the shared teachers' targets.
    public static let teacherCacheFolder = "teacher-cache"
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

    public init(executable: URL, work: URL, commandLine: StageCommandLine, log: @escaping (String) -> Void) {
        self.executable = executable
        self.work = work
        self.commandLine = commandLine
        self.log = log
    }

    var stageMarkers: StageMarkers { StageMarkers(work: work) }
    /// A stage's marker, relative to the work directory.
    public static func marker(_ id: String) -> String { StageMarkers.relativePath(id) }
    var markers: URL { stageMarkers.directory }
    public func markerURL(_ id: String) -> URL { stageMarkers.url(id) }

    /// The finished record of a stage, nil if it has not finished; a record of another command is an error. The
    /// commands are compared as values (threads and resumption are no part of them); a marker written before they
    /// were recorded is read through its arguments, which the record then holds without the options of one run.
    public func finished(_ stage: ReportStage) throws -> Record? {
        let url = markerURL(stage.id)
        let found: Record?
        do { found = try stageMarkers.record(stage.id, as: Record.self) } catch {
            throw ReportError.badResult(path: url.path, reason: "is not a stage record (delete it to redo the stage)")
        }
        guard var record = found else { return nil }
        if record.command == nil, let parsed = try? commandLine.parse(record.arguments) {
            record.command = parsed.command
            record.arguments = parsed.arguments
        }
        guard record.command == stage.command else { throw ReportError.changedStage(stage: stage.id, marker: url.path) }
        return record
    }

    /// Runs every unfinished stage, up to `jobs` at once, each once the stages it reads have finished; returns the
    /// records of all of them (reused or new) in plan order, and how many were reused. `threads` are shared among the
    /// stages that run at once: a stage gets `threads / jobs` of them (at least one), or all of them when it is the
    /// only stage that can run (the teacher, say); results do not depend on a stage's thread count. Among the stages
    /// ready to run, the one with the longest chain of estimated work behind it goes first. After a failure no new
    /// stage starts; the running ones finish (and keep their markers) before the error is thrown.
    public func run(_ stages: [ReportStage], jobs: Int = 1, threads: Int = 1) throws -> (records: [Record], reused: Int) {
        let fm = FileManager.default
        try fm.createDirectory(at: markers, withIntermediateDirectories: true)
        let lock = try OutputLock(directory: work, option: "--work")
        defer { lock.release() }
        var records = try stages.map { try finished($0) }
        let reused = records.compactMap { $0 }.count
        // Finished stages lose their checkpoints here too: a run killed while pruning, or a work folder kept before.
        if !keepCheckpoints { for (stage, record) in zip(stages, records) where record != nil { try pruneCheckpoints(stage) } }
        try pruneTeacherCaches(stages) { records[$0] != nil }
        let total = stages.count
        if reused > 0 { log("report: \(reused) of \(total) stages finished earlier, reused") }
        let needs = Self.needs(stages)
        let priority = Self.criticalPath(stages, needs: needs)
        let jobs = max(1, jobs), threads = max(1, threads)
        let start = Date()
        var measured = 0.0, estimated = 0.0, started = reused
        var running: [Int: RunningStage] = [:]
        var failure: Error?
        let exits = ExitQueue()
        func ready() -> [Int] {
            stages.indices.filter { k in records[k] == nil && running[k] == nil && needs[k].allSatisfy { records[$0] != nil } }
                .sorted { (priority[$0], -$0) > (priority[$1], -$1) }
        }
        while true {
            var candidates = failure == nil ? ready() : []
            var slots = jobs - running.values.reduce(0) { $0 + $1.slots }
            while slots > 0, let k = candidates.first {
                candidates.removeFirst()
                // Alone and nothing else can start before it ends: it takes every slot and thread.
                let alone = running.isEmpty && candidates.isEmpty
                let take = alone ? jobs : 1
                let stageThreads = alone ? threads : max(1, threads / jobs)
                started += 1
                let remaining = stages.indices.filter { records[$0] == nil && running[$0] == nil }.reduce(0) { $0 + stages[$1].cost }
                let speed = estimated > 0 ? measured / estimated : 1
                log(String(format: "report [%d/%d] %@ — elapsed %@, ETA %@", started, total, stages[k].title,
                           Self.duration(Date().timeIntervalSince(start)), Self.duration(remaining * speed / Double(jobs))))
                do {
                    running[k] = try launch(stages[k], threads: stageThreads, slots: take, exits: exits, tag: k)
                    slots -= take
                } catch {
                    failure = failure ?? error
                    break
                }
            }
            if running.isEmpty { break }
            let k = exits.next()
            guard let child = running.removeValue(forKey: k) else { continue }
            do {
                let record = try finish(stages[k], child)
                records[k] = record
                try pruneTeacherCaches(stages) { records[$0] != nil }
                // Seconds per estimated second, on the threads the stage had (a stage with all of them counts `jobs` times).
                measured += record.seconds * Double(child.slots)
                estimated += stages[k].cost * Double(child.slots)
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        let caches = work.appendingPathComponent(Self.teacherCacheFolder)
        if (try? fm.contentsOfDirectory(atPath: caches.path))?.isEmpty == true { try? fm.removeItem(at: caches) }
        return (records.map { $0! }, reused)
    }

    /// Runs one stage of `stages` (the whole plan) on `threads` threads, as a workflow engine's job does: after
    /// checking that the stages it reads have finished, with the same marker, resumption and child process as `run`.
    /// The work directory is shared with the other stages' jobs (a shared lock keeps a whole-plan `run` out), the
    /// stage is taken by one process at a time (a second job for it waits, then finds its marker). Returns its
    /// record and whether it was finished before.
    public func runStage(_ id: String, of stages: [ReportStage], threads: Int) throws -> (record: Record, reused: Bool) {
        guard let stage = stages.first(where: { $0.id == id }) else {
            throw ReportError.unknownStage(stage: id, example: stages.first?.id ?? "")
        }
        try FileManager.default.createDirectory(at: markers, withIntermediateDirectories: true)
        let shared = try OutputLock(directory: work, option: "--work", shared: true)
        defer { shared.release() }
        let lockPath = markers.appendingPathComponent(markerURL(id).deletingPathExtension().lastPathComponent + ".lock").path
        var held = try FileLock.acquire(lockPath, mode: .exclusive)
        if held == nil {
            log("report: stage \(id) is being run by another process; waiting for it")
            held = try FileLock.acquire(lockPath, mode: .exclusive, wait: true)
        }
        defer { held?.release() }
        if let record = try finished(stage) { return (record, true) }
        for input in stage.inputs {
            guard let earlier = stages.first(where: { $0.id == input }), try finished(earlier) != nil else {
                throw ReportError.unfinishedInput(stage: id, input: input)
            }
        }
        log("report: \(stage.title)")
        let child = try launch(stage, threads: max(1, threads), slots: 1, exits: ExitQueue(), tag: 0)
        let record = try finish(stage, child)
        // The other stages' markers may be written by other processes meanwhile; a group is pruned by its last one.
        try pruneTeacherCaches(stages) { k in stages[k].id == id || ((try? finished(stages[k])) ?? nil) != nil }
        return (record, false)
    }

    /// The positions of the stages each stage reads.
    static func needs(_ stages: [ReportStage]) -> [[Int]] {
        let index = Dictionary(stages.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        return stages.map { $0.inputs.compactMap { index[$0] } }
    }

    /// Every stage's estimated seconds plus the longest chain of stages that need it (its place in a parallel order).
    static func criticalPath(_ stages: [ReportStage], needs: [[Int]]) -> [Double] {
        var path = stages.map(\.cost)
        for k in stages.indices.reversed() {
            for j in needs[k] where j < k { path[j] = max(path[j], stages[j].cost + path[k]) }
        }
        return path
    }

    /// A child that is running: its process, when it started, its standard output file and the slots it holds.
    struct RunningStage {
        var process: Process
        var arguments: [String]
        var started: Date
        var stdout: URL
        var handle: FileHandle
        var slots: Int
    }

    /// The tags of children that exited, in the order they did (filled by the processes' termination handlers).
    final class ExitQueue: @unchecked Sendable {
        private let lock = NSLock()
        private var tags: [Int] = []
        private let signal = DispatchSemaphore(value: 0)
        func push(_ tag: Int) { lock.lock(); tags.append(tag); lock.unlock(); signal.signal() }
        func next() -> Int { signal.wait(); lock.lock(); defer { lock.unlock() }; return tags.removeFirst() }
    }

    func launch(_ stage: ReportStage, threads: Int, slots: Int, exits: ExitQueue, tag: Int) throws -> RunningStage {
        let fm = FileManager.default
        let out = URL(fileURLWithPath: stage.output)
        func exists(_ name: String) -> Bool { fm.fileExists(atPath: out.appendingPathComponent(name).path) }
        var resume = false
        switch stage.resume {
        case .finetune, .quantize:
            resume = exists("checkpoint-last") || exists("checkpoint-last.old")
                || (stage.resume == .quantize && ["stage1/metrics.json", "stage1/checkpoint-last", "stage1/checkpoint-last.old"].contains(where: exists))
            if !resume && fm.fileExists(atPath: out.path) { try fm.removeItem(at: out) }
        case .rerun:
            break
        }
        let arguments = commandLine.arguments(stage.command, threads: threads, resume: resume, teacherCache: teacherCache(for: stage)?.path)
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
        process.terminationHandler = { _ in exits.push(tag) }
        let t0 = Date()
        try process.run()
        return RunningStage(process: process, arguments: arguments, started: t0, stdout: stdoutURL, handle: handle, slots: slots)
    }

    func finish(_ stage: ReportStage, _ child: RunningStage) throws -> Record {
        let fm = FileManager.default
        child.process.waitUntilExit()
        try child.handle.close()
        let seconds = Date().timeIntervalSince(child.started)
        let text = (try? String(contentsOf: child.stdout, encoding: .utf8)) ?? ""
        try? fm.removeItem(at: child.stdout)
        let process = child.process
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw ReportError.stageFailed(stage: stage.id, status: process.terminationStatus,
                                          command: "binarybert " + child.arguments.map(Self.quoted).joined(separator: " "))
        }
        // The last line that parses as JSON is the command's result.
        let result = text.split(separator: "\n").reversed().lazy.compactMap { try? JSONValue.parse(Data($0.utf8)) }.first
        let record = Record(id: stage.id, command: stage.command, arguments: commandLine.arguments(stage.command, threads: nil, resume: false),
                            seconds: seconds, result: result, started: child.started.timeIntervalSince1970)
        try stageMarkers.write(record, id: stage.id)
        if !keepCheckpoints { try pruneCheckpoints(stage) }
        return record
    }

    /// Deletes the resumable checkpoints a finished training stage leaves (the distillation's stage 1 has its own);
    /// a stage redone after its marker was deleted then starts afresh and writes the same bytes.
    func pruneCheckpoints(_ stage: ReportStage) throws {
        let out = URL(fileURLWithPath: stage.output)
        do {
            switch stage.resume {
            case .finetune: try TrainingCheckpoint.remove(in: out)
            case .quantize: try DistillationPipeline.removeCheckpoints(in: out)
            case .rerun: return
            }
        } catch {
            throw ReportError.badResult(path: out.path, reason: "keeps checkpoints that could not be removed after the stage finished (\(error.localizedDescription)); --keep-checkpoints keeps them")
        }
    }

    /// The folder a distillation stage shares its teacher's targets in: one per teacher, task data, batch size and
    /// seed (the stages that see the same batches in the same order); nil for other stages, or without `shareTeacher`.
    func teacherCache(for stage: ReportStage) -> URL? {
        guard shareTeacher, case let .quantize(job) = stage.command, job.distillation.epochsPerStage > 0 else { return nil }
        struct Group: Encodable { var teacher: String, data: TaskDataOptions, batchSize: Int, seed: UInt64 }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let group = Group(teacher: job.teacher, data: job.taskData, batchSize: job.distillation.batchSize, seed: job.distillation.seed)
        let digest = SHA256.hex((try? encoder.encode(group)) ?? Data())
        return work.appendingPathComponent(Self.teacherCacheFolder)
            .appendingPathComponent("seed-\(job.distillation.seed)-\(digest.prefix(12))")
    }

    /// Removes the teacher-cache folders whose every stage has finished (`isFinished` of its position in `stages`).
    func pruneTeacherCaches(_ stages: [ReportStage], isFinished: (Int) -> Bool) throws {
        var groups: [URL: Bool] = [:]
        for k in stages.indices { if let url = teacherCache(for: stages[k]) { groups[url, default: true] = groups[url, default: true] && isFinished(k) } }
        let fm = FileManager.default
        for (url, done) in groups where done && fm.fileExists(atPath: url.path) {
            do { try fm.removeItem(at: url) } catch {
                throw ReportError.badResult(path: url.path, reason: "holds a finished group's teacher targets that could not be removed (\(IOErrorText.reason(error)))")
            }
        }
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
