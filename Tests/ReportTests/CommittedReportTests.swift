import XCTest
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Report

/// The committed specs are the presets, and the committed quick report (Plots/quick) is exactly what its CSVs give:
/// every number REPORT.md quotes, every verdict and every figure is recomputed here from the tables beside it.
final class CommittedReportTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testCommittedSpecsAreThePresets() throws {
        for preset in ReportSpec.Preset.allCases {
            let url = Self.root.appendingPathComponent("Analyses/report/\(preset.rawValue).json")
            let data = try Data(contentsOf: url)
            XCTAssertEqual(try ReportSpec.decode(data), ReportSpec.preset(preset), url.path)
            XCTAssertEqual(data, try ReportSpec.preset(preset).json(), "\(url.path) is not `binarybert report --print-spec --preset \(preset.rawValue)`")
        }
    }

    /// Every committed figure is well-formed XML (SVG 1.1 with a viewBox) drawn from the CSV of its stem beside it
    /// (NAME.svg or NAME.VIEW.svg ← NAME.csv).
    func testEveryCommittedSVGParsesAndHasItsCSV() throws {
        let plots = Self.root.appendingPathComponent("Plots")
        let files = FileManager.default.enumerator(atPath: plots.path)!.compactMap { $0 as? String }
        let svgs = files.filter { $0.hasSuffix(".svg") }
        XCTAssertFalse(svgs.isEmpty)
        for svg in svgs {
            let url = plots.appendingPathComponent(svg)
            let name = url.lastPathComponent
            let stem = String(name.prefix { $0 != "." })
            let csv = url.deletingLastPathComponent().appendingPathComponent(stem + ".csv")
            XCTAssertTrue(FileManager.default.fileExists(atPath: csv.path), "Plots/\(svg) has no \(stem).csv beside it")
            let data = try Data(contentsOf: url)
            XCTAssertTrue(XMLParser(data: data).parse(), "Plots/\(svg) is not well-formed XML")
            let head = String(decoding: data.prefix(400), as: UTF8.self)
            XCTAssertTrue(head.contains("viewBox=") && head.contains("version=\"1.1\""), "Plots/\(svg) lacks viewBox or version 1.1")
        }
    }

    /// The committed report's directory, copied to a scratch folder so rendering cannot touch the committed files.
    func committedCopy() throws -> (committed: URL, copy: URL) {
        let committed = Self.root.appendingPathComponent("Plots/quick")
        guard FileManager.default.fileExists(atPath: committed.appendingPathComponent(ReportFiles.report).path) else {
            throw XCTSkip("Plots/quick has no REPORT.md yet")
        }
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("bb-report-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.copyItem(at: committed, to: copy)
        addTeardownBlock { try? FileManager.default.removeItem(at: copy) }
        return (committed, copy)
    }

    func testCommittedReportIsRecomputedFromItsTables() throws {
        let (committed, copy) = try committedCopy()
        // Remove everything the renderer derives, then draw it again from the collected tables alone.
        let derived = try FileManager.default.contentsOfDirectory(atPath: copy.path)
            .filter { $0.hasSuffix(".svg") || $0 == ReportFiles.report || $0 == ReportFiles.verdicts || $0 == ReportFiles.ratios }
        for f in derived { try FileManager.default.removeItem(at: copy.appendingPathComponent(f)) }
        let written = try ReportRenderer(directory: copy).render().files
        XCTAssertEqual(Set(written), Set(derived), "the committed report has other derived files than the renderer writes")
        for f in written {
            XCTAssertEqual(try Data(contentsOf: copy.appendingPathComponent(f)), try Data(contentsOf: committed.appendingPathComponent(f)),
                           "\(f) differs from what Plots/quick's CSVs give")
        }
    }

    /// Two claims recomputed independently of the renderer, from the CSVs the report cites.
    func testVerdictsFollowTheRuleFromTheCSVs() throws {
        let (_, copy) = try committedCopy()
        let verdicts = try TidyTable.read(copy.appendingPathComponent(ReportFiles.verdicts)).records
        func verdict(_ id: String) -> String? { verdicts.first { $0["claim"] == id }?["verdict"] }
        // TWS − BWN accuracy; one seed: binomial standard errors on the dev set.
        let acc = try TidyTable.read(copy.appendingPathComponent(ReportFiles.accuracy)).records
        let seeds = Set(acc.map { $0["seed"]! })
        if seeds.count == 1 {
            let t = acc.first { $0["model"] == "tws" }!, b = acc.first { $0["model"] == "bwn" }!
            let (pt, pb, n) = (Double(t["accuracy"]!)!, Double(b["accuracy"]!)!, Double(t["dev_examples"]!)!)
            let se = (pt * (1 - pt) / n + pb * (1 - pb) / n).squareRoot()
            let expected = pt - pb - 2 * se > 0 ? "supported" : pt - pb + 2 * se < 0 ? "not supported" : "inconclusive"
            XCTAssertEqual(verdict("tws-beats-bwn"), expected)
        }
        // The split model's loss at x = 0 against the ternary model's, in float64.
        let ends = try TidyTable.read(copy.appendingPathComponent(ReportFiles.exactness)).records
        let l = ends.first { $0["model"] == "ternary" && Double($0["x"]!) == 0 }.flatMap { Double($0["loss"]!) }!
        let s = ends.first { $0["model"] == "split" && Double($0["x"]!) == 0 }.flatMap { Double($0["loss"]!) }!
        XCTAssertEqual(ends.first?["dtype"], "float64")
        XCTAssertEqual(verdict("tws-exact"), abs(s - l) / l < 1e-9 ? "supported" : "not supported")
        // Every verdict in the table appears in REPORT.md's verdict table.
        let markdown = try String(contentsOf: copy.appendingPathComponent(ReportFiles.report), encoding: .utf8)
        for v in verdicts { XCTAssertTrue(markdown.contains("**\(v["verdict"]!)**"), v["claim"]!) }
        // The README quotes every verdict as the report gives it.
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        for v in verdicts {
            XCTAssertTrue(readme.contains("\(v["text"]!): **\(v["verdict"]!)**"), "README does not quote the verdict of \(v["claim"]!)")
        }
    }
}

