import Foundation
import Storage
import XCTest

/// The one CSV codec: numbers, quoting, parsing, and failures that name their line.
final class TidyCSVTests: XCTestCase {
    func testNumbersAreSpelledAsPandasReadsThem() {
        XCTAssertEqual([0.1, 1e-5, 12, .nan, .infinity, -.infinity].map(TidyCSV.number), ["0.1", "1e-05", "12.0", "nan", "inf", "-inf"])
        XCTAssertEqual(TidyCSV.number(nil), "")
        XCTAssertEqual(TidyCSV.parseNumber("-inf"), -.infinity)
        XCTAssertEqual(TidyCSV.parseNumber("1e-05"), 1e-5)
        XCTAssertTrue(TidyCSV.parseNumber("nan")?.isNaN ?? false)
        XCTAssertNil(TidyCSV.parseNumber(""))
        XCTAssertNil(TidyCSV.parseNumber("8.93e-07x"))
    }

    func testFieldsAreQuotedOnlyWhenTheyMustBeAndReadBack() throws {
        let row = ["plain", "a,b", "say \"hi\"", "two\nlines", ""]
        XCTAssertEqual(TidyCSV.line(row), "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",")
        XCTAssertEqual(TidyCSV.fields(Substring(TidyCSV.line(["x", "a,b", "q\"q"]))), ["x", "a,b", "q\"q"])
        let text = TidyCSV.text(header: ["a", "b", "c", "d", "e"], rows: [row])
        let table = try TidyCSV.parse(text)
        XCTAssertEqual(table.header, ["a", "b", "c", "d", "e"])
        XCTAssertEqual(table.rows, [row])
        XCTAssertEqual(table.lines, [2])
    }

    func testMalformedTablesNameTheirLine() {
        XCTAssertThrowsError(try TidyCSV.parse("a,b\n1,2\n3\n")) { XCTAssertEqual($0 as? TidyCSV.Failure, .malformed(line: 3, reason: "1 fields, but the header has 2")) }
        XCTAssertThrowsError(try TidyCSV.parse("a,a\n")) { XCTAssertEqual($0 as? TidyCSV.Failure, .malformed(line: 1, reason: "the column 'a' appears twice")) }
        guard case let .failure(bad) = TidyCSV.decode(Data("a\n1\n\u{FF}".utf8) + Data([0xFF])) else { return XCTFail("not refused") }
        XCTAssertEqual(bad, .malformed(line: 3, reason: "holds bytes that are not UTF-8: 'ÿ\\xFF'"))
    }
}
