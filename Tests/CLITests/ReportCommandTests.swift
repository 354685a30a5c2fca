import XCTest
import Foundation
import Report
#if canImport(FoundationXML)
import FoundationXML
#endif

/// `binarybert report` end to end on a tiny model and a synthetic MRPC folder in the GLUE layout: every stage, every
/// figure, a second run that does no work and rewrites the same bytes.
extension CommandLineTests {
    /// MRPC files (quality, two ids, two strings) with a learnable rule: a pair is a paraphrase when both sentences
    /// share their adjective's polarity.
    func makeMRPC(in dir: URL) throws -> URL {
        let good = ["good", "great", "fine", "nice"], bad = ["bad", "awful", "poor", "dull"]
        let folder = dir.appendingPathComponent("glue/MRPC")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (split, count) in [("train", 48), ("dev", 16)] {
            var lines = ["Quality\t#1 ID\t#2 ID\t#1 String\t#2 String"]
            for i in 0..<count {
                let same = i % 2 == 0
                let a = (i / 2) % 2 == 0 ? good : bad
                let b = same ? a : (a == good ? bad : good)
                lines.append("\(same ? 1 : 0)\t\(1000 + i)\t\(2000 + i)\tthe movie is \(a[i % 4])\tthe film is \(b[(i + 1) % 4])")
            }
            try (lines.joined(separator: "\n") + "\n").write(to: folder.appendingPathComponent("\(split).tsv"), atomically: true, encoding: .utf8)
        }
        return dir.appendingPathComponent("glue")
    }

