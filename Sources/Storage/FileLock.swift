import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An advisory `flock` on one file (created if needed), shared or exclusive: many processes may hold it shared, one
/// alone exclusive. The kernel drops it when its process dies, however it dies. Advisory locks are per host unless
/// the file system forwards them (NFSv4 does, as POSIX locks).
public final class FileLock {
    public enum Mode: Sendable { case shared, exclusive }
    public let path: String
    private var fd: Int32

    private init(path: String, fd: Int32) { self.path = path; self.fd = fd }

    /// Takes the lock in `mode`, waiting for conflicting holders when `wait`; without `wait`, nil while another
    /// process holds it in a conflicting mode.
    public static func acquire(_ path: String, mode: Mode, wait: Bool = false) throws -> FileLock? {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError.unwritable(path: path, reason: IOErrorText.errnoText()) }
        let operation = (mode == .shared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB)
        while flock(fd, operation) != 0 {
            let code = errno
            if code == EINTR { continue }
            close(fd)
            if code == EWOULDBLOCK { return nil }
            throw StorageError.unwritable(path: path, reason: "cannot lock it: \(IOErrorText.errnoText(code))")
        }
        return FileLock(path: path, fd: fd)
    }

    /// Replaces the file's content with `note` (who holds it, for the message a refused process gets).
    public func write(note: String) {
        guard fd >= 0 else { return }
        _ = ftruncate(fd, 0)
        _ = note.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    /// Releases the lock (also done when the value is freed or the process ends).
    public func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
