import XCTest
import Numerics

/// The re-execution rule for Debian's OpenBLAS 0.3.21, which falls back to "Prescott" on CPUs it does not know.
final class BLASCoreSelectionTests: XCTestCase {
    let avx512: Set<String> = ["avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]
    let avx2: Set<String> = ["avx", "avx2", "fma"]

    func testGenericCoreOnAVX512MachineGetsSkylakeX() {
        XCTAssertEqual(BLASCoreSelection.betterCore(current: "Prescott", flags: avx512), "SkylakeX")
        XCTAssertEqual(BLASCoreSelection.betterCore(current: "Haswell", flags: avx512), "SkylakeX")
    }

    func testGenericCoreOnAVX2MachineGetsHaswell() {
        XCTAssertEqual(BLASCoreSelection.betterCore(current: "Prescott", flags: avx2), "Haswell")
        XCTAssertEqual(BLASCoreSelection.betterCore(current: "Sandybridge", flags: avx2), "Haswell")
    }

    func testAdequateCoresAreKept() {
        XCTAssertNil(BLASCoreSelection.betterCore(current: "Zen", flags: avx2))
        XCTAssertNil(BLASCoreSelection.betterCore(current: "Haswell", flags: avx2))
        XCTAssertNil(BLASCoreSelection.betterCore(current: "SkylakeX", flags: avx512))
        XCTAssertNil(BLASCoreSelection.betterCore(current: "Prescott", flags: ["sse2", "sse4_2"]))
    }
}
