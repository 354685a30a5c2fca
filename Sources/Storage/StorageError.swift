import Foundation

/// What can go wrong while writing an output or holding an output directory. Every case names the path.
public enum StorageError: Error, CustomStringConvertible, Equatable {
    /// A file or directory could not be created, written, synced or renamed (disk full, read-only, no permission, ...).
    case unwritable(path: String, reason: String)
    /// Another live process holds the directory's lock; `option` is how the user named the directory (`--output`,
    /// `--work`), so the advice names the option to change.
    case locked(directory: String, holder: String, option: String)
    /// A request needs more memory than the machine has available (checked before allocating).
    case memory(what: String, needs: String, available: String, advice: String)

    public var description: String {
        switch self {
        case let .unwritable(path, reason):
            return "Cannot write '\(path)': \(reason)."
        case let .locked(directory, holder, option):
            return "'\(directory)' (\(option)) is in use by another run (\(holder)); wait for it to finish or give another \(option)."
        case let .memory(what, needs, available, advice):
            return "\(what) needs \(needs) but \(available) of memory are available; \(advice)."
        }
    }
}

extension StorageError: LocalizedError {
    public var errorDescription: String? { description }
}
