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

    /// --kind contour: one panel per model on one colour scale, labelled contours, byte-identical reruns; a grid with
    /// two values at one point is refused naming the lines.
    func testPlotContourPanelsShareOneColourScale() throws {
        let dir = try temporaryDirectory()
        let csv = dir.appendingPathComponent("surfaces.csv")
        var text = "model,i,j,x,y,loss\n"
        for model in ["fp", "bwn"] {
            for j in 0..<7 {
                for i in 0..<7 {
                    let x = -1 + Double(i) / 3, y = -1 + Double(j) / 3
                    text += "\(model),\(i),\(j),\(x),\(y),\((model == "fp" ? 1 : 3) * (x * x + y * y))\n"
                }
            }
        }
        try text.write(to: csv, atomically: true, encoding: .utf8)
        let svg = dir.appendingPathComponent("c.svg")
        let args = ["plot", "--kind", "contour", "--csv", csv.path, "--x", "x", "--y", "y", "--z", "loss", "--panel", "model",
                    "--levels", "5", "--output", svg.path]
        let r = try run(args)
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(report["panels"] as? Int, 2)
        XCTAssertEqual(report["color_range"] as? [Double], [0, 6])
        XCTAssertEqual(report["levels"] as? [Double], [1, 2, 3, 4, 5])
        let first = try Data(contentsOf: svg)
        XCTAssertEqual(try run(args).status, 0)
        XCTAssertEqual(try Data(contentsOf: svg), first)
        let body = String(decoding: first, as: UTF8.self)
        XCTAssertTrue(body.contains(">model fp<") && body.contains(">model bwn<"))
        XCTAssertTrue(body.contains("<polygon"), "closed contours around the minimum")
        // Without --where, two models in one panel put two values at each point.
        let clash = try run(["plot", "--kind", "heatmap", "--csv", csv.path, "--x", "x", "--y", "y", "--z", "loss",
                             "--output", dir.appendingPathComponent("d.svg").path])
        XCTAssertNotEqual(clash.status, 0)
        XCTAssertTrue(clash.stderr.contains("surfaces.csv:51: a second value at (-1.0, -1.0), first on line 2"), clash.stderr)
        let surface = try run(["plot", "--kind", "surface", "--csv", csv.path, "--x", "x", "--y", "y", "--z", "loss", "--panel", "model",
                               "--output", dir.appendingPathComponent("s.svg").path])
        XCTAssertEqual(surface.status, 0, surface.stderr)
        XCTAssertTrue(surface.stdout.contains("\"kind\":\"surface\""), surface.stdout)
        let noZ = try run(["plot", "--kind", "heatmap", "--csv", csv.path, "--x", "x", "--y", "y", "--output", dir.appendingPathComponent("e.svg").path])
        XCTAssertTrue(noZ.stderr.contains("needs --z"), noZ.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("d.svg").path))
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
        XCTAssertTrue(spacing.stderr.contains("The value 'ln' is invalid for '--x-spacing"), spacing.stderr)
        XCTAssertTrue(spacing.stderr.contains("'linear', 'log2' or 'log10'"), spacing.stderr)
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
        for (extra, message) in [(["--kind", "pie"], "--kind"), (["--kind", "contour", "--z", "y", "--levels", "99"], "--levels must be in 0...50"),
                                 (["--y-spacing", "log2"], "--y-spacing must be linear or log10"),
                                 (["--kind", "bar", "--error-columns", "x"], "--error-columns takes LOWER,UPPER"),
                                 (["--kind", "bar", "--reference", "nan"], "--reference must be a finite number")] {
            let bad = try run(["plot", "--csv", csv.path, "--x", "x", "--y", "y", "--output", svg.path] + extra)
            XCTAssertNotEqual(bad.status, 0, extra.joined(separator: " "))
            XCTAssertTrue(bad.stderr.contains(message), "\(extra): \(bad.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: svg.path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["bad.csv"])
    }
}
