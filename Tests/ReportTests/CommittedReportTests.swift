import AdaptiveSplit
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
            .filter { $0.hasSuffix(".svg") || ([ReportFiles.report, ReportFiles.gallery, ReportFiles.verdicts, ReportFiles.ratios, ReportFiles.forest, ReportFiles.perLayer,
                                                  ReportFiles.matchedLoss, ReportFiles.heterogeneitySummary] + ReportPlan.curvatureViews.map { ReportFiles.ratios(view: $0.name) }
                                                 + ReportPlan.sharpness.map { ReportFiles.sharpness(case: $0.name) }).contains($0) }
        for f in derived { try FileManager.default.removeItem(at: copy.appendingPathComponent(f)) }
        let renderer = try ReportRenderer(directory: copy)
        let written = try renderer.render().files
        XCTAssertEqual(Set(written), Set(derived), "the committed report has other derived files than the renderer writes")
        // Every figure passes the layout check: no text on text, none clipped, no axis text on the data.
        for (figure, problems) in renderer.layoutProblems.sorted(by: { $0.key < $1.key }) {
            XCTAssertTrue(problems.isEmpty, "\(figure): \(problems.map(\.description).joined(separator: "; "))")
        }
        XCTAssertEqual(Set(renderer.layoutProblems.keys), Set(written.filter { $0.hasSuffix(".svg") }), "every figure is checked")
        for f in written {
            XCTAssertEqual(try Data(contentsOf: copy.appendingPathComponent(f)), try Data(contentsOf: committed.appendingPathComponent(f)),
                           "\(f) differs from what Plots/quick's CSVs give")
        }
    }

    /// Every committed report directory (the quick run, and the standard run once it is committed).
    static var reports: [String] {
        ["Plots/quick", "Plots/standard"].filter { FileManager.default.fileExists(atPath: root.appendingPathComponent("\($0)/REPORT.md").path) }
    }

    /// 97.5 % quantiles of Student's t for 1–12 degrees of freedom, from a printed table.
    static let t975: [Double] = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179]

    /// Every verdict and number of the verdict table recomputed from the CSVs with the t-rule, independently of the
    /// renderer: the estimate, interval and "k of n" from forest.csv's per-replicate values, and those values from
    /// the tables the claims cite (accuracy, exactness, per-module cells, surface statistics).
    func testEveryVerdictIsRecomputedFromTheCSVsWithTheTRule() throws {
        XCTAssertFalse(Self.reports.isEmpty, "no committed report")
        for report in Self.reports {
            let dir = Self.root.appendingPathComponent(report)
            func table(_ name: String) throws -> [[String: String]] { try TidyTable.read(dir.appendingPathComponent(name)).records }
            let verdicts = try table(ReportFiles.verdicts), forest = try table(ReportFiles.forest)
            let markdown = try String(contentsOf: dir.appendingPathComponent(ReportFiles.report), encoding: .utf8)
            XCTAssertGreaterThanOrEqual(verdicts.count, 20, report)
            for v in verdicts {
                let id = v["claim"]!
                let rows = forest.filter { $0["claim"] == id }
                let xs = rows.filter { $0["judged"] == "true" }.map { Double($0["value"]!)! }
                let threshold = Double(v["threshold"]!)!
                XCTAssertEqual(Int(v["replicates"]!), xs.count, "\(report) \(id)")
                let expected: String
                if xs.count >= 2 {
                    XCTAssertEqual(Double(v["confidence"]!), 0.95)
                    let m = xs.reduce(0, +) / Double(xs.count)
                    let sd = (xs.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(xs.count - 1)).squareRoot()
                    let half = Self.t975[xs.count - 2] * sd / Double(xs.count).squareRoot()
                    XCTAssertEqual(Double(v["estimate"]!)!, m, accuracy: 1e-12 * max(1, abs(m)), "\(report) \(id)")
                    XCTAssertEqual(Double(v["low"]!)!, m - half, accuracy: 2e-3 * max(half, 1e-9) + 1e-12, "\(report) \(id)")
                    XCTAssertEqual(Double(v["high"]!)!, m + half, accuracy: 2e-3 * max(half, 1e-9) + 1e-12, "\(report) \(id)")
                    // Away from the boundary the table's three decimals decide the verdict.
                    expected = m - half > threshold ? "supported" : m + half < threshold ? "not supported" : "inconclusive"
                    let agree = xs.filter { m > threshold ? $0 > threshold : $0 < threshold }.count
                    XCTAssertEqual(Int(v["agree"]!), agree, "\(report) \(id)")
                    XCTAssertTrue(markdown.contains("| \(agree) of \(xs.count) | **\(expected)**"), "\(report): REPORT.md's row of \(id)")
                } else {
                    expected = "not judged"
                }
                XCTAssertEqual(v["verdict"], expected, "\(report) \(id)")
            }
            // The per-replicate values from the cited tables.
            let acc = try table(ReportFiles.accuracy)
            func a(_ model: String, _ r: String) -> Double { Double(acc.first { $0["model"] == model && $0["replicate"] == r }!["accuracy"]!)! }
            let ends = try table(ReportFiles.exactness)
            let cells = try table(ReportFiles.perModule), stats = try table(ReportFiles.statistics)
            for row in forest {
                let r = row["replicate"]!, value = Double(row["value"]!)!
                switch row["claim"]! {
                case "fig1-drop-2-1": XCTAssertEqual(value, a("ternary", r) - a("bwn", r), accuracy: 1e-15)
                case "tws-beats-bwn": XCTAssertEqual(value, a("tws", r) - a("bwn", r), accuracy: 1e-15)
                case "fig1-sharp-drop":
                    XCTAssertEqual(value, a("ternary", r) - a("bwn", r) - max(a("w4a8", r) - a("ternary", r), 0), accuracy: 1e-15)
                case "tws-exact":
                    let l = Double(ends.first { $0["replicate"] == r && $0["model"] == "ternary" && Double($0["x"]!) == 0 }!["loss"]!)!
                    let s = Double(ends.first { $0["replicate"] == r && $0["model"] == "split" && Double($0["x"]!) == 0 }!["loss"]!)!
                    XCTAssertEqual(value, s == l ? 16 : min(16, -log10(abs(s - l) / abs(l))), accuracy: 1e-12)
                case "fig3-mha-qk":
                    var logs: [Double] = []
                    for c in cells where c["replicate"] == r && c["module"] == "mha-qk" && c["model"] == "bwn" {
                        let t = cells.first { $0["replicate"] == r && $0["module"] == "mha-qk" && $0["model"] == "ternary"
                            && $0["layer"] == c["layer"] && $0["batch"] == c["batch"] }!
                        let (lb, lt) = (Double(c["lambda_max"]!)!, Double(t["lambda_max"]!)!)
                        if lb > 0 && lt > 0 { logs.append(log(lb / lt)) }
                    }
                    XCTAssertEqual(value, logs.reduce(0, +) / Double(logs.count), accuracy: 1e-12)
                case "fig2-latent-roughness":
                    func st(_ m: String) -> [String: Double] {
                        var o: [String: Double] = [:]
                        for s in stats where s["replicate"] == r && s["probe"] == "filter" && s["space"] == "latent" && s["model"] == m
                            && s["statistic"] == "roughness" { o[s["direction_seed"]!] = Double(s["value"]!)! }
                        return o
                    }
                    let b = st("bwn"), t = st("ternary")
                    let logs = b.keys.sorted().map { log(b[$0]! / t[$0]!) }
                    XCTAssertEqual(value, logs.reduce(0, +) / Double(logs.count), accuracy: 1e-12)
                default: break
                }
            }
        }
    }

    /// The README quotes every decided verdict of its headline run (the standard run once committed, else the quick
    /// run) as the report gives it, with its "k of n", and counts the undecided ones, which its REPORT.md lists.
    func testTheReadmeQuotesTheHeadlineVerdicts() throws {
        let headline = Self.reports.contains("Plots/standard") ? "Plots/standard" : "Plots/quick"
        let verdicts = try TidyTable.read(Self.root.appendingPathComponent("\(headline)/\(ReportFiles.verdicts)")).records
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let report = try String(contentsOf: Self.root.appendingPathComponent("\(headline)/REPORT.md"), encoding: .utf8)
        let decided = verdicts.filter { ["supported", "not supported"].contains($0["verdict"]!) }
        for v in decided {
            XCTAssertTrue(readme.contains("\(v["text"]!): **\(v["verdict"]!)**"), "README does not quote the verdict of \(v["claim"]!) in \(headline)")
        }
        XCTAssertTrue(readme.contains("The other \(verdicts.count - decided.count) claims ("), "README does not count the undecided claims of \(headline)")
        for v in verdicts { XCTAssertTrue(report.contains(v["text"]!), "\(headline)/REPORT.md does not list \(v["claim"]!)") }
    }
}

