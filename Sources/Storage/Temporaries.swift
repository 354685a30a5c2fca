import Foundation

/// The temporary files a crash leaves behind (`.NAME.tmp-PID` from `AtomicFile`, `*.partial` directories of
/// checkpoints being written): a run that holds an output directory's lock removes the ones no live process owns.
public enum Temporaries {
    /// The infix of a temporary file's name before the writer's pid.
    public static let marker = ".tmp-"

    /// Whether a process with this pid exists (a zombie or another user's process counts as alive).
    public static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        return kill(pid, 0) == 0 || errno == EPERM
    }

    /// The pid a temporary name ends with, if it is one.
    public static func owner(of name: String) -> Int32? {
        guard let range = name.range(of: marker, options: .backwards) else { return nil }
        return Int32(name[range.upperBound...])
    }

    /// Removes, under `directory` (recursively, not following links), the temporary files of dead processes and the
    /// names `leftovers` accepts (e.g. `checkpoint-last.partial`) — call it only while holding the directory's lock.
    /// Returns the paths removed.
    @discardableResult
    public static func removeStale(in directory: URL, leftovers: (String) -> Bool = { _ in false }) -> [String] {
        let fm = FileManager.default
        guard let walker = fm.enumerator(at: directory, includingPropertiesForKeys: [.isSymbolicLinkKey],
                                         options: [], errorHandler: { _, _ in true }) else { return [] }
        var removed: [String] = []
        for case let url as URL in walker {
            let name = url.lastPathComponent
            if (try? url.resourceValues(forKeys: [.isSymbolicLinkKey]).isSymbolicLink) == true { walker.skipDescendants(); continue }
            let stale: Bool
            if let pid = owner(of: name) { stale = pid != getpid() && !isAlive(pid) } else { stale = leftovers(name) }
            guard stale else { continue }
            if (try? fm.removeItem(at: url)) != nil {
                removed.append(url.path)
                walker.skipDescendants()
            }
        }
        return removed
    }
}
