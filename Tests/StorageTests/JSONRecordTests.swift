import Foundation
import Storage
import XCTest

/// The records result documents are built from: parts of one object, explicit nulls, non-finite numbers.
final class JSONRecordTests: XCTestCase {
    struct Head: Encodable { var version = "1"; @NullWhenAbsent var seed: UInt64? }
    struct Body: Encodable { var blasCore = "Haswell"; var note: String?; var ratio: NullWhenAbsent<Double>? }

    func testPartsAreWrittenAsOneObjectWithExplicitNulls() throws {
        let line = try JSONFormat.line(JSONObjectParts(Head(), nil as Body?, Body(ratio: NullWhenAbsent(wrappedValue: nil))))
        XCTAssertEqual(line, #"{"blas_core":"Haswell","ratio":null,"seed":null,"version":"1"}"#)
        XCTAssertEqual(try JSONFormat.line(Body()), #"{"blas_core":"Haswell"}"#)
        let merged = try XCTUnwrap(try JSONValue(encoding: Head(seed: 3)).merging(.object(["seed": .null, "x": .integer(1)])))
        XCTAssertEqual(try JSONFormat.line(merged), #"{"seed":null,"version":"1","x":1}"#)
        XCTAssertEqual(try JSONFormat.line([Double.nan], nonFinite: .named), #"["NaN"]"#)
        XCTAssertThrowsError(try JSONFormat.line([Double.nan]))
    }

    /// Records nested in hessian.json and bench-hessian's result were written by JSONSerialization after reading
    /// JSONEncoder's text; `ReadBackNumbers` writes the same bytes.
    func testReadBackNumbersMatchWhatJSONSerializationWroteBack() throws {
        struct Record: Encodable { var values: [Double]; var count: Int; var name = "a/b"; var seed: UInt64 = 12_345_678_901_234_567 }
        var state: UInt64 = 42
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 11 }
        var values: [Double] = [0, 1, 12, -0.5, 1e-5, 2.5e16, 1e16, 1.0176718677633168e-07, 56.939383715511084, -2.6458476422394302e-18,
                                1.7976931348623157e308, 5e-324, 123456.789, 0.30000000000000004]
        for _ in 0..<5000 {
            let mantissa = Double(next()) / Double(1 << 53) * (next() % 2 == 0 ? 1 : -1)
            values.append(mantissa * pow(10, Double(Int(next() % 60) - 30)))
        }
        let record = Record(values: values, count: 7)
        let encoder = JSONEncoder()
        let before = try JSONSerialization.data(withJSONObject: JSONSerialization.jsonObject(with: encoder.encode(record)),
                                                options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        XCTAssertEqual(String(decoding: try JSONFormat.file(ReadBackNumbers(record)), as: UTF8.self), String(decoding: before, as: UTF8.self))
    }
}
