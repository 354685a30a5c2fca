import Foundation

/// Crash-safe file replacement: the bytes go to a temporary file beside the target (`.NAME.tmp-PID`), which is
/// flushed to disk (`fsync`), renamed over the target and the directory entry flushed too. A reader therefore sees
/// the old file or the whole new one, never a torn one, even after a power loss; a failed write leaves the old file
/// and no temporary behind.
public enum AtomicFile {
    /// The temporary name a write to `url` by this process uses.
    public static func temporaryURL(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent)\(Temporaries.marker)\(getpid())")
    }

    /// Replaces `url` with `data`; a missing parent directory is an error unless `createParent`.
    public static func write(_ data: Data, to url: URL, createParent: Bool = false) throws {
        try write(chunks: [data], to: url, createParent: createParent)
    }

    /// The file a write replaces: a symbolic link's target (resolved through every link), so that writing "onto" a
    /// link updates what it points to instead of replacing the link with a regular file.
    static func target(of url: URL) -> URL {
        var current = url
        for _ in 0..<40 {
            guard let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: current.path) else { return current }
            current = destination.hasPrefix("/") ? URL(fileURLWithPath: destination)
                : current.deletingLastPathComponent().appendingPathComponent(destination)
        }
        return current
    }

    /// Replaces `url` with the concatenation of `chunks` (written one after another, never joined in memory).
    /// `durable: false` skips both flushes (the file's and the directory's): a reader still sees the old file or the
    /// whole new one, but a power loss may leave the new one cut short — for caches whose reader detects that.
    public static func write(chunks: [Data], to given: URL, createParent: Bool = false, durable: Bool = true) throws {
        let url = target(of: given)
        let tmp = temporaryURL(for: url)
        if createParent { try createDirectory(url.deletingLastPathComponent()) }
        do {
            try writeFile(chunks: chunks, to: tmp, sync: durable)
            try rename(tmp, to: url, syncDirectory: durable)
        } catch StorageError.unwritable(_, let reason) {
            unlink(tmp.path)
            throw StorageError.unwritable(path: url.path, reason: reason)
        }
    }

    /// Replaces `url` with the UTF-8 bytes of `text`.
    public static func write(_ text: String, to url: URL, createParent: Bool = false) throws {
        try write(Data(text.utf8), to: url, createParent: createParent)
    }

    /// Writes a fresh file (creating or truncating it) and flushes it to disk; no rename.
    public static func writeSynced(_ data: Data, to url: URL) throws {
        try writeSynced(chunks: [data], to: url)
    }

    /// Writes a fresh file from consecutive chunks and flushes it to disk; no rename.
    public static func writeSynced(chunks: [Data], to url: URL) throws {
        try writeFile(chunks: chunks, to: url, sync: true)
    }

    /// Writes a fresh file (creating or truncating it) from consecutive chunks, flushed to disk when `sync`.
    static func writeFile(chunks: [Data], to url: URL, sync: Bool) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StorageError.unwritable(path: url.path, reason: IOErrorText.errnoText()) }
        var failure: String?
        for data in chunks where failure == nil { data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            guard var p = raw.baseAddress else { return }
            var left = raw.count
            while left > 0 {
                let n = Foundation.write(fd, p, min(left, 1 << 30))
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = IOErrorText.errnoText(); return
                }
                p += n; left -= n
            }
        } }
        if failure == nil && sync && fsync(fd) != 0 { failure = IOErrorText.errnoText() }
        if close(fd) != 0 && failure == nil { failure = IOErrorText.errnoText() }
        if let failure { throw StorageError.unwritable(path: url.path, reason: failure) }
    }

    /// Renames `from` over `to` (atomically replacing a file) and flushes the directory entry (unless not `syncDirectory`).
    public static func rename(_ from: URL, to: URL, syncDirectory sync: Bool = true) throws {
        if Foundation.rename(from.path, to.path) != 0 {
            throw StorageError.unwritable(path: to.path, reason: "cannot rename '\(from.lastPathComponent)' to it: \(IOErrorText.errnoText())")
        }
        if sync { syncDirectory(to.deletingLastPathComponent()) }
    }

    /// Makes every regular file of `source` (hidden names excepted) also a file of `directory` under the same name, as
    /// a hard link (each one linked under a temporary name and renamed over the target, so a reader sees the old file
    /// or the new one), then flushes the directory. For a write whose bytes an earlier write already holds: the data
    /// is not written twice. Returns false when the file system cannot link (the caller writes instead); targets
    /// already replaced stay replaced. Nothing may change a linked file in place afterwards (every writer here
    /// replaces files by rename).
    public static func linkFiles(from source: URL, into directory: URL) -> Bool {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: source.path) else { return false }
        for name in names.sorted() where !name.hasPrefix(".") {
            let from = source.appendingPathComponent(name), to = directory.appendingPathComponent(name)
            var info = stat()
            guard lstat(from.path, &info) == 0 else { return false }
            guard (info.st_mode & S_IFMT) == S_IFREG else { continue }
            let tmp = temporaryURL(for: to)
            unlink(tmp.path)
            guard link(from.path, tmp.path) == 0 else { return false }
            guard Foundation.rename(tmp.path, to.path) == 0 else { unlink(tmp.path); return false }
        }
        syncDirectory(directory)
        return true
    }

    /// Flushes a directory's entries (new, renamed and removed names) to disk. Best effort: some file systems refuse
    /// `fsync` on a directory, which loses nothing but durability across a power loss.
    public static func syncDirectory(_ directory: URL) {
        let fd = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    /// Creates a directory (and its parents) with a readable error.
    public static func createDirectory(_ directory: URL) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw StorageError.unwritable(path: directory.path, reason: "it exists and is not a directory") }
            return
        }
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw StorageError.unwritable(path: directory.path, reason: "cannot create the directory: \(IOErrorText.reason(error))")
        }
    }
}
