import Foundation

/// Short readable reasons for I/O failures: the POSIX message (as `strerror` gives it) instead of Foundation's
/// "The operation could not be completed (NSCocoaErrorDomain error 256)".
public enum IOErrorText {
    /// The message of the current `errno`.
    public static func errnoText(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }

    /// The most specific readable reason an error carries: a POSIX code found in it or its underlying errors, else
    /// Foundation's file error kinds, else its localized description (our own errors' sentence).
    public static func reason(_ error: Error) -> String {
        var current: NSError? = error as NSError
        while let e = current {
            if e.domain == NSPOSIXErrorDomain { return errnoText(Int32(e.code)) }
            current = e.userInfo[NSUnderlyingErrorKey] as? NSError
        }
        let e = error as NSError
        if e.domain == NSCocoaErrorDomain {
            switch e.code {
            case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return "no such file or directory"
            case NSFileReadNoPermissionError, NSFileWriteNoPermissionError: return "permission denied"
            case NSFileWriteOutOfSpaceError: return "no space left on device"
            case NSFileWriteVolumeReadOnlyError: return "read-only file system"
            case NSFileReadCorruptFileError: return "the file is corrupt or not in the expected format"
            case NSFileReadInapplicableStringEncodingError: return "the text is not valid UTF-8"
            case NSFileWriteFileExistsError: return "a file of that name is in the way (a folder is needed there)"
            default: break
            }
        }
        return e.localizedDescription
    }

    /// A Foundation file error that no layer turned into its own sentence, as one: the path and a short reason,
    /// never "NSCocoaErrorDomain Code=…"; nil for any other error.
    public static func sentence(_ error: Error) -> String? {
        let error = error as NSError
        guard error.domain == NSCocoaErrorDomain else { return nil }
        let path = (error.userInfo[NSFilePathErrorKey] as? String) ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
        var reason = reason(error)
        if reason.hasPrefix("The operation could not be completed"), let path, let explained = explain(path: path) { reason = explained }
        return "\(path.map { "\($0): " } ?? "")\(reason)"
    }

    /// What is wrong at `path` when an error carries no reason of its own: a parent that is a file, a directory
    /// where a file was expected, a folder that cannot be written, or nil when nothing is visibly wrong.
    public static func explain(path: String) -> String? {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { return "is a directory where a file is needed" }
            return fm.isWritableFile(atPath: path) ? nil : "cannot be written (permission denied or a read-only file system)"
        }
        var parent = (path as NSString).deletingLastPathComponent
        while !parent.isEmpty && parent != "/" {
            if fm.fileExists(atPath: parent, isDirectory: &isDirectory) {
                if !isDirectory.boolValue { return "its parent \(parent) is a file, not a directory" }
                return fm.isWritableFile(atPath: parent) ? nil : "its folder \(parent) cannot be written (permission denied or a read-only file system)"
            }
            parent = (parent as NSString).deletingLastPathComponent
        }
        return nil
    }
}
