import BERT
import Foundation
import Numerics
import Storage
#if canImport(Glibc)
import Glibc
#endif

/// The teacher's distillation targets kept on disk, so that students trained on the same batches (a replicate's
/// students draw the same batches in the same order from its seed) run the teacher forward once per batch instead
/// of once per student. An entry is keyed by the teacher (its config, head and weight bytes), the scalar type, the
/// outputs kept (`TeacherTargets.Kind`) and the batch's every token, type id, mask value and sequence length, so it
/// is only ever read back for the same computation; the teacher's eval forward gives the same bits at any thread
/// count, so a run reading entries gives the same bytes as one computing them.
///
/// An entry is one file `KEY.teacher` (a 32-byte header, the values of `TeacherTargets.buffers` one after the other,
/// an 8-byte checksum of them), written to a temporary (`.KEY.teacher.tmp-PID`) and renamed into place: several
/// processes can share a folder, and a reader sees a whole entry or none. It is not synced to disk: an entry
/// cut short by a power loss fails its size or checksum test, is recomputed and written again. A failed write
/// (a full disk, say) is reported once and the run goes on computing without the cache.
public final class TeacherCache<T: BLASReal> {
    public let directory: URL
    /// The digest of what the teacher computes with (config, head, weights, scalar type).
    public let teacherDigest: String
    public private(set) var hits = 0
    public private(set) var misses = 0
    /// Why writing stopped (nil while entries are written).
    public private(set) var writeFailure: String?
    private let layers: Int
    private let config: BertConfig
    private let classes: Int?
    /// Buffers an entry is read into, kept from one batch to the next.
    private var readBuffers: [Buffer<T>] = []

    static var magic: [UInt8] { Array("BBTEACH1".utf8) }
    static var headerBytes: Int { 32 }
    static var fileExtension: String { "teacher" }

    /// The cache in `directory` (created if missing; temporaries of dead writers are removed) for `teacher`.
    public init(directory: URL, teacher: BertModel<T>) throws {
        precondition(teacher.activationQuantizer == nil, "TeacherCache: the teacher is a full-precision model")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        Temporaries.removeStale(in: directory)
        self.directory = directory
        layers = teacher.config.numHiddenLayers
        config = teacher.config
        classes = teacher.classes
        var h = SHA256()
        h.update(Array("binarybert teacher cache 1\n".utf8))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        h.update(try encoder.encode(teacher.config))
        h.update(Array("\(T.self) pooler \(teacher.hasPooler) classes \(teacher.classes ?? 0) activation \(teacher.activation)\n".utf8))
        let w = teacher.weights
        h.update(UnsafeRawBufferPointer(start: w.pointer, count: w.count * MemoryLayout<T>.stride))
        teacherDigest = h.finalize()
    }

    /// The targets of `kind` for `batch`: read from its entry, or computed by `forward` (the teacher's eval forward
    /// of `batch`) and stored. The buffers returned are valid until the next call or the teacher's next forward.
    public func targets(_ kind: TeacherTargets<T>.Kind, for batch: TokenBatch,
                        forward: () throws -> Activations<T>) throws -> TeacherTargets<T> {
        let url = entryURL(kind, batch)
        let counts = TeacherTargets<T>.counts(kind, batch: batch, config: config, classes: classes)
        if let buffers = read(url, counts: counts) {
            hits += 1
            return TeacherTargets(kind: kind, buffers: buffers, layers: layers)
        }
        misses += 1
        let targets = TeacherTargets(kind, of: try forward(), layers: layers)
        precondition(targets.buffers.map(\.count) == counts, "TeacherCache: the forward's outputs are not sized as expected")
        if writeFailure == nil {
            do { try write(targets.buffers, to: url) } catch { writeFailure = IOErrorText.reason(error) }
        }
        return targets
    }

    /// One line on what the cache did: hits, misses, and a failed write if any.
    public var summary: String {
        var s = "teacher cache \(directory.path): \(hits) batches read, \(misses) computed so far"
        if let writeFailure { s += "; writing stopped: \(writeFailure)" }
        return s
    }

    /// The entry's file: the digest of the teacher, the type, the kind and the batch's contents.
    func entryURL(_ kind: TeacherTargets<T>.Kind, _ batch: TokenBatch) -> URL {
        var h = SHA256()
        h.update(Array("\(teacherDigest) \(T.self) \(kind.rawValue) batch \(batch.batchSize)x\(batch.sequenceLength) packed \(batch.layout.isPacked)\n".utf8))
        func add<V>(_ values: [V]) { values.withUnsafeBytes { h.update($0) } }
        add(batch.layout.lengths.map { Int64($0) })
        add(batch.inputIds)
        add(batch.tokenTypeIds)
        add(batch.attentionMask)
        return directory.appendingPathComponent("\(h.finalize()).\(Self.fileExtension)")
    }

