import Foundation
import Storage
import Numerics

// safetensors (https://github.com/huggingface/safetensors) file layout:
//
//   [8 bytes]  N, little-endian UInt64: the header's length in bytes
//   [N bytes]  UTF-8 JSON object:
//                { "<tensor name>": { "dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end] },
//                  ...,
//                  "__metadata__": { "<key>": "<string value>", ... } }      (optional)
//   [rest]     the data section; every tensor's [begin, end) is relative to its start, elements are
//              little-endian and row-major (C order).
//
// The reader validates the whole header up front (see `SafetensorsFile.init(contentsOf:)`), so the typed
// accessors can trust the ranges. Gaps between tensors ("holes") are tolerated (reported by
// `SafetensorsFile.unusedBytes`), overlapping tensors are not.

/// Element types of the safetensors format that this package understands.
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case F16, BF16, F32, F64, I8, U8, I16, I32, I64, BOOL

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .I8, .U8, .BOOL: return 1
        case .F16, .BF16, .I16: return 2
        case .F32, .I32: return 4
        case .F64, .I64: return 8
        }
    }

    /// Whether `SafetensorsFile.values(_:as:)` can convert this dtype to a `BLASReal`.
    public var isFloatingPoint: Bool {
        switch self {
        case .F16, .BF16, .F32, .F64: return true
        case .I8, .U8, .I16, .I32, .I64, .BOOL: return false
        }
    }
}

/// One tensor's header entry.
public struct SafetensorsTensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: SafetensorsDType
    /// Row-major shape; `[]` is a scalar (one element).
    public let shape: [Int]
    /// Byte range relative to the start of the data section (the header's `data_offsets`).
    /// Add `SafetensorsFile.dataSectionOffset` for a position in the file.
    public let byteRange: Range<Int>

    /// Number of elements (the product of `shape`; 1 for a scalar).
    public var count: Int { shape.reduce(1, *) }

    public init(name: String, dtype: SafetensorsDType, shape: [Int], byteRange: Range<Int>) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.byteRange = byteRange
    }
}

/// A safetensors file, memory-mapped, with a fully validated header.
public struct SafetensorsFile: @unchecked Sendable {
    /// Header length limit (the reference implementation uses the same 100 MB bound).
    public static let maximumHeaderLength = 100_000_000

    public let url: URL
    /// The header's `__metadata__` object (empty if absent).
    public let metadata: [String: String]
    /// All tensors, sorted by their position in the data section.
    public let tensors: [SafetensorsTensorInfo]
    /// Position of the data section in the file (8 + header length).
    public let dataSectionOffset: Int
    /// Size of the data section in bytes.
    public let dataSectionLength: Int
    /// Bytes of the data section covered by no tensor (gaps and trailing bytes); 0 for files written by
    /// the reference implementation or by `SafetensorsWriter`.
    public let unusedBytes: Int

    private let data: Data
    private let index: [String: Int]

    /// The path used in error messages.
    private var file: String { url.path }

