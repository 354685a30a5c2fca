import Foundation
import XCTest

/// `binarybert plot`: tidy CSV in, SVG out; bad input names the file and line, and no figure is left behind.
extension CommandLineTests {
    func testPlotDrawsPanelsAndLines() throws {
        let dir = try temporaryDirectory()
        let csv = dir.appendingPathComponent("curves.csv")
        try """
        seed,model,stage,epoch,acc
        1,"TWS, binary",1,0.5,85
        2,"TWS, binary",1,0.5,87
        1,BWN,1,0.5,80
        1,BWN,1,1.0,
        1,BWN,1,1.5,83
        1,BWN,2,0.5,84
        """.write(to: csv, atomically: true, encoding: .utf8)
        let svg = dir.appendingPathComponent("f.svg")
        let r = try run(["plot", "--csv", csv.path, "--x", "epoch", "--y", "acc", "--group", "model", "--panel", "stage",
                             "--title", "A & B", "--output", svg.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(report["panels"] as? Int, 2)
        XCTAssertEqual(report["series"] as? [String], ["TWS, binary", "BWN"])
        let text = try String(contentsOf: svg, encoding: .utf8)
        XCTAssertTrue(text.contains(">stage 1<") && text.contains(">stage 2<"), "panel titles")
        XCTAssertTrue(text.contains("A &amp; B"))
        XCTAssertEqual(text.components(separatedBy: "<polygon").count - 1, 0, "a band needs two x values with repeats")
        // Same input, same bytes.
        let again = dir.appendingPathComponent("g.svg")
        XCTAssertEqual(try run(["plot", "--csv", csv.path, "--x", "epoch", "--y", "acc", "--group", "model", "--panel", "stage",
                                    "--title", "A & B", "--output", again.path]).status, 0)
        XCTAssertEqual(try Data(contentsOf: svg), try Data(contentsOf: again))
        // --where keeps one seed.
        let one = try run(["plot", "--csv", csv.path, "--x", "epoch", "--y", "acc", "--group", "model", "--where", "seed=2",
                               "--output", dir.appendingPathComponent("h.svg").path])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertTrue(one.stdout.contains("\"rows\":1"), one.stdout)
    }

    /// --x-spacing log2 places bit widths at equal distances per doubling; a non-positive x is named with its line.
    func testPlotOnALog2Axis() throws {
        let dir = try temporaryDirectory()
        let csv = dir.appendingPathComponent("bits.csv")
        try "bits,acc\n1,60\n2,62\n8,86\n32,87\n".write(to: csv, atomically: true, encoding: .utf8)
        let svg = dir.appendingPathComponent("f.svg")
        let r = try run(["plot", "--csv", csv.path, "--x", "bits", "--y", "acc", "--x-spacing", "log2", "--output", svg.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let text = try String(contentsOf: svg, encoding: .utf8)
        for tick in [">1<", ">2<", ">4<", ">8<", ">16<", ">32<"] { XCTAssertTrue(text.contains(tick), tick) }
        try "bits,acc\n1,60\n0,50\n".write(to: csv, atomically: true, encoding: .utf8)
        let bad = dir.appendingPathComponent("g.svg")
        let zero = try run(["plot", "--csv", csv.path, "--x", "bits", "--y", "acc", "--x-spacing", "log2", "--output", bad.path])
        XCTAssertNotEqual(zero.status, 0)
        XCTAssertTrue(zero.stderr.contains("bits.csv:3: column 'bits' holds 0"), zero.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: bad.path))
        let spacing = try run(["plot", "--csv", csv.path, "--x", "bits", "--y", "acc", "--x-spacing", "ln", "--output", bad.path])
        XCTAssertNotEqual(spacing.status, 0)
        XCTAssertTrue(spacing.stderr.contains("--x-spacing must be one of linear, log2"), spacing.stderr)
    }

    func testPlotNamesBadInputAndWritesNothing() throws {
        let dir = try temporaryDirectory()
        let csv = dir.appendingPathComponent("bad.csv")
        try "x,y\n1,2\n2,oops\n".write(to: csv, atomically: true, encoding: .utf8)
        let svg = dir.appendingPathComponent("f.svg")
        let r = try run(["plot", "--csv", csv.path, "--x", "x", "--y", "y", "--output", svg.path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("bad.csv:3: column 'y' holds 'oops'"), r.stderr)
        let missing = try run(["plot", "--csv", csv.path, "--x", "x", "--y", "z", "--output", svg.path])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("no column 'z'"), missing.stderr)
        let band = try run(["plot", "--csv", csv.path, "--x", "x", "--y", "y", "--band", "iqr", "--output", svg.path])
        XCTAssertNotEqual(band.status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: svg.path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["bad.csv"])
    }
}
