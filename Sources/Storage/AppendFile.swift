import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file that grows one line at a time, each line flushed to disk before the call returns (the partial tables of
/// long scans, so that a killed run keeps every finished point). A failed write (disk full, quota, I/O error) throws
/// `StorageError.unwritable` naming the file and the reason, never a bare Foundation error.
public final class AppendFile {
    public let url: URL
    private var fd: Int32

    /// Opens `url` for appending; a missing or empty file is created with `header` as its first line.
    public init(_ url: URL, header: String? = nil) throws {
        self.url = url
        fd = open(url.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError.unwritable(path: url.path, reason: IOErrorText.errnoText()) }
        var info = stat()
        if let header, fstat(fd, &info) == 0, info.st_size == 0 {
            do { try append(header) } catch { close(); throw error }
        }
    }

    /// Appends `line` and a newline, then syncs the file.
    public func append(_ line: String) throws {
        let bytes = Array((line + "\n").utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBufferPointer { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw StorageError.unwritable(path: url.path, reason: IOErrorText.errnoText())
            }
            done += n
        }
        guard fsync(fd) == 0 else { throw StorageError.unwritable(path: url.path, reason: IOErrorText.errnoText()) }
    }

    public func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }

    deinit { close() }
}