/// Adaptive splitting in the report: the paper preset plans its runs (the first computes the sensitivities, the
/// rest adopt them), and a table of their results renders a figure and a section.
final class AdaptiveSplitReportTests: XCTestCase {
    func testPaperPresetPlansTheAdaptiveSplitRuns() throws {
        let plan = try ReportPlan(spec: .preset(.paper), work: "w", layers: 6, trainExamples: 8000)
        let runs = plan.stages.compactMap { stage -> AdaptiveSplitJob? in
            if case let .adaptiveSplit(job) = stage.command { return job }
            return nil
        }
        XCTAssertEqual(runs.count, 2 + 4 * 5, "two ends and five rules at four budgets")
        XCTAssertEqual(runs.map(\.output), plan.stages.map(\.id).filter { $0.hasPrefix("adaptive/") }.map { "w/" + $0 })
        XCTAssertNil(runs[0].sensitivities)
        XCTAssertTrue(runs.dropFirst().allSatisfy { $0.sensitivities == "w/adaptive/all-binary" })
        XCTAssertEqual(Set(runs.compactMap(\.budgetFraction)), [0, 1, 0.2, 0.4, 0.6, 0.8])
        let quick = try ReportPlan(spec: .preset(.quick), work: "w", layers: 6, trainExamples: 640)
        XCTAssertTrue(quick.stages.allSatisfy { !$0.id.hasPrefix("adaptive/") }, "the quick preset leaves it out")
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
