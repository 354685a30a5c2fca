import Foundation

/// Exclusive use of an output directory by one run: an advisory `flock` on `DIR/.lock`, which holds the holder's
/// pid and host for the message a second run gets. The kernel drops the lock when its process dies, however it
/// dies, so a lock left by a killed run is never mistaken for a live one (the file stays; its content is only a
/// note). Advisory locks are per host: two machines sharing a network file system are not kept apart.
public final class OutputLock {
    public static let fileName = ".lock"
    public let directory: URL
    private let lock: FileLock
    private let exclusive: Bool

    /// Creates `directory` if needed and takes its lock, or throws `.locked` naming the live holder. A `shared` lock
    /// admits other shared holders (processes that each write their own part of the directory, such as the stages
    /// of a workflow) and keeps out an exclusive one, and the other way round.
    public init(directory: URL, option: String = "--output", shared: Bool = false) throws {
        try AtomicFile.createDirectory(directory)
        let path = directory.appendingPathComponent(Self.fileName).path
        guard let lock = try FileLock.acquire(path, mode: shared ? .shared : .exclusive) else {
            let note = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            // Shared holders leave no note: they are the ones in the way when a shared lock would be granted now.
            let sharers = !shared && (try? FileLock.acquire(path, mode: .shared)).flatMap { $0 } != nil
            let holder = sharers ? "processes sharing it, such as the stages of a workflow"
                : note.map { $0.isEmpty ? "a process starting up" : $0 } ?? "unknown holder"
            throw StorageError.locked(directory: directory.path, holder: holder, option: option)
        }
        self.lock = lock
        self.directory = directory
        self.exclusive = !shared
        guard exclusive else { return }
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        lock.write(note: "pid \(getpid()) on \(String(cString: host))\n")
    }

    /// Releases the lock (also done when the value is freed or the process ends).
    public func release() {
        if exclusive { lock.write(note: "") }
        lock.release()
    }

    deinit { release() }
}
