import Foundation
import XCTest
@testable import Plotting

final class CSVTableTests: XCTestCase {
    func testQuotedFieldsCRLFAndBlankLines() throws {
        let text = "name,value\r\n\"a, b\",1\r\n\r\n\"say \"\"hi\"\"\",2.5\n\"two\nlines\",\n"
        let t = try CSVTable(text: text, source: "t.csv")
        XCTAssertEqual(t.header, ["name", "value"])
        XCTAssertEqual(t.rows, [["a, b", "1"], ["say \"hi\"", "2.5"], ["two\nlines", ""]])
        XCTAssertEqual(t.lines, [2, 4, 5])
        XCTAssertEqual(try t.number(row: 1, column: 1), 2.5)
        XCTAssertTrue(try t.number(row: 2, column: 1).isNaN, "an empty cell is a gap")
    }

    func testErrorsNameFileLineAndColumn() throws {
        XCTAssertThrowsError(try CSVTable(text: "a,b\n1,2\n3\n", source: "f.csv")) {
            XCTAssertEqual($0 as? PlottingError, .malformedCSV(path: "f.csv", line: 3, reason: "1 fields, but the header has 2"))
        }
        XCTAssertThrowsError(try CSVTable(text: "a,b\n\"1,2\n", source: "f.csv")) {
            XCTAssertEqual($0 as? PlottingError, .malformedCSV(path: "f.csv", line: 2, reason: "a quoted field is never closed"))
        }
        XCTAssertThrowsError(try CSVTable(text: "a,a\n1,2\n", source: "f.csv"))
        XCTAssertThrowsError(try CSVTable(text: "", source: "f.csv"))
        let t = try CSVTable(text: "a,b\n1,x\n", source: "f.csv")
        XCTAssertThrowsError(try t.number(row: 0, column: 1)) {
            XCTAssertEqual($0 as? PlottingError, .notANumber(path: "f.csv", line: 2, column: "b", value: "x"))
            XCTAssertEqual("\($0)", "f.csv:2: column 'b' holds 'x', not a number")
        }
        XCTAssertThrowsError(try t.column("c")) {
            XCTAssertEqual("\($0)", "f.csv: no column 'c' (the header has: a, b)")
        }
    }

    func testMissingFileIsNamed() {
        XCTAssertThrowsError(try CSVTable(contentsOf: URL(fileURLWithPath: "/nonexistent/x.csv"))) {
            guard case .unreadableFile(let path, _)? = $0 as? PlottingError else { return XCTFail("\($0)") }
            XCTAssertEqual(path, "/nonexistent/x.csv")
        }
    }
}
