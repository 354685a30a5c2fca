import Foundation
import Storage
import XCTest
@testable import BERT
import Numerics

final class SafetensorsTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("SafetensorsTests-\(getpid())-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: Helpers

    private func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// A hand-made file: length prefix, `header` verbatim, then `data`.
    private func rawFile(_ name: String, header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) throws -> URL {
        let headerBytes = Array(header.utf8)
        var image = Data()
        withUnsafeBytes(of: (declaredLength ?? UInt64(headerBytes.count)).littleEndian) { image.append(contentsOf: $0) }
        image.append(contentsOf: headerBytes)
        image.append(contentsOf: data)
        let fileURL = url(name)
        try image.write(to: fileURL)
        return fileURL
    }

    private func bytes<T>(_ values: [T]) -> [UInt8] {
        values.withUnsafeBytes { Array($0) }
    }

    /// Asserts that opening `fileURL` (or running `body`) throws exactly `expected`, and that its message names the file
    /// (and the tensor, if any).
    private func assertError(_ expected: CheckpointError, file: StaticString = #filePath, line: UInt = #line,
                             _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected \(expected)", file: file, line: line)
        } catch let error as CheckpointError {
            XCTAssertEqual(error, expected, file: file, line: line)
            XCTAssertTrue(error.description.contains(expected.file), "message lacks the file: \(error)", file: file, line: line)
            if let tensor = expected.tensor {
                XCTAssertTrue(error.description.contains(tensor), "message lacks the tensor: \(error)", file: file, line: line)
            }
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }

    private func assertHeaderError(_ fileURL: URL, reasonContains fragment: String,
                                   file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try SafetensorsFile(contentsOf: fileURL)
            XCTFail("expected a malformed header error", file: file, line: line)
        } catch let CheckpointError.malformedHeader(path, reason) {
            XCTAssertEqual(path, fileURL.path, file: file, line: line)
            XCTAssertTrue(reason.contains(fragment), "reason '\(reason)' lacks '\(fragment)'", file: file, line: line)
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }

    private func assertTensorError(_ fileURL: URL, tensor: String, reasonContains fragment: String,
                                   file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try SafetensorsFile(contentsOf: fileURL)
            XCTFail("expected a malformed tensor error", file: file, line: line)
        } catch let error as CheckpointError {
            guard case let .malformedTensor(path, name, reason) = error else {
                XCTFail("unexpected error \(error)", file: file, line: line)
                return
            }
            XCTAssertEqual(path, fileURL.path, file: file, line: line)
            XCTAssertEqual(name, tensor, file: file, line: line)
            XCTAssertTrue(reason.contains(fragment), "reason '\(reason)' lacks '\(fragment)'", file: file, line: line)
            XCTAssertTrue(error.description.contains(fileURL.path) && error.description.contains(tensor), file: file, line: line)
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }

    // MARK: Round trips

    func testRoundTripF32F64I64AndMetadata() throws {
        let f32: [Float] = [1.5, -2.25, .pi, 0, -0.0, .greatestFiniteMagnitude, .leastNonzeroMagnitude]
        let f64: [Double] = (0 ..< 12).map { Double($0) * 0.1 - 0.55 } + [.infinity, -.infinity, 1e-310, 1e300]
        let i64: [Int64] = [0, 1, -1, .max, .min, 42]
        let metadata = ["format": "pt", "note": "quote \" backslash \\ newline \n tab \t ü ✓", "empty": ""]

        var writer = SafetensorsWriter(metadata: metadata)
        writer.add("b.f32", shape: [7], values: f32)
        writer.add("a.f64", shape: [4, 4], values: f64)
        writer.add("c.i64", shape: [2, 3], integers: i64)
        writer.add("scalar", shape: [], values: [Double(7.25)])
        writer.add("empty", shape: [0, 3], values: [Float]())
        let fileURL = url("round.safetensors")
        try writer.write(to: fileURL)

        let file = try SafetensorsFile(contentsOf: fileURL)
        XCTAssertEqual(file.metadata, metadata)
        XCTAssertEqual(file.unusedBytes, 0)
        XCTAssertEqual(file.dataSectionOffset % 8, 0, "header is padded to a multiple of 8")
        // Insertion order is file order (the empty tensor sits at the end of the data).
        XCTAssertEqual(file.tensors.map(\.name), ["b.f32", "a.f64", "c.i64", "scalar", "empty"])

        XCTAssertEqual(file["b.f32"]?.dtype, .F32)
        XCTAssertEqual(file["b.f32"]?.shape, [7])
        XCTAssertEqual(file["b.f32"]?.byteRange, 0 ..< 28)
        XCTAssertEqual(file["a.f64"]?.dtype, .F64)
        XCTAssertEqual(file["a.f64"]?.shape, [4, 4])
        XCTAssertEqual(file["a.f64"]?.count, 16)
        XCTAssertEqual(file["c.i64"]?.dtype, .I64)
        XCTAssertEqual(file["scalar"]?.shape, [])
        XCTAssertEqual(file["scalar"]?.count, 1)
        XCTAssertEqual(file["empty"]?.count, 0)
        XCTAssertNil(file["nope"])

        let readF32: [Float] = try file.values("b.f32")
        XCTAssertEqual(readF32.map(\.bitPattern), f32.map(\.bitPattern))
        XCTAssertEqual(try file.values("a.f64", as: Double.self).map(\.bitPattern), f64.map(\.bitPattern))
        XCTAssertEqual(try file.integers("c.i64"), i64)
        XCTAssertEqual(try file.values("scalar", as: Double.self), [7.25])
        XCTAssertEqual(try file.values("empty", as: Float.self), [])

        // Cross-precision conversions.
        XCTAssertEqual(try file.values("b.f32", as: Double.self), f32.map(Double.init))
        XCTAssertEqual(try file.values("a.f64", as: Float.self), f64.map(Float.init))

        // copyValues
        var buffer = [Double](repeating: 0, count: 16)
        try buffer.withUnsafeMutableBufferPointer { try file.copyValues("a.f64", into: $0.baseAddress!, count: 16) }
        XCTAssertEqual(buffer, f64)
        var small = [Float](repeating: 0, count: 5)
        assertError(.shapeMismatch(file: fileURL.path, tensor: "b.f32", expected: [5], found: [7])) {
            try small.withUnsafeMutableBufferPointer { try file.copyValues("b.f32", into: $0.baseAddress!, count: 5) }
        }
    }

    func testHeaderIsSortedPaddedAndTensorsFollowInsertionOrder() throws {
        var writer = SafetensorsWriter(metadata: ["k": "v"])
        writer.add("z", shape: [1], values: [Float(1)])
        writer.add("A", shape: [1], values: [Double(2)])
        writer.add("m", shape: [1], integers: [3])
        let image = try writer.serialized()
        let length = image.withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        XCTAssertEqual(length % 8, 0)
        let header = String(decoding: image[8 ..< 8 + length], as: UTF8.self)
        let expected = #"{"A":{"data_offsets":[4,12],"dtype":"F64","shape":[1]},"#
            + #""__metadata__":{"k":"v"},"#
            + #""m":{"data_offsets":[12,20],"dtype":"I64","shape":[1]},"#
            + #""z":{"data_offsets":[0,4],"dtype":"F32","shape":[1]}}"#
        XCTAssertEqual(header.trimmingCharacters(in: .whitespaces), expected)
        XCTAssertTrue(header.hasPrefix(expected) && header.dropFirst(expected.count).allSatisfy { $0 == " " })
        XCTAssertEqual(image.count, 8 + length + 20)
    }

    func testWriterIsAtomicAndLeavesNoTemporaryFile() throws {
        let fileURL = url("atomic.safetensors")
        var first = SafetensorsWriter()
        first.add("x", shape: [2], values: [Float(1), 2])
        try first.write(to: fileURL)
        var second = SafetensorsWriter()
        second.add("y", shape: [3], values: [Double(1), 2, 3])
        try second.write(to: fileURL)   // replaces the first

        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["atomic.safetensors"])
        let file = try SafetensorsFile(contentsOf: fileURL)
        XCTAssertEqual(file.tensors.map(\.name), ["y"])
        XCTAssertEqual(try file.values("y", as: Double.self), [1, 2, 3])

        // A failing write (missing directory) leaves nothing behind either and names the file.
        let missing = directory.appendingPathComponent("no-such-dir/out.safetensors")
        do {
            try second.write(to: missing)
            XCTFail("expected an error")
        } catch let StorageError.unwritable(path, reason) {
            XCTAssertEqual(path, missing.path)
            XCTAssertEqual(reason, "No such file or directory")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["atomic.safetensors"])
    }

    func testWriterReportsMistakesMadeWhileAdding() throws {
        let fileURL = url("bad-writer.safetensors")
        var duplicate = SafetensorsWriter()
        duplicate.add("w", shape: [1], values: [Float(1)])
        duplicate.add("w", shape: [1], values: [Float(2)])
        assertError(.malformedTensor(file: fileURL.path, tensor: "w", reason: "it was added twice")) {
            try duplicate.write(to: fileURL)
        }
        var wrongCount = SafetensorsWriter()
        wrongCount.add("v", shape: [2, 2], values: [Double(1), 2, 3])
        assertError(.malformedTensor(file: fileURL.path, tensor: "v", reason: "shape [2, 2] has 4 elements but 3 values were given")) {
            try wrongCount.write(to: fileURL)
        }
        var reserved = SafetensorsWriter()
        reserved.add("__metadata__", shape: [1], integers: [1])
        XCTAssertThrowsError(try reserved.write(to: fileURL))
        XCTAssertFalse(FileManager.default.fileExists(atPath: fileURL.path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
    }

    // MARK: Half precision

    func testHalfPrecisionConversionIsBitExact() {
        let f16: [(UInt16, Float)] = [
            (0x0000, 0), (0x3C00, 1), (0xBC00, -1), (0x4000, 2), (0x3555, 0.333251953125),
            (0x7BFF, 65504), (0xFBFF, -65504), (0x0400, 0x1p-14),             // largest finite, smallest normal
            (0x0001, 0x1p-24), (0x03FF, 0x1.ff8p-15), (0x8001, -0x1p-24),     // subnormals
            (0x7C00, .infinity), (0xFC00, -.infinity), (0x3E00, 1.5), (0xC500, -5),
        ]
        for (bits, expected) in f16 {
            XCTAssertEqual(HalfPrecision.float(fromF16Bits: bits).bitPattern, expected.bitPattern, "F16 0x\(String(bits, radix: 16))")
        }
        let negativeZero = HalfPrecision.float(fromF16Bits: 0x8000)
        XCTAssertEqual(negativeZero, 0)
        XCTAssertEqual(negativeZero.sign, .minus)
        let nan = HalfPrecision.float(fromF16Bits: 0x7E00)
        XCTAssertTrue(nan.isNaN && !nan.isSignalingNaN)
        XCTAssertEqual(nan.bitPattern, 0x7FC0_0000)
        let signaling = HalfPrecision.float(fromF16Bits: 0xFC01)
        XCTAssertEqual(signaling.bitPattern, 0xFF80_2000, "sign and payload kept")

        // Every finite F16 value: compare with exact arithmetic (mantissa × 2^exponent).
        for bits in UInt16(0) ... UInt16.max {
            let exponent = Int(bits >> 10) & 0x1F
            guard exponent != 0x1F else { continue }
            let mantissa = Float(bits & 0x3FF)
            var value = exponent == 0 ? mantissa * 0x1p-24 : (1 + mantissa / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
            if bits & 0x8000 != 0 { value = -value }
            XCTAssertEqual(HalfPrecision.float(fromF16Bits: bits).bitPattern, value.bitPattern)
        }

        let bf16: [(UInt16, Float)] = [
            (0x0000, 0), (0x3F80, 1), (0xBF80, -1), (0x4049, 3.140625), (0x7F7F, 0x1.fep127),
            (0x0080, 0x1p-126), (0x0001, 0x1p-133), (0x7F80, .infinity), (0xFF80, -.infinity), (0xC2F7, -123.5),
        ]
        for (bits, expected) in bf16 {
            XCTAssertEqual(HalfPrecision.float(fromBF16Bits: bits).bitPattern, expected.bitPattern, "BF16 0x\(String(bits, radix: 16))")
        }
        XCTAssertTrue(HalfPrecision.float(fromBF16Bits: 0x7FC0).isNaN)
    }

    func testReadingHandMadeF16BF16AndIntegerTensors() throws {
        let f16: [UInt16] = [0x3C00, 0xC000, 0x0001, 0x7C00, 0x3555, 0x8000]
        let bf16: [UInt16] = [0x3F80, 0x4049, 0xFF80, 0x0001]
        let i32: [Int32] = [-7, 0, 2_000_000_000]
        let i16: [Int16] = [-300, 300]
        let i8: [Int8] = [-128, 127]
        let u8: [UInt8] = [0, 255]
        let bools: [UInt8] = [0, 1, 1]
        var data = bytes(f16)                      // 0..<12
        data += bytes(bf16)                        // 12..<20
        data += bytes(i32)                         // 20..<32
        data += bytes(i16)                         // 32..<36
        data += bytes(i8) + u8 + bools             // 36..<38, 38..<40, 40..<43
        let header = """
        {"h":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]},
         "b":{"dtype":"BF16","shape":[4],"data_offsets":[12,20]},
         "i32":{"dtype":"I32","shape":[3],"data_offsets":[20,32]},
         "i16":{"dtype":"I16","shape":[2],"data_offsets":[32,36]},
         "i8":{"dtype":"I8","shape":[2],"data_offsets":[36,38]},
         "u8":{"dtype":"U8","shape":[2],"data_offsets":[38,40]},
         "flags":{"dtype":"BOOL","shape":[3],"data_offsets":[40,43]}}
        """
        let fileURL = try rawFile("half.safetensors", header: header, data: data)
        let file = try SafetensorsFile(contentsOf: fileURL)
        XCTAssertTrue(file.metadata.isEmpty)
        XCTAssertEqual(file.tensors.map(\.name), ["h", "b", "i32", "i16", "i8", "u8", "flags"])

        let h = try file.values("h", as: Float.self)
        XCTAssertEqual(Array(h[0 ..< 5]), [1, -2, 0x1p-24, .infinity, 0.333251953125])
        XCTAssertEqual(h[5].sign, .minus)
        XCTAssertEqual(try file.values("h", as: Double.self)[2], 0x1p-24)
        XCTAssertEqual(try file.values("b", as: Float.self), [1, 3.140625, -.infinity, 0x1p-133])
        XCTAssertEqual(try file.values("b", as: Double.self), [1, 3.140625, -.infinity, 0x1p-133])

        XCTAssertEqual(try file.integers("i32"), [-7, 0, 2_000_000_000])
        XCTAssertEqual(try file.integers("i16"), [-300, 300])
        XCTAssertEqual(try file.integers("i8"), [-128, 127])
        XCTAssertEqual(try file.integers("u8"), [0, 255])
        XCTAssertEqual(try file.integers("flags"), [0, 1, 1])

        let path = fileURL.path
        assertError(.unsupportedDType(file: path, tensor: "i32", dtype: "I32")) { _ = try file.values("i32", as: Float.self) }
        assertError(.unsupportedDType(file: path, tensor: "flags", dtype: "BOOL")) { _ = try file.values("flags", as: Double.self) }
        assertError(.unsupportedDType(file: path, tensor: "h", dtype: "F16")) { _ = try file.integers("h") }
        assertError(.missingTensor(file: path, tensor: "absent")) { _ = try file.values("absent", as: Float.self) }
        assertError(.missingTensor(file: path, tensor: "absent")) { _ = try file.integers("absent") }
        var out = [Float](repeating: 0, count: 1)
        assertError(.missingTensor(file: path, tensor: "absent")) {
            try out.withUnsafeMutableBufferPointer { try file.copyValues("absent", into: $0.baseAddress!, count: 1) }
        }
    }

    func testUnalignedDataSectionAndHolesAreAccepted() throws {
        // Header length 3 mod 8: every F64 load is unaligned; a 4-byte hole sits between the tensors.
        let values: [Double] = [1.25, -3.5]
        var header = #"{"x":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"y":{"dtype":"F64","shape":[1],"data_offsets":[12,20]}}"#
        while header.utf8.count % 8 != 3 { header += " " }
        let data = bytes([values[0]]) + [0, 0, 0, 0] + bytes([values[1]]) + [9, 9]
        let file = try SafetensorsFile(contentsOf: try rawFile("holes.safetensors", header: header, data: data))
        XCTAssertEqual(try file.values("x", as: Double.self), [1.25])
        XCTAssertEqual(try file.values("y", as: Double.self), [-3.5])
        XCTAssertEqual(try file.values("y", as: Float.self), [-3.5])
        XCTAssertEqual(file.unusedBytes, 6)
        XCTAssertEqual(file.dataSectionLength, 22)
    }

    // MARK: Malformed files

    func testMalformedHeaders() throws {
        let short = url("short.safetensors")
        try Data([1, 2, 3]).write(to: short)
        assertHeaderError(short, reasonContains: "shorter than the 8-byte header length")

        let empty = url("empty.safetensors")
        try Data().write(to: empty)
        assertHeaderError(empty, reasonContains: "0 bytes long")

        assertHeaderError(try rawFile("past-eof.safetensors", header: "{}", declaredLength: 100),
                          reasonContains: "runs past the end of the file")
        assertHeaderError(try rawFile("huge.safetensors", header: "{}", declaredLength: .max),
                          reasonContains: "runs past the end of the file")
        assertHeaderError(try rawFile("not-json.safetensors", header: #"{"a": {"dtype": "F32""#),
                          reasonContains: "not valid JSON")
        assertHeaderError(try rawFile("array.safetensors", header: "[1, 2]"), reasonContains: "not an object")
        assertHeaderError(try rawFile("string.safetensors", header: #""hello""#), reasonContains: "not an object")
        assertHeaderError(try rawFile("metadata-type.safetensors", header: #"{"__metadata__": [1]}"#),
                          reasonContains: "\"__metadata__\" is not an object")
        assertHeaderError(try rawFile("metadata-value.safetensors", header: #"{"__metadata__": {"k": 1}}"#),
                          reasonContains: "\"__metadata__\" entry \"k\" is not a string")

        let badUTF8 = url("utf8.safetensors")
        var image = Data()
        withUnsafeBytes(of: UInt64(4).littleEndian) { image.append(contentsOf: $0) }
        image.append(contentsOf: [0x7B, 0xFF, 0xFE, 0x7D])
        try image.write(to: badUTF8)
        assertHeaderError(badUTF8, reasonContains: "not valid UTF-8")

        // An empty header object is a valid (empty) file.
        let none = try SafetensorsFile(contentsOf: try rawFile("none.safetensors", header: "{}    "))
        XCTAssertTrue(none.tensors.isEmpty)
    }

    func testUnreadableFile() {
        let missing = url("does-not-exist.safetensors")
        do {
            _ = try SafetensorsFile(contentsOf: missing)
            XCTFail("expected an error")
        } catch let error as CheckpointError {
            guard case .unreadable(let path, _) = error else { return XCTFail("unexpected \(error)") }
            XCTAssertEqual(path, missing.path)
            XCTAssertTrue(error.description.contains(missing.path))
        } catch {
            XCTFail("unexpected \(error)")
        }
    }

    func testMalformedTensorEntries() throws {
        let eight = [UInt8](repeating: 0, count: 8)
        func entry(_ body: String) -> String { "{\"ok\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]},\"t\":\(body)}" }
        let cases: [(String, String, [UInt8], String)] = [
            ("not-object", entry("[1]"), eight, "not an object"),
            ("no-dtype", entry(#"{"shape":[2],"data_offsets":[0,8]}"#), eight, "\"dtype\" is missing"),
            ("dtype-type", entry(#"{"dtype":4,"shape":[2],"data_offsets":[0,8]}"#), eight, "\"dtype\" is not a string"),
            ("no-shape", entry(#"{"dtype":"F32","data_offsets":[0,8]}"#), eight, "\"shape\" is missing"),
            ("shape-type", entry(#"{"dtype":"F32","shape":"2","data_offsets":[0,8]}"#), eight, "\"shape\" is not an array"),
            ("shape-float", entry(#"{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}"#), eight, "not a non-negative integer"),
            ("shape-negative", entry(#"{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}"#), eight, "not a non-negative integer"),
            ("shape-bool", entry(#"{"dtype":"F32","shape":[true],"data_offsets":[0,8]}"#), eight, "not a non-negative integer"),
            ("no-offsets", entry(#"{"dtype":"F32","shape":[2]}"#), eight, "\"data_offsets\" is missing"),
            ("offsets-type", entry(#"{"dtype":"F32","shape":[2],"data_offsets":"0-8"}"#), eight, "not an array of two integers"),
            ("offsets-three", entry(#"{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}"#), eight, "not an array of two integers"),
            ("offsets-string", entry(#"{"dtype":"F32","shape":[2],"data_offsets":["0",8]}"#), eight, "not an array of two integers"),
            ("offsets-negative", entry(#"{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}"#), eight, "is negative"),
            ("end-before-begin", entry(#"{"dtype":"F32","shape":[2],"data_offsets":[8,0]}"#), eight, "is before begin"),
            ("out-of-range", entry(#"{"dtype":"F32","shape":[2],"data_offsets":[4,12]}"#), eight, "past the end of the data section"),
            ("too-few-bytes", entry(#"{"dtype":"F32","shape":[3],"data_offsets":[0,8]}"#), eight, "spans 8 bytes"),
            ("too-many-bytes", entry(#"{"dtype":"F64","shape":[2],"data_offsets":[0,8]}"#), eight, "needs 2 × 8 bytes"),
            ("overflow", entry(#"{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}"#), eight, "overflows"),
        ]
        for (name, header, data, fragment) in cases {
            assertTensorError(try rawFile("\(name).safetensors", header: header, data: data), tensor: "t", reasonContains: fragment)
        }

        let unknown = try rawFile("unknown-dtype.safetensors",
                                  header: entry(#"{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}"#), data: eight)
        assertError(.unsupportedDType(file: unknown.path, tensor: "t", dtype: "F8_E4M3")) {
            _ = try SafetensorsFile(contentsOf: unknown)
        }
    }

    func testOverlappingTensorsAreRejected() throws {
        let data = [UInt8](repeating: 0, count: 16)
        let overlap = try rawFile("overlap.safetensors", header: """
            {"first":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},
             "second":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},
             "third":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}
            """, data: data)
        assertTensorError(overlap, tensor: "second", reasonContains: "overlap those of tensor 'first'")

        let same = try rawFile("same.safetensors", header: """
            {"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"b":{"dtype":"F64","shape":[],"data_offsets":[0,8]}}
            """, data: data)
        assertTensorError(same, tensor: "b", reasonContains: "overlap those of tensor 'a'")

        // Contained range.
        let inside = try rawFile("inside.safetensors", header: """
            {"big":{"dtype":"U8","shape":[16],"data_offsets":[0,16]},"small":{"dtype":"I16","shape":[2],"data_offsets":[6,10]}}
            """, data: data)
        assertTensorError(inside, tensor: "small", reasonContains: "overlap those of tensor 'big'")

        // Empty tensors never overlap anything.
        let empties = try rawFile("empties.safetensors", header: """
            {"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"e":{"dtype":"F32","shape":[0],"data_offsets":[8,8]},
             "f":{"dtype":"F64","shape":[2,0],"data_offsets":[8,8]}}
            """, data: data)
        XCTAssertEqual(try SafetensorsFile(contentsOf: empties).tensors.count, 3)
    }

    // MARK: Committed PyTorch fixtures (Tests/Fixtures/*/make_fixture.py)

    private static let fixturesDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    func testCommittedFixturesAreReadableAndConsistent() throws {
        for (variant, labels) in [("tiny-bert", 3), ("tiny-bert-regression", 1)] {
            let folder = Self.fixturesDirectory.appendingPathComponent(variant)
            let model = try SafetensorsFile(contentsOf: folder.appendingPathComponent("model.safetensors"))
            let reference = try SafetensorsFile(contentsOf: folder.appendingPathComponent("reference.safetensors"))
            XCTAssertEqual(model.unusedBytes, 0)
            XCTAssertEqual(model.tensors.count, 41, variant)
            XCTAssertNil(model["bert.embeddings.position_ids"])
            XCTAssertEqual(model["bert.embeddings.word_embeddings.weight"]?.shape, [50, 16])
            XCTAssertEqual(model["bert.encoder.layer.1.intermediate.dense.weight"]?.shape, [24, 16])
            XCTAssertEqual(model["classifier.weight"]?.shape, [labels, 16])
            for tensor in model.tensors {
                XCTAssertEqual(tensor.dtype, .F64, tensor.name)
                let gradient = try XCTUnwrap(reference["grad." + tensor.name], "grad.\(tensor.name)")
                XCTAssertEqual(gradient.shape, tensor.shape, tensor.name)
                XCTAssertEqual(gradient.dtype, .F64)
            }
            for name in ["input_ids", "attention_mask", "token_type_ids"] {
                XCTAssertEqual(reference[name]?.shape, [3, 8], name)
                XCTAssertEqual(reference[name]?.dtype, .I64, name)
            }
            XCTAssertEqual(try reference.integers("attention_mask").reduce(0, +), 8 + 6 + 7)
            for layer in 0 ... 2 { XCTAssertEqual(reference["hidden_states.\(layer)"]?.shape, [3, 8, 16]) }
            for layer in 0 ... 1 { XCTAssertEqual(reference["attention_probs.\(layer)"]?.shape, [3, 2, 8, 8]) }
            XCTAssertEqual(reference["pooled"]?.shape, [3, 16])
            XCTAssertEqual(reference["logits"]?.shape, [3, labels])
            XCTAssertEqual(reference["loss"]?.shape, [])
            XCTAssertEqual(reference["labels"]?.dtype, labels == 1 ? .F64 : .I64)
            let loss = try reference.values("loss", as: Double.self)
            XCTAssertEqual(loss.count, 1)
            XCTAssertTrue(loss[0].isFinite && loss[0] > 0)

            let configURL = folder.appendingPathComponent("config.json")
            let config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
            XCTAssertEqual(config["hidden_size"] as? Int, 16)
            XCTAssertEqual(config["num_hidden_layers"] as? Int, 2)
            XCTAssertEqual(config["hidden_act"] as? String, "gelu")
            XCTAssertEqual((config["id2label"] as? [String: Any])?.count, labels)
        }
    }

    func testErrorDescriptionsNameFileAndTensor() {
        let errors: [CheckpointError] = [
            .unreadable(file: "/m/a.safetensors", reason: "no such file"),
            .malformedHeader(file: "/m/a.safetensors", reason: "bad"),
            .malformedTensor(file: "/m/a.safetensors", tensor: "w.weight", reason: "bad"),
            .missingTensor(file: "/m/a.safetensors", tensor: "w.weight"),
            .shapeMismatch(file: "/m/a.safetensors", tensor: "w.weight", expected: [2, 3], found: [3, 2]),
            .unsupportedDType(file: "/m/a.safetensors", tensor: "w.weight", dtype: "U64"),
            .badConfig(file: "/m/config.json", reason: "hidden_size is missing"),
        ]
        for error in errors {
            XCTAssertTrue(error.description.contains(error.file), error.description)
            if let tensor = error.tensor { XCTAssertTrue(error.description.contains(tensor), error.description) }
            XCTAssertTrue(error.description.hasSuffix("."))
        }
        XCTAssertEqual(errors[4].description,
                       "Tensor 'w.weight' in checkpoint file '/m/a.safetensors' has shape [3, 2], expected [2, 3].")
    }
}

final class SHA256Tests: XCTestCase {
    func testKnownDigests() {
        XCTAssertEqual(SHA256.hex(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let million = Data(repeating: UInt8(ascii: "a"), count: 1_000_000)
        XCTAssertEqual(SHA256.hex(million), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // chunked updates give the same digest
        var s = SHA256()
        for i in stride(from: 0, to: million.count, by: 777) { s.update(million[i..<min(million.count, i + 777)]) }
        XCTAssertEqual(s.finalize(), SHA256.hex(million))
    }
}
