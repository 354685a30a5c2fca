import Foundation

/// Exclusive use of an output directory by one run: an advisory `flock` on `DIR/.lock`, which holds the holder's
/// pid and host for the message a second run gets. The kernel drops the lock when its process dies, however it
/// dies, so a lock left by a killed run is never mistaken for a live one (the file stays; its content is only a
/// note). Advisory locks are per host: two machines sharing a network file system are not kept apart.
public final class OutputLock {
    public static let fileName = ".lock"
    public let directory: URL
    private var fd: Int32

    /// Creates `directory` if needed and takes its lock, or throws `.locked` naming the live holder.
    public init(directory: URL, option: String = "--output") throws {
        try AtomicFile.createDirectory(directory)
        let path = directory.appendingPathComponent(Self.fileName).path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError.unwritable(path: path, reason: IOErrorText.errnoText()) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            close(fd)
            if code == EWOULDBLOCK {
                throw StorageError.locked(directory: directory.path, holder: holder.map { $0.isEmpty ? "a process starting up" : $0 } ?? "unknown holder",
                                          option: option)
            }
            throw StorageError.unwritable(path: path, reason: "cannot lock it: \(IOErrorText.errnoText(code))")
        }
        self.fd = fd
        self.directory = directory
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let note = "pid \(getpid()) on \(String(cString: host))\n"
        _ = ftruncate(fd, 0)
        _ = note.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    /// Releases the lock (also done when the value is freed or the process ends).
    public func release() {
        guard fd >= 0 else { return }
        _ = ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