    /// The entry's values in buffers of `counts`, or nil if it is missing, or not a whole entry of those sizes.
    func read(_ url: URL, counts: [Int]) -> [Buffer<T>]? {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let total = counts.reduce(0, +), stride = MemoryLayout<T>.stride
        var info = stat()
        guard fstat(fd, &info) == 0, Int(info.st_size) == Self.headerBytes + total * stride + 8 else { return nil }
        var header = [UInt8](repeating: 0, count: Self.headerBytes)
        guard header.withUnsafeMutableBytes({ readFully(fd, $0.baseAddress!, $0.count) }),
              header == Self.header(scalars: total, stride: stride) else { return nil }
        if readBuffers.count != counts.count { readBuffers = [] }
        for (k, n) in counts.enumerated() {
            if k == readBuffers.count { readBuffers.append(Buffer<T>(count: n)) }
            if readBuffers[k].capacity < n { readBuffers[k] = Buffer<T>(count: n) }
            readBuffers[k].resize(n)
            guard readFully(fd, readBuffers[k].pointer, n * stride) else { return nil }
        }
        var stored: UInt64 = 0
        guard readFully(fd, &stored, 8), UInt64(littleEndian: stored) == Self.checksum(readBuffers) else { return nil }
        return readBuffers
    }

    /// Writes `buffers` as the entry `url`: header, values, checksum, to a temporary renamed into place, not synced.
    func write(_ buffers: [Buffer<T>], to url: URL) throws {
        let stride = MemoryLayout<T>.stride
        var sum = Self.checksum(buffers).littleEndian
        let values = buffers.map { Data(bytesNoCopy: $0.pointer, count: $0.count * stride, deallocator: .none) }
        try AtomicFile.write(chunks: [Data(Self.header(scalars: buffers.reduce(0) { $0 + $1.count }, stride: stride))] + values
                                     + [Data(bytes: &sum, count: 8)], to: url, durable: false)
    }

    /// The header: magic, format 1, bytes per scalar, scalar count, zero padding (little-endian).
    static func header(scalars: Int, stride: Int) -> [UInt8] {
        var bytes = magic
        func append<I: FixedWidthInteger>(_ v: I) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        append(UInt32(1))
        append(UInt32(stride))
        append(UInt64(scalars))
        bytes += [UInt8](repeating: 0, count: headerBytes - bytes.count)
        return bytes
    }

    /// A 64-bit checksum of the buffers' bytes: FNV-1a over 8-byte words in four interleaved lanes (tail bytes
    /// zero-padded), each buffer's length mixed in. It catches a cut or damaged file, not a deliberate forgery.
    static func checksum(_ buffers: [Buffer<T>]) -> UInt64 {
        let prime: UInt64 = 0x100_0000_01b3
        var lanes: (UInt64, UInt64, UInt64, UInt64) = (0xcbf2_9ce4_8422_2325, 0x84222325cbf29ce4, 0x9ce48422_2325cbf2, 0x2325cbf2_9ce48422)
        for b in buffers {
            let bytes = b.count * MemoryLayout<T>.stride
            let raw = UnsafeRawPointer(b.pointer)
            let words = bytes / 8
            var i = 0
            while i + 4 <= words {
                lanes.0 = (lanes.0 ^ raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) &* prime
                lanes.1 = (lanes.1 ^ raw.loadUnaligned(fromByteOffset: 8 * i + 8, as: UInt64.self)) &* prime
                lanes.2 = (lanes.2 ^ raw.loadUnaligned(fromByteOffset: 8 * i + 16, as: UInt64.self)) &* prime
                lanes.3 = (lanes.3 ^ raw.loadUnaligned(fromByteOffset: 8 * i + 24, as: UInt64.self)) &* prime
                i += 4
            }
            var tail: UInt64 = UInt64(bytes)
            for j in i..<words { tail = (tail ^ raw.loadUnaligned(fromByteOffset: 8 * j, as: UInt64.self)) &* prime }
            var last: UInt64 = 0
            for j in (8 * words)..<bytes { last |= UInt64(raw.load(fromByteOffset: j, as: UInt8.self)) << (8 * UInt64(j - 8 * words)) }
            lanes.0 = (lanes.0 ^ tail) &* prime
            lanes.1 = (lanes.1 ^ last) &* prime
        }
        return ((lanes.0 &* 3) ^ (lanes.1 &* 5)) &+ ((lanes.2 &* 7) ^ (lanes.3 &* 11))
    }
}

/// Reads exactly `count` bytes (false on an error or an early end of file).
private func readFully(_ fd: Int32, _ pointer: UnsafeMutableRawPointer, _ count: Int) -> Bool {
    var done = 0
    while done < count {
        let n = Glibc.read(fd, pointer + done, count - done)
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return false }
        done += n
    }
    return true
}