/// Adaptive splitting in the report: the paper preset plans its runs (the first computes the sensitivities, the
/// rest adopt them), and a table of their results renders a figure and a section.
final class AdaptiveSplitReportTests: XCTestCase {
    func testPaperPresetPlansTheAdaptiveSplitRuns() throws {
        let plan = try ReportPlan(spec: .preset(.paper), work: "w", layers: 6, trainExamples: 8000, threads: 2)
        let runs = plan.build().filter { $0.id.hasPrefix("adaptive/") }
        XCTAssertEqual(runs.count, 2 + 4 * 5, "two ends and five rules at four budgets")
        XCTAssertFalse(runs[0].arguments.contains("--sensitivities"))
        XCTAssertTrue(runs.dropFirst().allSatisfy { $0.arguments.contains("--sensitivities") && $0.arguments.contains("w/adaptive/all-binary") })
        let fractions = Set(runs.compactMap { r in r.arguments.firstIndex(of: "--budget-fraction").map { r.arguments[$0 + 1] } })
        XCTAssertEqual(fractions, ["0", "1", "0.2", "0.4", "0.6", "0.8"])
        let quick = try ReportPlan(spec: .preset(.quick), work: "w", layers: 6, trainExamples: 640, threads: 2)
        XCTAssertTrue(quick.build().allSatisfy { !$0.id.hasPrefix("adaptive/") }, "the quick preset leaves it out")
    }

    func testAnAdaptiveSplitTableRendersItsFigureAndSection() throws {
        let committed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Plots/quick")
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("report-adaptive-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: committed, to: copy)
        addTeardownBlock { try? FileManager.default.removeItem(at: copy) }
        var t = TidyTable(columns: ["run", "rule", "selection", "gain", "budget_fraction", "packed_mb", "accuracy", "dev_examples"])
        for (run, rule, mb, acc) in [("all-binary", "max · measured", 3.8, 0.70), ("b20-max-measured", "max · measured", 4.4, 0.73),
                                     ("b20-random", "random", 4.4, 0.71), ("fully-split", "max · measured", 6.7, 0.74),
                                     ("all-binary", "random", 3.8, 0.70), ("fully-split", "random", 6.7, 0.74)] {
            t.append(["run": run, "rule": rule, "selection": String(rule.prefix(3)), "gain": "measured", "budget_fraction": "0.2",
                      "packed_mb": String(mb), "accuracy": String(acc), "dev_examples": "1000"])
        }
        try t.write(to: copy.appendingPathComponent(ReportFiles.adaptiveSplit))
        let written = try ReportRenderer(directory: copy).render().files
        XCTAssertTrue(written.contains("adaptive-split.svg"))
        let md = try String(contentsOf: copy.appendingPathComponent(ReportFiles.report), encoding: .utf8)
        XCTAssertTrue(md.contains("## Adaptive splitting (`adaptive-split.csv`)"), md)
        XCTAssertTrue(md.contains("| max · measured | 1 | 0.73 |"), md)
        XCTAssertTrue(md.contains("max-gain (measured) minus the best control: 0.02"), md)
    }
}
