import Foundation
import Storage
import XCTest

final class StorageTests: XCTestCase {
    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("storage-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    func names(_ dir: URL) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted() }

    func testAtomicWriteReplacesAndLeavesNoTemporary() throws {
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent("sub/a.json")
        try AtomicFile.write("first", to: url, createParent: true)
        try AtomicFile.write("second", to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "second")
        XCTAssertEqual(names(url.deletingLastPathComponent()), ["a.json"])
    }

    /// Writing onto a symbolic link (e.g. `plot --output link.svg`) updates the link's target; the link stays a link.
    func testWriteThroughASymbolicLinkKeepsTheLink() throws {
        let dir = try temporaryDirectory()
        let target = dir.appendingPathComponent("figure.svg"), link = dir.appendingPathComponent("link.svg")
        try AtomicFile.write("old", to: target)
        try FileManager.default.createSymbolicLink(atPath: link.path, withDestinationPath: "figure.svg")
        try AtomicFile.write("new", to: link)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link.path), "figure.svg")
        XCTAssertEqual(try String(contentsOf: target, encoding: .utf8), "new")
        XCTAssertEqual(names(dir), ["figure.svg", "link.svg"])
    }

    func testWriteIntoAFileAsParentNamesIt() throws {
        let dir = try temporaryDirectory()
        let file = dir.appendingPathComponent("plain")
        try AtomicFile.write("x", to: file)
        XCTAssertThrowsError(try AtomicFile.write("y", to: file.appendingPathComponent("inner.csv"))) { error in
            XCTAssertEqual("\(error)", "Cannot write '\(file.path)/inner.csv': Not a directory.")
        }
    }

    /// A full disk: a 64 KiB tmpfs (needs the right to mount, as root in a container; skipped otherwise).
    func testDiskFullKeepsTheOldFileAndNoTemporary() throws {
        let dir = try temporaryDirectory()
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir.path]
        mount.standardError = FileHandle.nullDevice
        guard (try? mount.run()) != nil else { throw XCTSkip("no mount(8)") }
        mount.waitUntilExit()
        guard mount.terminationStatus == 0 else { throw XCTSkip("cannot mount a tmpfs here") }
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = [dir.path]
            try? umount.run()
            umount.waitUntilExit()
        }
        let url = dir.appendingPathComponent("model.bin")
        try AtomicFile.write(Data(repeating: 1, count: 1000), to: url)
        XCTAssertThrowsError(try AtomicFile.write(Data(repeating: 2, count: 1 << 20), to: url)) { error in
            XCTAssertEqual("\(error)", "Cannot write '\(url.path)': No space left on device.")
        }
        XCTAssertEqual(try Data(contentsOf: url), Data(repeating: 1, count: 1000), "the earlier file is intact")
        XCTAssertEqual(names(dir), ["model.bin"], "no temporary left")
    }

    func testASecondLockRefusesNamingTheHolderAndARelaseFreesIt() throws {
        let dir = try temporaryDirectory()
        let first = try OutputLock(directory: dir.appendingPathComponent("out"))
        XCTAssertThrowsError(try OutputLock(directory: dir.appendingPathComponent("out"))) { error in
            guard case StorageError.locked(_, let holder, let option) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(option, "--output")
            XCTAssertTrue(holder.hasPrefix("pid \(getpid()) on "), holder)
        }
        first.release()
        XCTAssertNoThrow(try OutputLock(directory: dir.appendingPathComponent("out")))
    }

    /// A holder killed by SIGKILL leaves the lock file but not the lock.
    func testALockOfAKilledProcessIsStale() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/flock") else { throw XCTSkip("no flock(1)") }
        let dir = try temporaryDirectory()
        let lockFile = dir.appendingPathComponent(OutputLock.fileName).path
        let holder = Process()
        // The shell takes the lock on its descriptor 9, then becomes `sleep` (same pid, same descriptor).
        holder.executableURL = URL(fileURLWithPath: "/bin/sh")
        holder.arguments = ["-c", "exec 9>>'\(lockFile)'; flock -n 9 || exit 1; exec sleep 60"]
        try holder.run()
        var held = false
        for _ in 0..<100 where !held {
            usleep(20_000)
            do { try OutputLock(directory: dir).release() } catch StorageError.locked { held = true }
        }
        XCTAssertTrue(held, "the child took the lock")
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        var free = false
        for _ in 0..<100 where !free {
            if (try? OutputLock(directory: dir)) != nil { free = true } else { usleep(20_000) }
        }
        XCTAssertTrue(free, "the killed holder's lock is released by the kernel")
    }

    func testStaleTemporariesOfDeadProcessesAreRemoved() throws {
        let dir = try temporaryDirectory()
        let done = Process()
        done.executableURL = URL(fileURLWithPath: "/bin/true")
        try done.run(); done.waitUntilExit()
        let dead = done.processIdentifier
        let fm = FileManager.default
        try fm.createDirectory(at: dir.appendingPathComponent("checkpoint-last.partial"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: dir.appendingPathComponent("checkpoint-last.partial/model.safetensors"))
        try fm.createDirectory(at: dir.appendingPathComponent("stage1"), withIntermediateDirectories: true)
        try Data("x".utf8).write(to: dir.appendingPathComponent("stage1/.model.safetensors.tmp-\(dead)"))
        try Data("x".utf8).write(to: dir.appendingPathComponent(".config.json.tmp-\(getpid())"))
        try Data("x".utf8).write(to: dir.appendingPathComponent("model.safetensors"))
        let removed = Temporaries.removeStale(in: dir, leftovers: { $0 == "checkpoint-last.partial" })
        XCTAssertEqual(Set(removed.map { URL(fileURLWithPath: $0).lastPathComponent }),
                       ["checkpoint-last.partial", ".model.safetensors.tmp-\(dead)"])
        XCTAssertEqual(names(dir), [".config.json.tmp-\(getpid())", "model.safetensors", "stage1"], "our own temporary and real files stay")
    }

    func testIOReasonsAreShortSentences() {
        let missing = NSError(domain: NSCocoaErrorDomain, code: NSFileReadNoSuchFileError)
        XCTAssertEqual(IOErrorText.reason(missing), "no such file or directory")
        let posix = NSError(domain: NSCocoaErrorDomain, code: 512, userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))])
        XCTAssertEqual(IOErrorText.reason(posix), "No space left on device")
        XCTAssertEqual(IOErrorText.reason(StorageError.unwritable(path: "/x", reason: "r")), "Cannot write '/x': r.")
    }
}
