import XCTest
final class NumericsTestsPlaceholder: XCTestCase { func testPlaceholder() {} }
