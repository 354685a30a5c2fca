import BERT
import Foundation

/// One matrix adaptive splitting chooses among (every quantized tensor: Q, K, V, attention output, FFN
/// intermediate and output per layer, the word embedding, the pooler), with the bytes its packed binary form takes
/// and the bytes splitting it adds (its second binary half), by the packed format's own accounting
/// (`PackedModel.tensorBytes`, the bytes `export --packed` writes).
public struct SplitCandidate: Sendable, Equatable, Codable {
    public var name: String
    public var count: Int
    /// Scale rows: one per row for the word embedding, one otherwise.
    public var rows: Int
    /// Bytes of the tensor packed as one binary matrix.
    public var binaryBytes: Int
    /// Bytes a split adds: the second half's codes and scales.
    public var splitBytes: Int

    enum CodingKeys: String, CodingKey {
        case name, count, rows, binaryBytes = "binary_bytes", splitBytes = "split_bytes"
    }

    public init(name: String, count: Int, rows: Int, binaryBytes: Int, splitBytes: Int) {
        self.name = name; self.count = count; self.rows = rows; self.binaryBytes = binaryBytes; self.splitBytes = splitBytes
    }

    /// The candidates of a quantized model, in the model's tensor order.
    /// The binary bytes count the positions of exact-zero latent weights (in rows that are not all zero), 8 bytes
    /// each, which BWN's 1-bit codes list apart (`zero_positions`); the second halves of a split have none (TWS maps
    /// a zero to ±b).
    public static func of<T>(_ q: QuantizedBertModel<T>) -> [SplitCandidate] {
        of(q.quantizedViews, latent: q.model.parameters.pointer)
    }

    /// The candidates among `views` (quantized tensors; the word embedding is scaled per row) for the latent weights
    /// `latent` (laid out as the parameter table).
    public static func of<T: BinaryFloatingPoint>(_ views: [ParameterView], latent: UnsafePointer<T>) -> [SplitCandidate] {
        views.map { v in
            let rows = v.role == .embedding ? v.shape[0] : 1, cols = v.count / rows
            var zeros = 0
            for r in 0..<rows {
                let row = latent + v.offset + r * cols
                var n = 0
                for j in 0..<cols where row[j] == 0 { n += 1 }
                if n < cols { zeros += n }
            }
            let bytes = PackedModel.tensorBytes(count: v.count, rows: rows, bits: 1)
            return SplitCandidate(name: v.name, count: v.count, rows: rows, binaryBytes: bytes + 8 * zeros, splitBytes: bytes)
        }
    }
}

/// The sizes a split budget lies between, in the bytes `export --packed` reports (`SizeReport.totalBytes`, the
/// data section): every quantized matrix binary and unsplit (the half-width model), or every one split (TWS).
public struct SplitSizeRange: Sendable, Equatable, Codable {
    public var allBinaryBytes: Int
    public var fullySplitBytes: Int

    enum CodingKeys: String, CodingKey { case allBinaryBytes = "all_binary_bytes", fullySplitBytes = "fully_split_bytes" }

    public init(allBinaryBytes: Int, fullySplitBytes: Int) {
        self.allBinaryBytes = allBinaryBytes
        self.fullySplitBytes = fullySplitBytes
    }

    /// The range for a quantized model's layout: its float tensors as float32 (models trained in Float) plus the
    /// candidates' binary bytes, and their split bytes on top for the fully split end.
    public init<T>(_ q: QuantizedBertModel<T>, candidates: [SplitCandidate]) { self.init(q.model.table, candidates: candidates) }

    public init(_ table: ParameterTable, candidates: [SplitCandidate]) {
        let quantized = Set(candidates.map(\.name))
        let floats = table.views.filter { !quantized.contains($0.name) }.reduce(0) { $0 + 4 * $1.count }
        allBinaryBytes = floats + candidates.reduce(0) { $0 + $1.binaryBytes }
        fullySplitBytes = allBinaryBytes + candidates.reduce(0) { $0 + $1.splitBytes }
    }

    /// The budget in bytes for `megabytes` (MB = 1024² bytes, as `SizeReport.megabytes`), or an error stating the
    /// feasible range.
    public func bytes(forMegabytes megabytes: Double) throws -> Int {
        let bytes = megabytes * 1_048_576
        guard megabytes.isFinite, bytes >= Double(allBinaryBytes), bytes <= Double(fullySplitBytes) else {
            throw QuantizationError.badSpec(file: "--budget", reason: String(
                format: "%.6g MB is outside the feasible range [%.6f, %.6f] MB = [%d, %d] bytes (all binary, unsplit … every matrix split)",
                megabytes, Double(allBinaryBytes) / 1_048_576, Double(fullySplitBytes) / 1_048_576, allBinaryBytes, fullySplitBytes))
        }
        return Int(bytes.rounded(.down))
    }
}

extension PackedModel {
    /// The bytes `export` writes for one quantized tensor: its codes at `bits` per weight, packed, and one float64
    /// scale per row (BWN's positions of exact-zero latents, 8 bytes each, come on top where there are any).
    public static func tensorBytes(count: Int, rows: Int, bits: Int) -> Int {
        let perByte = 8 / bits
        return (count + perByte - 1) / perByte + 8 * rows
    }
}