    func testReportQuickRunsOnASyntheticMRPCFolder() throws {
        let dir = try temporaryDirectory()
        let (model, _) = try makeTinyTask(in: dir)
        let glue = try makeMRPC(in: dir)
        let work = dir.appendingPathComponent("work"), out = dir.appendingPathComponent("plots")
        let arguments = ["report", "--preset", "quick", "--task", "mrpc", "--data", glue.path, "--model", model.path,
                         "--work", work.path, "--output", out.path, "--threads", "1"]
        // Two stages at a time, each on one of two threads. Killed (SIGKILL) once a few stages have finished: the
        // stages running die with it, and the next run resumes.
        let parallel = Array(arguments.dropLast()) + ["2", "--jobs", "2"]
        let killed = Process()
        killed.executableURL = binary
        killed.arguments = parallel
        killed.standardOutput = FileHandle.nullDevice
        killed.standardError = FileHandle.nullDevice
        try killed.run()
        let markers = work.appendingPathComponent(".stages")
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let done = ((try? FileManager.default.contentsOfDirectory(atPath: markers.path)) ?? []).filter { $0.hasSuffix(".json") }
            if done.count >= 4 { break }
            usleep(100_000)
        }
        kill(killed.processIdentifier, SIGKILL)
        killed.waitUntilExit()
        sleep(2)
        XCTAssertEqual(try processesMentioning(work.path), [], "a stage outlived the killed report")
        let first = try run(parallel)
        XCTAssertEqual(first.status, 0, first.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        XCTAssertGreaterThanOrEqual(summary["reused"] as? Int ?? 0, 4)
        XCTAssertGreaterThan(summary["ran"] as? Int ?? 0, 30)
        XCTAssertTrue(first.stderr.contains("stages finished earlier, reused"), first.stderr)
        XCTAssertTrue(first.stderr.contains("ETA"), first.stderr)
        XCTAssertNotNil(first.stderr.range(of: #"teacher cache [^\n]*: [1-9][0-9]* batches read"#, options: .regularExpression),
                        "a student reads the targets another student of its replicate stored")
        let report = try String(contentsOf: out.appendingPathComponent("REPORT.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("Task **mrpc**"), report)
        XCTAssertTrue(report.contains("## Verdicts"))
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path)
        let svgs = files.filter { $0.hasSuffix(".svg") }.sorted()
        XCTAssertGreaterThanOrEqual(svgs.count, 14, "\(svgs)")
        var bytes: [String: Data] = [:]
        for svg in svgs {
            // Every SVG is drawn from the CSV of its stem (NAME.svg or NAME.VIEW.svg ← NAME.csv) and parses as XML.
            let stem = String(svg.prefix { $0 != "." })
            XCTAssertTrue(files.contains(stem + ".csv"), "\(svg) has no \(stem).csv beside it")
            let data = try Data(contentsOf: out.appendingPathComponent(svg))
            XCTAssertTrue(XMLParser(data: data).parse(), "\(svg) is not well-formed XML")
            bytes[svg] = data
        }
        var markdown = try Data(contentsOf: out.appendingPathComponent("REPORT.md"))
        // Every JSON document the report and its stages wrote names its fields in snake_case.
        XCTAssertEqual(try nonSnakeCaseKeys(under: [work, out]), [])

        // A second run does no work and writes the same bytes.
        let second = try run(parallel)
        XCTAssertEqual(second.status, 0, second.stderr)
        let again = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(again["ran"] as? Int, 0)
        for (svg, data) in bytes { XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent(svg)), data, svg) }
        XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("REPORT.md")), markdown)

        // Finished training stages leave no resumable checkpoint behind (by default); a student redone after its
        // marker is deleted starts afresh (its finished stage 1 kept) and writes the same model bytes, and nothing
        // else reruns.
        XCTAssertEqual(try checkpoints(under: work), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent(StageRunner.teacherCacheFolder).path),
                       "the shared teacher targets are removed with the replicates' last students")
        let markerFiles = try FileManager.default.contentsOfDirectory(at: markers, includingPropertiesForKeys: nil).filter { $0.pathExtension == "json" }
        let bwnMarker = try XCTUnwrap(markerFiles.first { url in
            let record = (try? JSONSerialization.jsonObject(with: Data(contentsOf: url))) as? [String: Any]
            return record?["id"] as? String == "rep-1/bwn"
        })
        let bwnModel = work.appendingPathComponent("rep-1/bwn/model.safetensors")
        let bwnBytes = try Data(contentsOf: bwnModel)
        try FileManager.default.removeItem(at: bwnMarker)
        let redone = try run(parallel)
        XCTAssertEqual(redone.status, 0, redone.stderr)
        let redoneSummary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(redone.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(redoneSummary["ran"] as? Int, 1)
        XCTAssertEqual(try Data(contentsOf: bwnModel), bwnBytes)
        for (svg, data) in bytes { XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent(svg)), data, svg) }
        markdown = try Data(contentsOf: out.appendingPathComponent("REPORT.md"))   // its stage seconds changed

        // One stage at a time on one thread, from scratch, every student running the teacher itself: the same tables
        // and figures, byte for byte.
        let serialWork = dir.appendingPathComponent("work-serial"), serialOut = dir.appendingPathComponent("plots-serial")
        let serial = try run(["report", "--preset", "quick", "--task", "mrpc", "--data", glue.path, "--model", model.path,
                              "--work", serialWork.path, "--output", serialOut.path, "--threads", "1", "--jobs", "1", "--keep-checkpoints",
                              "--no-teacher-cache"])
        XCTAssertEqual(serial.status, 0, serial.stderr)
        XCTAssertTrue(try checkpoints(under: serialWork).contains("rep-1/bwn/stage1/checkpoint-last"), "--keep-checkpoints")
        for name in files where name.hasSuffix(".csv") || name.hasSuffix(".svg") {
            XCTAssertEqual(try Data(contentsOf: serialOut.appendingPathComponent(name)), try Data(contentsOf: out.appendingPathComponent(name)),
                           "\(name) differs between the parallel and the serial run")
        }

        // Redrawing from the CSVs alone gives the same report.
        let render = try run(["report", "--render-only", "--output", out.path])
        XCTAssertEqual(render.status, 0, render.stderr)
        XCTAssertEqual(try Data(contentsOf: out.appendingPathComponent("REPORT.md")), markdown)

        // The output folder is locked while a report or a rendering writes it: a second one is refused, naming it.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = [out.appendingPathComponent(".lock").path, "sleep", "30"]
        try holder.run()
        defer { holder.terminate(); holder.waitUntilExit() }
        usleep(300_000)
        let locked = try run(["report", "--render-only", "--output", out.path])
        XCTAssertNotEqual(locked.status, 0)
        XCTAssertTrue(locked.stderr.contains(out.path), locked.stderr)
        holder.terminate(); holder.waitUntilExit()

        // A stage whose options changed is refused, naming it.
        let changed = try run(arguments.map { $0 == "quick" ? "quick" : $0 } + ["--spec", try writeSpec(in: dir, change: "probe_examples", to: 24)])
        XCTAssertNotEqual(changed.status, 0)
        XCTAssertTrue(changed.stderr.contains("finished earlier with other options"), changed.stderr)
    }

    /// The resumable checkpoints (`checkpoint-last*` folders) below `root`, relative to it.
    func checkpoints(under root: URL) throws -> [String] {
        let prefix = root.standardizedFileURL.path + "/"
        var found: [String] = []
        let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let url = e?.nextObject() as? URL {
            if url.lastPathComponent.hasPrefix("checkpoint-last") {
                found.append(String(url.standardizedFileURL.path.dropFirst(prefix.count)))
                e?.skipDescendants()
            }
        }
        return found.sorted()
    }

    /// Keys of the JSON documents below `roots` that are not snake_case, as "file: key". Names used as map keys —
    /// tensors and quantizer sites (they hold a dot) — and Hugging Face's own tokenizer files are left aside.
    func nonSnakeCaseKeys(under roots: [URL]) throws -> [String] {
        var found: Set<String> = []
        let foreign: Set<String> = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]
        func walk(_ value: Any, _ file: String) {
            if let o = value as? [String: Any] {
                for (k, v) in o {
                    let snake = k.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
                    if !snake && !k.contains(".") { found.insert("\(file): \(k)") }
                    walk(v, file)
                }
            } else if let a = value as? [Any] {
                for v in a { walk(v, file) }
            }
        }
        for root in roots {
            guard let e = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { continue }
            for case let url as URL in e where url.pathExtension == "json" && !foreign.contains(url.lastPathComponent) {
                let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url), options: [.fragmentsAllowed])
                walk(object, url.path.replacingOccurrences(of: root.path + "/", with: ""))
            }
        }
        return found.sorted()
    }

    /// Pids of the processes whose command line mentions `text`.
    func processesMentioning(_ text: String) throws -> [Int32] {
        try FileManager.default.contentsOfDirectory(atPath: "/proc").compactMap(Int32.init).filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data, as: UTF8.self).contains(text)
        }
    }

    /// The quick spec with one key changed, written to a file.
    func writeSpec(in dir: URL, change key: String, to value: Int) throws -> String {
        let printed = try run(["report", "--print-spec"])
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(printed.stdout.utf8)) as? [String: Any])
        object[key] = value
        let url = dir.appendingPathComponent("spec.json")
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        return url.path
    }
}
