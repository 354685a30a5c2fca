import Foundation
import Numerics
import FuzzTargets
import XCTest

/// The fuzz targets in the ordinary suite: every committed corpus file and every crash the fuzzer found
/// (`Tests/Fuzz/crashes/TARGET/`) replays without a trap, and seeded truncations and byte flips of valid inputs each
/// end in a value or a typed error, quickly.
final class FuzzRegressionTests: XCTestCase {
    static let fuzzDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fuzz")

    func files(_ kind: String, _ target: FuzzTarget) -> [URL] {
        let dir = Self.fuzzDirectory.appendingPathComponent(kind).appendingPathComponent(target.rawValue)
        return ((try? FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)) ?? [])
            .filter { !$0.lastPathComponent.hasPrefix(".") }.sorted { $0.path < $1.path }
    }

    /// One input: no trap (a trap ends this process, failing the suite), a typed error if any, under two seconds.
    func exercise(_ target: FuzzTarget, _ data: Data, _ label: String) {
        let start = Date()
        do { try target.check(data) } catch {
            let text = "\(error)"
            XCTAssertFalse(text.contains("NSCocoaErrorDomain") || text.isEmpty, "\(target) \(label): untyped error \(text)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2, "\(target) \(label) is slow (a hang in the making?)")
    }

    func testCommittedCorpusAndCrashesReplay() throws {
        var count = 0
        for target in FuzzTarget.allCases {
            let corpus = files("corpus", target)
            XCTAssertFalse(corpus.isEmpty, "no seed corpus for \(target)")
            for url in corpus + files("crashes", target) {
                exercise(target, try Data(contentsOf: url), url.lastPathComponent)
                count += 1
            }
        }
        XCTAssertGreaterThan(count, FuzzTarget.allCases.count)
    }

    func testSeedsAreValidInputs() throws {
        for target in FuzzTarget.allCases {
            for seed in try target.seeds() {
                XCTAssertNoThrow(try target.check(seed.data), "\(target) seed \(seed.name)")
            }
        }
    }

    /// Seeded truncations (at every eighth of the length and at the safetensors header boundaries) and byte flips.
    func testSeededMutationsEndInTypedErrors() throws {
        var rng = SeededRNG(seed: 0xF022, stream: 0xF022)
        for target in FuzzTarget.allCases {
            for seed in try target.seeds() {
                let bytes = [UInt8](seed.data)
                var cuts = Set((0...8).map { bytes.count * $0 / 8 })
                cuts.formUnion([1, 7, 8, 9].filter { $0 < bytes.count })
                if bytes.count >= 8 {
                    let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
                    if headerLength < bytes.count { cuts.formUnion([8 + headerLength - 1, 8 + headerLength, 8 + headerLength + 1].filter { $0 <= bytes.count }) }
                }
                for cut in cuts.sorted() { exercise(target, Data(bytes[0..<cut]), "\(seed.name) cut at \(cut)") }
                for k in 0..<40 where !bytes.isEmpty {
                    var m = bytes
                    for _ in 0..<(1 + k % 4) {
                        let i = Int(rng.next() % UInt64(m.count))
                        m[i] = k % 3 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : m[i] ^ (1 << UInt8(rng.next() % 8))
                    }
                    exercise(target, Data(m), "\(seed.name) mutation \(k)")
                }
            }
        }
    }
}