    /// Maps the file and validates its header: the length prefix, the JSON, every tensor entry (dtype, shape,
    /// offsets, byte length = element count × dtype size, inside the data section) and that no two tensors overlap.
    /// - Throws: `CheckpointError` naming the file and, for a bad entry, the tensor.
    public init(contentsOf url: URL) throws {
        let file = url.path
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw CheckpointError.unreadable(file: file, reason: IOErrorText.reason(error))
        }
        try self.init(url: url, data: data)
    }

    /// Parses a safetensors image that is already in memory; `url` is only used to name the file in errors.
    public init(url: URL, data: Data) throws {
        let file = url.path
        guard data.count >= 8 else {
            throw CheckpointError.malformedHeader(
                file: file, reason: "the file is \(data.count) bytes long, shorter than the 8-byte header length")
        }
        let headerLength64: UInt64 = data.withUnsafeBytes {
            UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        }
        let available = data.count - 8
        guard headerLength64 <= UInt64(available) else {
            throw CheckpointError.malformedHeader(
                file: file, reason: "the header length \(headerLength64) runs past the end of the file (\(available) bytes follow the length)")
        }
        let headerLength = Int(headerLength64)
        guard headerLength <= Self.maximumHeaderLength else {
            throw CheckpointError.malformedHeader(
                file: file, reason: "the header length \(headerLength) exceeds the limit of \(Self.maximumHeaderLength) bytes")
        }
        let start = data.startIndex
        let headerBytes = data[(start + 8) ..< (start + 8 + headerLength)]
        guard String(data: headerBytes, encoding: .utf8) != nil else {
            throw CheckpointError.malformedHeader(file: file, reason: "the header is not valid UTF-8")
        }
        let json: JSONValue
        do {
            json = try JSONDecoder().decode(JSONValue.self, from: Data(headerBytes))
        } catch {
            throw CheckpointError.malformedHeader(file: file, reason: "the header is not valid JSON")
        }
        guard case .object(let entries) = json else {
            throw CheckpointError.malformedHeader(file: file, reason: "the header JSON is not an object")
        }

        let dataSectionOffset = 8 + headerLength
        let dataSectionLength = data.count - dataSectionOffset
        var metadata: [String: String] = [:]
        var tensors: [SafetensorsTensorInfo] = []
        tensors.reserveCapacity(entries.count)

        // Sorted names: the same malformed file always reports the same first error.
        for name in entries.keys.sorted() {
            let value = entries[name]!
            if name == "__metadata__" {
                guard case .object(let fields) = value else {
                    throw CheckpointError.malformedHeader(file: file, reason: "\"__metadata__\" is not an object")
                }
                for (key, field) in fields {
                    guard case .string(let text) = field else {
                        throw CheckpointError.malformedHeader(
                            file: file, reason: "\"__metadata__\" entry \"\(key)\" is not a string")
                    }
                    metadata[key] = text
                }
                continue
            }
            tensors.append(try Self.parseTensor(name: name, value: value, file: file, dataSectionLength: dataSectionLength))
        }

        tensors.sort {
            ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.name) < ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.name)
        }
        var covered = 0
        var previous: SafetensorsTensorInfo?
        for tensor in tensors where !tensor.byteRange.isEmpty {
            if let previous, tensor.byteRange.lowerBound < previous.byteRange.upperBound {
                throw CheckpointError.malformedTensor(
                    file: file, tensor: tensor.name,
                    reason: "its bytes \(Self.format(tensor.byteRange)) overlap those of tensor '\(previous.name)' \(Self.format(previous.byteRange))")
            }
            covered += tensor.byteRange.count
            previous = tensor
        }

        self.url = url
        self.metadata = metadata
        self.tensors = tensors
        self.dataSectionOffset = dataSectionOffset
        self.dataSectionLength = dataSectionLength
        self.unusedBytes = dataSectionLength - covered
        self.data = data
        var index: [String: Int] = [:]
        for (position, tensor) in tensors.enumerated() { index[tensor.name] = position }
        self.index = index
    }

    /// The named tensor's header entry, or nil.
    public subscript(name: String) -> SafetensorsTensorInfo? {
        index[name].map { tensors[$0] }
    }

    /// Names of all tensors in file order.
    public var names: [String] { tensors.map(\.name) }

    // MARK: Typed access

    /// The tensor's elements converted to `T` (F16, BF16, F32, F64; the float-to-float conversions are exact
    /// except F64 → Float, which rounds to nearest).
    /// - Throws: `.missingTensor`, or `.unsupportedDType` for an integer or boolean tensor.
    public func values<T: BLASReal>(_ name: String, as: T.Type = T.self) throws -> [T] {
        let info = try floatingInfo(name)
        let count = info.count
        if count == 0 { return [] }
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            convert(info, into: buffer.baseAddress!)
            initialized = count
        }
    }

    /// Like `values(_:as:)`, but writes into `destination`, which must hold exactly the tensor's element count.
    /// - Throws: `.missingTensor`, `.unsupportedDType`, or `.shapeMismatch` (expected `[count]`) if the counts differ.
    public func copyValues<T: BLASReal>(_ name: String, into destination: UnsafeMutablePointer<T>, count: Int) throws {
        let info = try floatingInfo(name)
        guard info.count == count else {
            throw CheckpointError.shapeMismatch(file: file, tensor: name, expected: [count], found: info.shape)
        }
        if count == 0 { return }
        convert(info, into: destination)
    }

    /// The tensor's elements as `Int64` (I64, I32, I16, I8, U8; BOOL gives 0 or 1).
    /// - Throws: `.missingTensor`, or `.unsupportedDType` for a floating-point tensor.
    public func integers(_ name: String) throws -> [Int64] {
        let info = try info(name)
        guard !info.dtype.isFloatingPoint else {
            throw CheckpointError.unsupportedDType(file: file, tensor: name, dtype: info.dtype.rawValue)
        }
        let count = info.count
        if count == 0 { return [] }
        return withTensorBytes(info) { base in
            [Int64](unsafeUninitializedCapacity: count) { out, initialized in
                switch info.dtype {
                case .I64:
                    for i in 0 ..< count { out[i] = Int64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)) }
                case .I32:
                    for i in 0 ..< count { out[i] = Int64(Int32(littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self))) }
                case .I16:
                    for i in 0 ..< count { out[i] = Int64(Int16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: Int16.self))) }
                case .I8:
                    for i in 0 ..< count { out[i] = Int64(base.load(fromByteOffset: i, as: Int8.self)) }
                case .U8:
                    for i in 0 ..< count { out[i] = Int64(base.load(fromByteOffset: i, as: UInt8.self)) }
                case .BOOL:
                    for i in 0 ..< count { out[i] = base.load(fromByteOffset: i, as: UInt8.self) == 0 ? 0 : 1 }
                case .F16, .BF16, .F32, .F64:
                    preconditionFailure("unreachable: floating dtype rejected above")
                }
                initialized = count
            }
        }
    }

    /// The tensor's raw little-endian bytes.
    public func rawBytes(_ name: String) throws -> Data {
        let info = try info(name)
        let start = data.startIndex + dataSectionOffset
        return Data(data[(start + info.byteRange.lowerBound) ..< (start + info.byteRange.upperBound)])
    }

    // MARK: Internals

    private func info(_ name: String) throws -> SafetensorsTensorInfo {
        guard let info = self[name] else { throw CheckpointError.missingTensor(file: file, tensor: name) }
        return info
    }

    private func floatingInfo(_ name: String) throws -> SafetensorsTensorInfo {
        let info = try info(name)
        guard info.dtype.isFloatingPoint else {
            throw CheckpointError.unsupportedDType(file: file, tensor: name, dtype: info.dtype.rawValue)
        }
        return info
    }

    private func withTensorBytes<R>(_ info: SafetensorsTensorInfo, _ body: (UnsafeRawPointer) -> R) -> R {
        data.withUnsafeBytes { raw in
            body(raw.baseAddress! + dataSectionOffset + info.byteRange.lowerBound)
        }
    }

    /// Converts a floating-point tensor's bytes into `destination`: a copy when the file holds `T` itself, an
    /// element-wise conversion otherwise (specialized for Float and Double, the two model types).
    @_specialize(where T == Float)
    @_specialize(where T == Double)
    private func convert<T: BLASReal>(_ info: SafetensorsTensorInfo, into out: UnsafeMutablePointer<T>) {
        let count = info.count
        withTensorBytes(info) { base in
            func bits<B: FixedWidthInteger>(_: B.Type, _ i: Int) -> B {
                B(littleEndian: base.loadUnaligned(fromByteOffset: MemoryLayout<B>.size * i, as: B.self))
            }
            #if _endian(little)
            if (info.dtype == .F32 && T.self == Float.self) || (info.dtype == .F64 && T.self == Double.self) {
                UnsafeMutableRawPointer(out).copyMemory(from: base, byteCount: MemoryLayout<T>.size * count)
                return
            }
            #endif
            switch info.dtype {
            case .F32: for i in 0 ..< count { out[i] = T(Float(bitPattern: bits(UInt32.self, i))) }
            case .F64: for i in 0 ..< count { out[i] = T(Double(bitPattern: bits(UInt64.self, i))) }
            case .F16: for i in 0 ..< count { out[i] = T(HalfPrecision.float(fromF16Bits: bits(UInt16.self, i))) }
            case .BF16: for i in 0 ..< count { out[i] = T(HalfPrecision.float(fromBF16Bits: bits(UInt16.self, i))) }
            case .I8, .U8, .I16, .I32, .I64, .BOOL:
                preconditionFailure("unreachable: integer dtype rejected by floatingInfo")
            }
        }
    }

    private static func parseTensor(name: String, value: JSONValue, file: String, dataSectionLength: Int) throws -> SafetensorsTensorInfo {
        func bad(_ reason: String) -> CheckpointError { .malformedTensor(file: file, tensor: name, reason: reason) }
        guard case .object(let fields) = value else { throw bad("its header entry is not an object") }

        guard let dtypeValue = fields["dtype"] else { throw bad("\"dtype\" is missing") }
        guard case .string(let dtypeName) = dtypeValue else { throw bad("\"dtype\" is not a string") }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw CheckpointError.unsupportedDType(file: file, tensor: name, dtype: dtypeName)
        }

        guard let shapeValue = fields["shape"] else { throw bad("\"shape\" is missing") }
        guard case .array(let shapeItems) = shapeValue else { throw bad("\"shape\" is not an array") }
        var shape: [Int] = []
        shape.reserveCapacity(shapeItems.count)
        for item in shapeItems {
            guard case .integer(let dimension) = item, dimension >= 0 else {
                throw bad("\"shape\" has an entry that is not a non-negative integer")
            }
            shape.append(dimension)
        }

        guard let offsetsValue = fields["data_offsets"] else { throw bad("\"data_offsets\" is missing") }
        guard case .array(let offsetItems) = offsetsValue, offsetItems.count == 2,
              case .integer(let begin) = offsetItems[0], case .integer(let end) = offsetItems[1] else {
            throw bad("\"data_offsets\" is not an array of two integers")
        }
        guard begin >= 0 else { throw bad("\"data_offsets\" begin \(begin) is negative") }
        guard end >= begin else { throw bad("\"data_offsets\" end \(end) is before begin \(begin)") }
        guard end <= dataSectionLength else {
            throw bad("\"data_offsets\" [\(begin), \(end)] run past the end of the data section (\(dataSectionLength) bytes)")
        }

        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw bad("the element count of shape \(shape) overflows") }
            count = product
        }
        let (expectedBytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, expectedBytes == end - begin else {
            throw bad("it spans \(end - begin) bytes but shape \(shape) of \(dtype.rawValue) needs \(count) × \(dtype.byteSize) bytes")
        }
        return SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape, byteRange: begin ..< end)
    }

    private static func format(_ range: Range<Int>) -> String { "[\(range.lowerBound), \(range.upperBound))" }

}
