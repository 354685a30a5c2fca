import Foundation
import Storage
import Numerics
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds a safetensors file in memory and writes it atomically.
///
/// Tensors are laid out in insertion order without gaps; the header JSON has its keys sorted and is padded
/// with spaces to a multiple of 8 bytes, so every tensor's data is 8-byte aligned in the file.
/// Mistakes made while adding (duplicate names, a value count that differs from the shape's element count,
/// negative dimensions) are reported by `write(to:)`.
public struct SafetensorsWriter {
    private struct Entry {
        let name: String
        let dtype: SafetensorsDType
        let shape: [Int]
        let bytes: Data
    }

    public var metadata: [String: String]
    private var entries: [Entry] = []
    private var names: Set<String> = []
    /// The first problem met while adding: (tensor, reason).
    private var pendingError: (tensor: String, reason: String)?

    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// Names added so far, in insertion (= file) order.
    public var tensorNames: [String] { entries.map(\.name) }

    /// Bytes of tensor data added so far: the file's data section (the file is this plus the 8-byte length and the
    /// padded header).
    public var dataByteCount: Int { entries.reduce(0) { $0 + $1.bytes.count } }

    /// Adds a floating-point tensor stored as `T.dtypeName` ("F32" or "F64").
    public mutating func add<T: BLASReal>(_ name: String, shape: [Int], values: UnsafeBufferPointer<T>) {
        guard let dtype = SafetensorsDType(rawValue: T.dtypeName), dtype.isFloatingPoint,
              dtype.byteSize == MemoryLayout<T>.size else {
            record(name, "element type \(T.self) has no safetensors dtype (dtypeName \(T.dtypeName))")
            return
        }
        guard check(name, shape: shape, count: values.count) else { return }
        #if _endian(little)
        let bytes = Data(UnsafeRawBufferPointer(values))   // one copy, no zero-filling first
        #else
        var bytes = Data(count: values.count * dtype.byteSize)
        if values.count > 0 {
            bytes.withUnsafeMutableBytes { out in
                let raw = UnsafeRawBufferPointer(values)
                let size = dtype.byteSize
                for i in 0 ..< values.count {
                    for b in 0 ..< size { out[i * size + b] = raw[i * size + size - 1 - b] }
                }
            }
        }
        #endif
        entries.append(Entry(name: name, dtype: dtype, shape: shape, bytes: bytes))
        names.insert(name)
    }

    /// Adds a floating-point tensor stored as `T.dtypeName` ("F32" or "F64").
    public mutating func add<T: BLASReal>(_ name: String, shape: [Int], values: [T]) {
        values.withUnsafeBufferPointer { add(name, shape: shape, values: $0) }
    }

    /// Adds a byte tensor stored as U8 (e.g. packed quantization codes).
    public mutating func add(_ name: String, shape: [Int], bytes: [UInt8]) {
        guard check(name, shape: shape, count: bytes.count) else { return }
        entries.append(Entry(name: name, dtype: .U8, shape: shape, bytes: Data(bytes)))
        names.insert(name)
    }

    /// Adds an integer tensor stored as I64.
    public mutating func add(_ name: String, shape: [Int], integers: [Int64]) {
        guard check(name, shape: shape, count: integers.count) else { return }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(integers.count * 8)
        for value in integers {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        entries.append(Entry(name: name, dtype: .I64, shape: shape, bytes: Data(bytes)))
        names.insert(name)
    }

    /// The complete file image (length prefix, padded header, data section).
    /// - Throws: `.malformedTensor` (with `file` as given) for a mistake made while adding.
    public func serialized(file: String = "<memory>") throws -> Data {
        var image = Data()
        image.reserveCapacity(8 + dataByteCount + 4096)
        for chunk in try chunks(file: file) { image.append(chunk) }
        return image
    }

    /// The file image as consecutive pieces: length prefix and padded header, then each tensor's data.
    private func chunks(file: String) throws -> [Data] {
        if let pendingError {
            throw CheckpointError.malformedTensor(file: file, tensor: pendingError.tensor, reason: pendingError.reason)
        }
        var header = headerJSON()
        let padding = (8 - header.utf8.count % 8) % 8
        header += String(repeating: " ", count: padding)
        let headerBytes = Array(header.utf8)
        var prefix = Data()
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { prefix.append(contentsOf: $0) }
        prefix.append(contentsOf: headerBytes)
        return [prefix] + entries.map(\.bytes)
    }

    /// Writes the file crash-safely (`AtomicFile`: a temporary beside it, fsync, rename), so a reader sees the old
    /// file or the whole new one; no temporary file is left behind, whether the write succeeds or fails.
    /// - Throws: `.malformedTensor` for a mistake made while adding, `StorageError.unwritable` if it cannot be written.
    public func write(to url: URL) throws {
        try AtomicFile.write(chunks: try chunks(file: url.path), to: url)   // the pieces are written in turn, not joined first
    }

    // MARK: Internals

    private mutating func check(_ name: String, shape: [Int], count: Int) -> Bool {
        if name == "__metadata__" {
            record(name, "the name \"__metadata__\" is reserved for the header's metadata")
            return false
        }
        if names.contains(name) {
            record(name, "it was added twice")
            return false
        }
        if let dimension = shape.first(where: { $0 < 0 }) {
            record(name, "shape \(shape) has a negative dimension \(dimension)")
            return false
        }
        var expected = 1
        for dimension in shape {
            let (product, overflow) = expected.multipliedReportingOverflow(by: dimension)
            if overflow {
                record(name, "the element count of shape \(shape) overflows")
                return false
            }
            expected = product
        }
        if expected != count {
            record(name, "shape \(shape) has \(expected) elements but \(count) values were given")
            return false
        }
        return true
    }

    private mutating func record(_ name: String, _ reason: String) {
        if pendingError == nil { pendingError = (name, reason) }
    }

    private func headerJSON() -> String {
        struct Item { let key: String; let json: String }
        var items: [Item] = []
        var offset = 0
        for entry in entries {
            let end = offset + entry.bytes.count
            let shape = entry.shape.map(String.init).joined(separator: ",")
            items.append(Item(key: entry.name,
                              json: "{\"data_offsets\":[\(offset),\(end)],\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)]}"))
            offset = end
        }
        if !metadata.isEmpty {
            let fields = metadata.keys.sorted(by: Self.byteOrder).map { key in
                "\(Self.quote(key)):\(Self.quote(metadata[key]!))"
            }
            items.append(Item(key: "__metadata__", json: "{" + fields.joined(separator: ",") + "}"))
        }
        items.sort { Self.byteOrder($0.key, $1.key) }
        return "{" + items.map { "\(Self.quote($0.key)):\($0.json)" }.joined(separator: ",") + "}"
    }

    /// Orders strings by their UTF-8 bytes (as Python's and Rust's sorted maps do).
    private static func byteOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, everything else raw UTF-8.
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
