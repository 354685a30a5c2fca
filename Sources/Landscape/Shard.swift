import Foundation

/// Which part of a scan this process computes: the points whose linear index is `index` mod `count`.
public struct Shard: Codable, Equatable, Sendable, CustomStringConvertible {
    public let index: Int, count: Int
    /// Where it came from: "--shard" or the launcher's variables.
    public let source: String

    public init(index: Int, count: Int, source: String) {
        self.index = index; self.count = count; self.source = source
    }

    /// `K/N` with 0 ≤ K < N.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n >= 1, n <= 100_000, k >= 0, k < n else {
            throw LandscapeError.badOption(option: "--shard", reason: "'\(text)' must be K/N with 0 ≤ K < N ≤ 100000 (e.g. 0/4)")
        }
        self.init(index: k, count: n, source: "--shard")
    }

    /// Rank and size from a launcher: Open MPI (OMPI_COMM_WORLD_RANK/SIZE), MPICH and other PMI launchers
    /// (PMI_RANK/PMI_SIZE), a Slurm job array (SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT)
    /// or Slurm tasks (SLURM_PROCID/SLURM_NTASKS), first found in that order. Nil when none is set or the size is 1.
    public static func fromEnvironment(_ env: [String: String]) throws -> Shard? {
        func pair(_ rank: String, _ size: String, offset: String? = nil) throws -> Shard? {
            guard let r = env[rank], let s = env[size] else { return nil }
            // Ranks and sizes are small: anything outside ±10⁹ is refused before any arithmetic (−2⁶³ − offset would trap).
            let bound = 1_000_000_000
            guard var k = Int(r), let n = Int(s), n >= 1, n <= bound, k.magnitude <= UInt(bound) else {
                throw LandscapeError.badOption(option: "the environment", reason: "has \(rank)=\(r) and \(size)=\(s), which are not a rank and a size (0…10⁹)")
            }
            if let offset, let o = env[offset] {
                guard let m = Int(o), m.magnitude <= UInt(bound) else {
                    throw LandscapeError.badOption(option: "the environment", reason: "has \(offset)=\(o), not an integer within ±10⁹")
                }
                k -= m
            }
            guard k >= 0, k < n else {
                throw LandscapeError.badOption(option: "the environment", reason: "has \(rank)=\(r) outside 0..<\(size)=\(s)")
            }
            return n > 1 ? Shard(index: k, count: n, source: "\(rank)/\(size)") : nil
        }
        if env["OMPI_COMM_WORLD_RANK"] != nil { return try pair("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE") }
        if env["PMI_RANK"] != nil { return try pair("PMI_RANK", "PMI_SIZE") }
        if env["SLURM_ARRAY_TASK_ID"] != nil { return try pair("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", offset: "SLURM_ARRAY_TASK_MIN") }
        if env["SLURM_PROCID"] != nil { return try pair("SLURM_PROCID", "SLURM_NTASKS") }
        return nil
    }

    public func owns(_ k: Int) -> Bool { k % count == index }
    /// The stem of this shard's files: part-K-of-N.
    public var stem: String { "part-\(index)-of-\(count)" }
    public var description: String { "\(index)/\(count)" }
}
