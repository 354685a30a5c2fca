import Foundation

/// The completion markers of a resumable run's stages: a stage that finished leaves `DIRECTORY/<id>.json` (its
/// record, written atomically), so every later run skips it; a stage without a marker is run (again, or continued
/// from what it keeps itself, such as training checkpoints). A marker recorded for another identity (another command,
/// other options) is refused instead of reused. The report's stage runner and adaptive splitting both resume this way.
public struct StageMarkers: Sendable {
    public let directory: URL

    /// The markers of a run whose outputs live in `work` (`work/.stages`).
    public init(work: URL) { directory = work.appendingPathComponent(".stages") }

    /// A stage's marker file (a `/` in the id becomes `__`).
    public func url(_ id: String) -> URL { directory.deletingLastPathComponent().appendingPathComponent(Self.relativePath(id)) }

    /// A stage's marker relative to the work directory: `.stages/<id>.json`.
    public static func relativePath(_ id: String) -> String { ".stages/" + id.replacingOccurrences(of: "/", with: "__") + ".json" }

    /// The record of a finished stage, nil when it has not finished; a marker that is no such record is an error.
    public func record<R: Decodable>(_ id: String, as type: R.Type) throws -> R? {
        let url = url(id)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        guard let record = try? JSONFormat.decoder().decode(R.self, from: data) else { throw StageMarkerError.unreadable(path: url.path) }
        return record
    }

    /// Marks a stage finished with `record`.
    public func write<R: Encodable>(_ record: R, id: String) throws {
        try AtomicFile.write(try JSONFormat.file(record), to: url(id), createParent: true)
    }

    /// A stage run in this process: its result as recorded when it finished earlier with the same `identity`, else
    /// `body`'s, recorded before it is returned. A marker of another identity is refused.
    public func step<Identity: Codable & Equatable, Result: Codable>(_ id: String, identity: Identity,
                                                                   _ body: () throws -> Result) throws -> Result {
        if let done = try record(id, as: StepRecord<Identity, Result>.self) {
            guard done.identity == identity else { throw StageMarkerError.changed(stage: id, marker: url(id).path) }
            return done.result
        }
        let result = try body()
        try write(StepRecord(id: id, identity: identity, result: result), id: id)
        return result
    }

    /// What a stage run in this process records: what it was run for and what it found.
    struct StepRecord<Identity: Codable, Result: Codable>: Codable {
        var id: String
        var identity: Identity
        var result: Result
    }
}

/// A stage that records nothing but its completion.
public struct StageDone: Codable, Equatable, Sendable {
    public init() {}
}

public enum StageMarkerError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String)
    case changed(stage: String, marker: String)

    public var description: String {
        switch self {
        case let .unreadable(path):
            return "\(path) is not a stage record (delete it to redo the stage)"
        case let .changed(stage, marker):
            return "stage \(stage) finished earlier with other options (\(marker)): continue with the same options or use a new output"
        }
    }
}

extension StageMarkerError: LocalizedError {
    public var errorDescription: String? { description }
}
