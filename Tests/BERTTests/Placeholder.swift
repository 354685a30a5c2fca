import XCTest
final class BERTTestsPlaceholder: XCTestCase { func testPlaceholder() {} }
