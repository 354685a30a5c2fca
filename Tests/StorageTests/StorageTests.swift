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

    /// Shared holders (a workflow's stages) admit each other and keep an exclusive run out, which is told who they are.
    func testSharedLocksAdmitEachOtherAndKeepAnExclusiveOneOut() throws {
        let out = try temporaryDirectory().appendingPathComponent("out")
        let a = try OutputLock(directory: out, option: "--work", shared: true)
        let b = try OutputLock(directory: out, option: "--work", shared: true)
        XCTAssertThrowsError(try OutputLock(directory: out, option: "--work")) { error in
            guard case StorageError.locked(_, let holder, _) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(holder.contains("sharing it"), holder)
        }
        a.release()
        b.release()
        let exclusive = try OutputLock(directory: out, option: "--work")
        XCTAssertThrowsError(try OutputLock(directory: out, option: "--work", shared: true))
        exclusive.release()
        // A file lock taken while waiting is granted once its holder lets go.
        let path = out.appendingPathComponent("stage.lock").path
        let held = try XCTUnwrap(try FileLock.acquire(path, mode: .exclusive))
        XCTAssertNil(try FileLock.acquire(path, mode: .exclusive))
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { held.release() }
        XCTAssertNotNil(try FileLock.acquire(path, mode: .exclusive, wait: true))
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

final class MemoryBudgetTests: XCTestCase {
    func testProductsThatOverflowCountAsTooMuch() throws {
        XCTAssertEqual(MemoryBudget.product(3, 4, 8), 96)
        XCTAssertNil(MemoryBudget.product(1 << 40, 1 << 30))
        XCTAssertNil(MemoryBudget.product(-1, 8))
        XCTAssertThrowsError(try MemoryBudget.require(nil, for: "A grid", advice: "use fewer points", available: 1 << 30)) { error in
            XCTAssertEqual("\(error)", "A grid needs more bytes than a 64-bit count holds but 1.0 GB of memory are available; use fewer points.")
        }
    }

    func testARequestAboveWhatIsAvailableIsRefusedWithItsSizes() throws {
        XCTAssertNoThrow(try MemoryBudget.require(1 << 20, for: "A basis", advice: "ask for less", available: 1 << 21))
        XCTAssertThrowsError(try MemoryBudget.require(34 << 30, for: "The Lanczos basis (100 vectors of 10 entries)",
                                                      advice: "ask for fewer matrix-vector products", available: 6 << 30)) { error in
            XCTAssertEqual("\(error)", "The Lanczos basis (100 vectors of 10 entries) needs 34.0 GB but 6.0 GB of memory are available; ask for fewer matrix-vector products.")
        }
        // Unknown availability refuses nothing.
        XCTAssertNoThrow(try MemoryBudget.require(Int.max, for: "x", advice: "y", available: nil))
        XCTAssertEqual(MemoryBudget.describe(512), "512 bytes")
        XCTAssertEqual(MemoryBudget.describe(1536), "1.5 KB")
    }

    func testThisMachineReportsWhatItHas() throws {
        #if os(Linux)
        let available = try XCTUnwrap(MemoryBudget.availableBytes())
        XCTAssertGreaterThan(available, 1 << 20)
        #endif
    }
}

final class StrictUTF8Tests: XCTestCase {
    func testValidTextDecodes() throws {
        XCTAssertEqual(try StrictUTF8.decode(Data("model,λ_max\nbwn,1.5\n".utf8)).get(), "model,λ_max\nbwn,1.5\n")
    }

    func testAStrayByteIsReportedOnItsLineEscaped() {
        var bytes = Array("model,layer\nbwn,0\n".utf8)
        bytes += [0x61, 0x63, 0xFF, 0x63] + Array(",1\n".utf8)
        guard case let .failure(bad) = StrictUTF8.decode(Data(bytes)) else { return XCTFail("accepted invalid UTF-8") }
        XCTAssertEqual(bad.line, 3)
        XCTAssertEqual(bad.excerpt, "ac\\xFFc,1")
        // Overlong encodings, surrogates and truncated sequences are invalid; control bytes are escaped in excerpts.
        for seq: [UInt8] in [[0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF4, 0x90, 0x80, 0x80]] {
            guard case .failure = StrictUTF8.decode(Data(seq)) else { return XCTFail("accepted \(seq)") }
        }
        XCTAssertEqual(StrictUTF8.escaped([0x41, 0x09, 0xCE, 0xBB]), "A\\x09λ")
    }
}

final class AppendFileTests: XCTestCase {
    func testLinesAreAppendedAfterTheHeaderOnce() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("append-\(UUID().uuidString).csv")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        do {
            let f = try AppendFile(url, header: "i,loss")
            try f.append("0,1.5")
        }
        let again = try AppendFile(url, header: "i,loss")
        try again.append("1,2.5")
        again.close()
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "i,loss\n0,1.5\n1,2.5\n")
    }

    func testAFullDiskNamesTheFile() throws {
        // /dev/full answers every write with ENOSPC, as a disk that fills mid-scan does.
        guard FileManager.default.fileExists(atPath: "/dev/full") else { throw XCTSkip("no /dev/full") }
        XCTAssertThrowsError(try AppendFile(URL(fileURLWithPath: "/dev/full"), header: "i,loss")) {
            XCTAssertEqual("\($0)", "Cannot write '/dev/full': No space left on device.")
        }
        let f = try AppendFile(URL(fileURLWithPath: "/dev/full"))
        XCTAssertThrowsError(try f.append("0,1.5")) { XCTAssertTrue("\($0)".contains("'/dev/full'"), "\($0)") }
    }
}

final class ProvenanceTests: XCTestCase {
    func testPathsUnderTheProjectAreRecordedRelativeToIt() {
        XCTAssertEqual(Provenance.relative("/work/p/runs/teacher", to: "/work/p"), "runs/teacher")
        XCTAssertEqual(Provenance.relative("--model=/work/p/runs/teacher", to: "/work/p/"), "--model=runs/teacher")
        XCTAssertEqual(Provenance.relative("hessian:/work/p/runs/e/top-0.safetensors", to: "/work/p"), "hessian:runs/e/top-0.safetensors")
        XCTAssertEqual(Provenance.relative("/elsewhere/data", to: "/work/p"), "/elsewhere/data")
        XCTAssertEqual(Provenance.relative("/work/project2/x", to: "/work/p"), "/work/project2/x", "a sibling with the same prefix stays")
        XCTAssertEqual(Provenance.command.first, "binarybert")
    }
}
