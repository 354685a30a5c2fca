import Foundation
import Storage

/// The start of every command that writes an output directory: the directory is created, locked against a second
/// run (`OutputLock`; the lock lives as long as the returned value), and cleared of what crashed runs left in it
/// (temporary files of dead processes, half-written checkpoints).
public enum OutputClaim {
    public static func claim(_ path: String, option: String = "--output") throws -> OutputLock {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw StorageError.unwritable(path: path, reason: "\(option) must be a directory, and this is a file")
        }
        let lock = try OutputLock(directory: URL(fileURLWithPath: path), option: option)
        let removed = Temporaries.removeStale(in: lock.directory, leftovers: TrainingCheckpoint.isLeftover)
        if !removed.isEmpty {
            FileHandle.standardError.write("removed \(removed.count) file(s) left by an interrupted run: \(removed.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", "))\n".data(using: .utf8)!)
        }
        return lock
    }
}

extension OutputClaim {
    /// Runs `body` holding `path`'s claim. When `body` fails and the directory did not exist before, it is removed
    /// again if the failed run left nothing in it but the lock file, so that a refused command leaves no output behind.
    public static func with<R>(_ path: String, option: String = "--output", _ body: () throws -> R) throws -> R {
        let existed = FileManager.default.fileExists(atPath: path)
        let lock = try claim(path, option: option)
        do {
            let result = try body()
            lock.release()
            return result
        } catch {
            lock.release()
            let fm = FileManager.default
            if !existed, let left = try? fm.contentsOfDirectory(atPath: path), left.allSatisfy({ $0 == OutputLock.fileName }) {
                try? fm.removeItem(atPath: path)
            }
            throw error
        }
    }
}
