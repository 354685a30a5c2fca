import Foundation
import XCTest
@testable import Text

final class DatasetTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("TextDatasetTests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let root { try? FileManager.default.removeItem(at: root) }
    }

    /// Writes `lines` joined by "\n" (or "\r\n") to root/relativePath.
    @discardableResult
    func write(_ relativePath: String, _ lines: [String], crlf: Bool = false, trailingNewline: Bool = true) throws -> URL {
        let url = root.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let eol = crlf ? "\r\n" : "\n"
        var text = lines.joined(separator: eol)
        if trailingNewline { text += eol }
        try Data(text.utf8).write(to: url)
        return url
    }

    func load(_ task: String, _ split: String, skipBadRows: Bool = false) throws -> Dataset {
        try DatasetLoader.load(task: try Tasks.named(task), dataDirectory: root, split: split, skipBadRows: skipBadRows)
    }

    func row(_ fields: String...) -> String { fields.joined(separator: "\t") }

    // MARK: Registry

    func testTaskRegistry() throws {
        XCTAssertEqual(
            Tasks.all.map(\.name),
            ["cola", "sst-2", "mrpc", "sts-b", "qqp", "mnli", "mnli-mm", "qnli", "rte", "wnli", "rt-polarity", "rt-rating"])
        XCTAssertEqual(try Tasks.named("CoLA").name, "cola")
        XCTAssertEqual(try Tasks.named("sst2").name, "sst-2")
        XCTAssertEqual(try Tasks.named("STS-B").kind, .regression)
        XCTAssertEqual(try Tasks.named("sts-b").numLabels, 1)
        XCTAssertEqual(try Tasks.named("mnli").numLabels, 3)
        XCTAssertEqual(try Tasks.named("mnli").devSplitName, "dev_matched")
        XCTAssertEqual(try Tasks.named("mnli-mm").devSplitName, "dev_mismatched")
        XCTAssertEqual(try Tasks.named("qnli").labelNames, ["entailment", "not_entailment"])
        XCTAssertEqual(try Tasks.named("rt-polarity").numLabels, 2)
        XCTAssertEqual(try Tasks.named("rt-rating").numLabels, 1)
        XCTAssertEqual(try Tasks.named("cola").primaryMetric, "mcc")
        XCTAssertEqual(try Tasks.named("mrpc").primaryMetric, "f1")
        XCTAssertEqual(try Tasks.named("qqp").primaryMetric, "f1")
        XCTAssertEqual(try Tasks.named("rte").primaryMetric, "accuracy")
        XCTAssertThrowsError(try Tasks.named("squad")) { error in
            XCTAssertTrue("\(error)".contains("squad"))
        }
    }

    // MARK: GLUE layouts

    func testCoLAHasNoHeader() throws {
        try write("CoLA/train.tsv", [
            row("gj04", "1", "", "Our friends won't buy this analysis, let alone the next one we propose."),
            row("gj04", "0", "*", "They drank the pub."),
        ])
        try write("CoLA/dev.tsv", [row("bc01", "1", "", "The sailors rode the breeze clear of the rocks.")])
        let train = try load("cola", "train")
        XCTAssertEqual(train.examples.count, 2)
        XCTAssertEqual(train.split, "train")
        XCTAssertEqual(train.examples[0].textA, "Our friends won't buy this analysis, let alone the next one we propose.")
        XCTAssertNil(train.examples[0].textB)
        XCTAssertEqual(train.labels, [.classIndex(1), .classIndex(0)])
        XCTAssertEqual(train.examples[1].id, "train-2")
        XCTAssertEqual(train.source.lastPathComponent, "train.tsv")
        let dev = try load("cola", "dev")
        XCTAssertEqual(dev.examples.map(\.textA), ["The sailors rode the breeze clear of the rocks."])
        XCTAssertEqual(dev.split, "dev")
    }

    func testSST2() throws {
        try write("SST-2/train.tsv", [row("sentence", "label"), row("hide new secretions from the parental units ", "0"),
                                      row("the greatest musicians ", "1")])
        let ds = try load("sst-2", "train")
        XCTAssertEqual(ds.examples.map(\.textA), ["hide new secretions from the parental units ", "the greatest musicians "])
        XCTAssertEqual(ds.labels, [.classIndex(0), .classIndex(1)])
    }

    func testMRPC() throws {
        try write("MRPC/dev.tsv", [
            row("Quality", "#1 ID", "#2 ID", "#1 String", "#2 String"),
            row("1", "1355540", "1355592", "He said the foodservice pie business doesn't fit.", "The foodservice pie business does not fit."),
            row("0", "2029631", "2029565", "Magnarelli said Racicot hated the Iraqi regime.", "His wife said he was \"100 percent behind George Bush\"."),
        ])
        let ds = try load("mrpc", "dev")
        XCTAssertEqual(ds.examples.count, 2)
        XCTAssertEqual(ds.examples[0].textA, "He said the foodservice pie business doesn't fit.")
        XCTAssertEqual(ds.examples[0].textB, "The foodservice pie business does not fit.")
        XCTAssertEqual(ds.examples[1].textB, "His wife said he was \"100 percent behind George Bush\".")
        XCTAssertEqual(ds.labels, [.classIndex(1), .classIndex(0)])
    }

    func testSTSB() throws {
        try write("STS-B/train.tsv", [
            row("index", "genre", "filename", "year", "old_index", "source1", "source2", "sentence1", "sentence2", "score"),
            row("0", "main-captions", "MSRvid", "2012test", "0001", "none", "none", "A plane is taking off.", "An air plane is taking off.", "5.000"),
            row("1", "main-captions", "MSRvid", "2012test", "0004", "none", "none", "A man is playing a large flute.", "A man is playing a flute.", "3.800"),
        ])
        let ds = try load("sts-b", "train")
        XCTAssertEqual(ds.examples.map(\.textA), ["A plane is taking off.", "A man is playing a large flute."])
        XCTAssertEqual(ds.examples.map(\.textB), ["An air plane is taking off.", "A man is playing a flute."])
        XCTAssertEqual(ds.labels, [.value(5.0), .value(3.8)])
        XCTAssertEqual(ds.examples[1].id, "train-1")
    }

    func testQQPKeepsQuotes() throws {
        try write("QQP/train.tsv", [
            row("id", "qid1", "qid2", "question1", "question2", "is_duplicate"),
            row("133273", "213221", "213222", "How is the life of a math student? Could you describe your own experiences?",
                "Which level of prepration is enough for the exam jlpt5?", "0"),
            row("402555", "536040", "536041", "How do I control my horny emotions?", "\"How do you control your horniness?", "1"),
        ])
        let ds = try load("qqp", "train")
        XCTAssertEqual(ds.examples[1].textB, "\"How do you control your horniness?")
        XCTAssertEqual(ds.examples[1].textA, "How do I control my horny emotions?")
        XCTAssertEqual(ds.labels, [.classIndex(0), .classIndex(1)])
        XCTAssertEqual(ds.examples[0].id, "train-133273")
    }

    func mnliHeader(dev: Bool) -> String {
        var cols = ["index", "promptID", "pairID", "genre", "sentence1_binary_parse", "sentence2_binary_parse",
                    "sentence1_parse", "sentence2_parse", "sentence1", "sentence2", "label1"]
        if dev { cols += ["label2", "label3", "label4", "label5"] }
        cols.append("gold_label")
        return cols.joined(separator: "\t")
    }

    func mnliRow(_ index: Int, _ s1: String, _ s2: String, _ label: String, dev: Bool) -> String {
        var cols = ["\(index)", "31193", "31193n", "government", "( ( x ) )", "( ( y ) )", "(ROOT x)", "(ROOT y)", s1, s2, label]
        if dev { cols += [label, label, label, label] }
        cols.append(label)
        return cols.joined(separator: "\t")
    }

    func testMNLIMatchedAndMismatched() throws {
        try write("MNLI/train.tsv", [mnliHeader(dev: false),
                                     mnliRow(0, "Conceptually cream skimming has two basic dimensions.", "Product and geography are what make cream skimming work. ", "neutral", dev: false),
                                     mnliRow(1, "you know \"during the season\" i guess", "You lose the things to the following level.", "entailment", dev: false)])
        try write("MNLI/dev_matched.tsv", [mnliHeader(dev: true),
                                           mnliRow(0, "The new rights are nice enough", "Everyone really likes the newest benefits ", "neutral", dev: true),
                                           mnliRow(1, "This site includes a list.", "The Government Executive articles housed on the website are not able to be searched.", "contradiction", dev: true)])
        try write("MNLI/dev_mismatched.tsv", [mnliHeader(dev: true),
                                              mnliRow(0, "Your contribution helped make it possible.", "Your contributions were of no help.", "contradiction", dev: true)])
        let train = try load("mnli", "train")
        XCTAssertEqual(train.labels, [.classIndex(2), .classIndex(1)])
        XCTAssertEqual(train.examples[1].textA, "you know \"during the season\" i guess")
        XCTAssertEqual(train.examples[0].textB, "Product and geography are what make cream skimming work. ")

        let matched = try load("mnli", "dev")
        XCTAssertEqual(matched.source.lastPathComponent, "dev_matched.tsv")
        XCTAssertEqual(matched.examples.count, 2)
        XCTAssertEqual(matched.labels, [.classIndex(2), .classIndex(0)])
        XCTAssertEqual(try load("mnli", "dev_matched").examples.count, 2)

        let mismatched = try load("mnli-mm", "dev")
        XCTAssertEqual(mismatched.source.lastPathComponent, "dev_mismatched.tsv")
        XCTAssertEqual(mismatched.examples.map(\.textA), ["Your contribution helped make it possible."])
        XCTAssertEqual(mismatched.labels, [.classIndex(0)])
        XCTAssertEqual(try load("mnli-mm", "train").examples.count, 2)
        XCTAssertThrowsError(try load("mnli", "dev_mismatched"))
    }

    func testQNLIRTEWNLI() throws {
        try write("QNLI/dev.tsv", [row("index", "question", "sentence", "label"),
                                   row("0", "What came into force after the new constitution was herald?", "As of that day, the new constitution heralding the Second Republic came into force.", "entailment"),
                                   row("1", "What is the first major city in the stream of the Rhine?", "The most important tributaries in this area are the Ill below of Strasbourg.", "not_entailment")])
        try write("RTE/train.tsv", [row("index", "sentence1", "sentence2", "label"),
                                    row("0", "No Weapons of Mass Destruction Found in Iraq Yet.", "Weapons of Mass Destruction Found in Iraq.", "not_entailment")])
        try write("WNLI/train.tsv", [row("index", "sentence1", "sentence2", "label"),
                                     row("0", "I stuck a pin through a carrot.", "The carrot had a hole.", "1"),
                                     row("1", "John couldn't see the stage with Billy in front of him because he is so short.", "John is so short.", "1")])
        let qnli = try load("qnli", "dev")
        XCTAssertEqual(qnli.examples[0].textA, "What came into force after the new constitution was herald?")
        XCTAssertEqual(qnli.examples[0].textB, "As of that day, the new constitution heralding the Second Republic came into force.")
        XCTAssertEqual(qnli.labels, [.classIndex(0), .classIndex(1)])
        XCTAssertEqual(qnli.examples[1].id, "dev-1")
        let rte = try load("rte", "train")
        XCTAssertEqual(rte.examples[0].textB, "Weapons of Mass Destruction Found in Iraq.")
        XCTAssertEqual(rte.labels, [.classIndex(1)])
        let wnli = try load("wnli", "train")
        XCTAssertEqual(wnli.examples.map(\.textB), ["The carrot had a hole.", "John is so short."])
        XCTAssertEqual(wnli.labels, [.classIndex(1), .classIndex(1)])
    }

    // MARK: Line endings, encodings, locations

    func testCRLFAndMissingTrailingNewline() throws {
        try write("SST-2/train.tsv", [row("sentence", "label"), row("a gorgeous film", "1"), row("dull", "0")],
                  crlf: true, trailingNewline: false)
        try write("STS-B/dev.tsv", [
            row("index", "genre", "filename", "year", "old_index", "source1", "source2", "sentence1", "sentence2", "score"),
            row("0", "g", "f", "y", "o", "s1", "s2", "A man is cutting up a cucumber.", "A man is slicing a cucumber.", "4.200"),
        ], crlf: true, trailingNewline: true)
        let sst = try load("sst-2", "train")
        XCTAssertEqual(sst.examples.map(\.textA), ["a gorgeous film", "dull"])
        XCTAssertEqual(sst.labels, [.classIndex(1), .classIndex(0)])
        let sts = try load("sts-b", "dev")
        XCTAssertEqual(sts.labels, [.value(4.2)])
        XCTAssertEqual(sts.examples[0].textB, "A man is slicing a cucumber.")
    }

    func testWindows1252Fallback() throws {
        // "café “ok”" in Windows-1252: é = 0xE9, “ = 0x93, ” = 0x94 (not valid UTF-8).
        var bytes = Array("sentence\tlabel\ncaf".utf8)
        bytes += [0xE9, 0x20, 0x93] + Array("ok".utf8) + [0x94] + Array("\t1\n".utf8)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("SST-2"), withIntermediateDirectories: true)
        try Data(bytes).write(to: root.appendingPathComponent("SST-2/train.tsv"))
        XCTAssertEqual(try load("sst-2", "train").examples[0].textA, "caf\u{E9} \u{201C}ok\u{201D}")
    }

    /// One invalid byte changes its own line only: the other lines' UTF-8 stays as written, and the line is named.
    func testOneInvalidByteDecodesOnlyItsLine() throws {
        var bytes = Array("sentence\tlabel\nna\u{EF}ve caf\u{E9}\t1\n".utf8)
        bytes += Array("bad ".utf8) + [0xFF] + Array("\t0\nr\u{E9}sum\u{E9}\t1\n".utf8)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("SST-2"), withIntermediateDirectories: true)
        try Data(bytes).write(to: root.appendingPathComponent("SST-2/train.tsv"))
        let set = try load("sst-2", "train")
        XCTAssertEqual(set.examples.map(\.textA), ["na\u{EF}ve caf\u{E9}", "bad \u{FF}", "r\u{E9}sum\u{E9}"])
        XCTAssertEqual(set.windows1252Lines, [3])
        XCTAssertEqual(set.encodingWarning, "warning: 1 line(s) are not valid UTF-8 and were read as Windows-1252: \(root.appendingPathComponent("SST-2/train.tsv").path):3")
    }

    func testUTF8BOMIsDropped() throws {
        let url = root.appendingPathComponent("SST-2/dev.tsv")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data([0xEF, 0xBB, 0xBF] + Array("sentence\tlabel\nna\u{EF}ve\t1\n".utf8)).write(to: url)
        XCTAssertEqual(try load("sst-2", "dev").examples.map(\.textA), ["na\u{EF}ve"])
    }

    func testTaskFolderItselfAsDataDirectory() throws {
        try write("RTE/dev.tsv", [row("index", "sentence1", "sentence2", "label"), row("7", "a", "b", "entailment")])
        let ds = try DatasetLoader.load(task: Tasks.rte, dataDirectory: root.appendingPathComponent("RTE"), split: "dev")
        XCTAssertEqual(ds.examples.count, 1)
        XCTAssertEqual(ds.examples[0].id, "dev-7")
    }

    func testMissingFileAndUnknownSplit() throws {
        XCTAssertThrowsError(try load("rte", "train")) { error in
            guard case DatasetError.fileNotFound = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("RTE/train.tsv"), "\(error)")
        }
        XCTAssertThrowsError(try load("rte", "test")) { error in
            guard case DatasetError.unknownSplit = error else { return XCTFail("\(error)") }
        }
    }

    // MARK: Malformed rows

    func testTooFewColumnsNamesFileAndLine() throws {
        try write("MRPC/train.tsv", [
            row("Quality", "#1 ID", "#2 ID", "#1 String", "#2 String"),
            row("1", "1", "2", "a", "b"),
            row("0", "3", "4", "only a"),
            row("1", "5", "6", "c", "d"),
        ])
        XCTAssertThrowsError(try load("mrpc", "train")) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("MRPC/train.tsv"), message)
            XCTAssertTrue(message.contains("train.tsv:3:"), message)
            XCTAssertEqual((error as? DatasetError)?.line, 3)
        }
        let skipped = try load("mrpc", "train", skipBadRows: true)
        XCTAssertEqual(skipped.skippedRows, 1)
        XCTAssertEqual(skipped.examples.map(\.textA), ["a", "c"])
        XCTAssertEqual(skipped.examples.map(\.textB), ["b", "d"])
    }

    func testExtraColumnIsNotShifted() throws {
        // A stray tab inside sentence2 would move the label column: reject instead of re-aligning.
        try write("QNLI/train.tsv", [row("index", "question", "sentence", "label"),
                                     row("0", "q?", "part one", "part two", "entailment"),
                                     row("1", "q2?", "s2", "not_entailment")], crlf: true)
        XCTAssertThrowsError(try load("qnli", "train")) { error in
            guard case DatasetError.tooManyColumns(_, 2, 4, 5) = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("QNLI/train.tsv:2:"), "\(error)")
        }
        let ds = try load("qnli", "train", skipBadRows: true)
        XCTAssertEqual(ds.skippedRows, 1)
        XCTAssertEqual(ds.examples.map(\.textB), ["s2"])
        // CoLA has no header: exactly 4 columns.
        try write("CoLA/train.tsv", [row("src", "1", "", "ok sentence"), row("src", "1", "", "bad", "extra")])
        XCTAssertThrowsError(try load("cola", "train")) { error in
            XCTAssertEqual((error as? DatasetError)?.line, 2)
        }
    }

    func testUnknownLabelAndBadScore() throws {
        try write("MNLI/dev_matched.tsv", [mnliHeader(dev: true),
                                           mnliRow(0, "a", "b", "neutral", dev: true),
                                           mnliRow(1, "c", "d", "-", dev: true),
                                           mnliRow(2, "e", "f", "entailment", dev: true)])
        XCTAssertThrowsError(try load("mnli", "dev")) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("dev_matched.tsv:3:"), message)
            XCTAssertTrue(message.contains("'-'"), message)
        }
        let mnli = try load("mnli", "dev", skipBadRows: true)
        XCTAssertEqual(mnli.skippedRows, 1)
        XCTAssertEqual(mnli.labels, [.classIndex(2), .classIndex(1)])

        try write("STS-B/dev.tsv", [
            row("index", "genre", "filename", "year", "old_index", "source1", "source2", "sentence1", "sentence2", "score"),
            row("0", "g", "f", "y", "o", "s1", "s2", "a", "b", "five"),
            row("1", "g", "f", "y", "o", "s1", "s2", "c", "d", "2.5"),
            row("2", "g", "f", "y", "o", "s1", "s2", "e", "f", "nan"),
        ])
        XCTAssertThrowsError(try load("sts-b", "dev")) { error in
            XCTAssertTrue("\(error)".contains("STS-B/dev.tsv:2:"), "\(error)")
            guard case DatasetError.badValue = error else { return XCTFail("\(error)") }
        }
        let sts = try load("sts-b", "dev", skipBadRows: true)
        XCTAssertEqual(sts.skippedRows, 2)
        XCTAssertEqual(sts.labels, [.value(2.5)])
    }

    func testBlankLineInsideFileIsMalformed() throws {
        try write("SST-2/train.tsv", [row("sentence", "label"), row("good", "1"), "", row("bad", "0"), "", ""])
        XCTAssertThrowsError(try load("sst-2", "train")) { error in
            XCTAssertEqual((error as? DatasetError)?.line, 3)
        }
        let ds = try load("sst-2", "train", skipBadRows: true)
        XCTAssertEqual(ds.skippedRows, 1)
        XCTAssertEqual(ds.examples.count, 2)
    }

    // MARK: rt-polarity / rt-rating

    func testFNV1a64() {
        XCTAssertEqual(DatasetLoader.fnv1a64(""), 14_695_981_039_346_656_037)
        XCTAssertEqual(DatasetLoader.fnv1a64("a"), 0xaf63_dc4c_8601_ec8c)
        XCTAssertEqual(DatasetLoader.fnv1a64("1"), 12_638_134_423_997_487_868)
        XCTAssertEqual(DatasetLoader.fnv1a64("10604"), 8_244_620_279_317_326_354)
    }

    func testRottenTomatoesSynthetic() throws {
        // 40 rows: ratings cycle through negative, zero, positive values.
        let ratings = ["-2.5", "0", "1.75", "-0.2", "3.9411764705", "0.0", "-3.875", "0.5"]
        var lines: [String] = []
        for i in 1...40 {
            lines.append(row("\(i)", ratings[i % ratings.count], "Snippet number \(i) ''quoted'' \u{2013} caf\u{E9}."))
        }
        let rtDir = root.appendingPathComponent("rt")
        try write("rt/movieReviewSnippets_GroundTruth.txt", lines, crlf: true, trailingNewline: false)
        let before = try FileManager.default.contentsOfDirectory(atPath: rtDir.path).sorted()

        let train = try DatasetLoader.load(task: Tasks.rtPolarity, dataDirectory: rtDir, split: "train")
        let dev = try DatasetLoader.load(task: Tasks.rtPolarity, dataDirectory: rtDir, split: "dev")
        let expectedDev = (1...40).filter { DatasetLoader.fnv1a64("\($0)") % 10 == 0 }
        XCTAssertFalse(expectedDev.isEmpty)
        let nonZero = (1...40).filter { Double(ratings[$0 % ratings.count])! != 0 }
        XCTAssertEqual(Set(dev.examples.map(\.id)), Set(expectedDev.filter(nonZero.contains).map(String.init)))
        XCTAssertEqual(Set(train.examples.map(\.id)), Set(nonZero.filter { !expectedDev.contains($0) }.map(String.init)))
        XCTAssertEqual(train.examples.count + dev.examples.count, 30)  // 10 zeros dropped
        XCTAssertEqual(train.skippedRows + dev.skippedRows, 0)
        for ex in train.examples + dev.examples {
            let rating = Double(ratings[Int(ex.id)! % ratings.count])!
            XCTAssertEqual(ex.label, .classIndex(rating > 0 ? 1 : 0))
            XCTAssertEqual(ex.textA, "Snippet number \(ex.id) ''quoted'' \u{2013} caf\u{E9}.")
            XCTAssertNil(ex.textB)
        }
        // Deterministic: loading again gives the same examples in file order.
        let again = try DatasetLoader.load(task: Tasks.rtPolarity, dataDirectory: rtDir, split: "train")
        XCTAssertEqual(again.examples, train.examples)
        XCTAssertEqual(train.examples.map { Int($0.id)! }, train.examples.map { Int($0.id)! }.sorted())

        let ratingTrain = try DatasetLoader.load(task: Tasks.rtRating, dataDirectory: rtDir, split: "train")
        let ratingDev = try DatasetLoader.load(task: Tasks.rtRating, dataDirectory: rtDir, split: "dev")
        XCTAssertEqual(ratingTrain.examples.count + ratingDev.examples.count, 40)
        XCTAssertEqual(Set(ratingDev.examples.map(\.id)), Set(expectedDev.map(String.init)))
        XCTAssertEqual(ratingTrain.examples.first?.label, .value(Double(ratings[1])!))
        // The loader never writes into the data folder.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: rtDir.path).sorted(), before)
        // The parent folder layout <dir>/rt-polarity/<file> is found too.
        try write("rt-polarity/movieReviewSnippets_GroundTruth.txt", lines)
        XCTAssertEqual(try DatasetLoader.load(task: Tasks.rtPolarity, dataDirectory: root, split: "dev").examples, dev.examples)
    }

    func testRottenTomatoesMalformedRows() throws {
        // Ids 1, 2, 4, 5 hash to train, id 3 to dev; rows of ids 2, 4 (train) and 3 (dev) are bad.
        XCTAssertEqual(["1", "2", "4", "5"].map(DatasetLoader.rtSplit(id:)), ["train", "train", "train", "train"])
        XCTAssertEqual(DatasetLoader.rtSplit(id: "3"), "dev")
        try write("movieReviewSnippets_GroundTruth.txt", [row("1", "1.5", "fine"), row("2", "x", "bad rating"),
                                                          row("3", "0.5"), row("4", "2.0"), row("5", "-1", "fine too")])
        XCTAssertThrowsError(try DatasetLoader.load(task: Tasks.rtRating, dataDirectory: root, split: "train")) { error in
            XCTAssertTrue("\(error)".contains("movieReviewSnippets_GroundTruth.txt:2:"), "\(error)")
        }
        XCTAssertThrowsError(try DatasetLoader.load(task: Tasks.rtRating, dataDirectory: root, split: "dev")) { error in
            XCTAssertTrue("\(error)".contains("movieReviewSnippets_GroundTruth.txt:3:"), "\(error)")
        }
        let train = try DatasetLoader.load(task: Tasks.rtPolarity, dataDirectory: root, split: "train", skipBadRows: true)
        XCTAssertEqual(train.skippedRows, 2)
        XCTAssertEqual(train.examples.map(\.id), ["1", "5"])
        XCTAssertEqual(train.labels, [.classIndex(1), .classIndex(0)])
        let dev = try DatasetLoader.load(task: Tasks.rtPolarity, dataDirectory: root, split: "dev", skipBadRows: true)
        XCTAssertEqual(dev.skippedRows, 1)
        XCTAssertEqual(dev.examples.count, 0)
    }

    // MARK: Real asset (fetched by scripts/fetch-assets)

    static func realRTFile() -> URL? {
        var candidates: [URL] = []
        if let env = ProcessInfo.processInfo.environment["BINARYBERT_ASSETS"], !env.isEmpty {
            candidates.append(URL(fileURLWithPath: env))
        }
        let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(repoRoot.appendingPathComponent("assets"))
        for assets in candidates {
            let url = assets.appendingPathComponent("data/rt-polarity/movieReviewSnippets_GroundTruth.txt")
            if FileManager.default.fileExists(atPath: url.path) { return url }
        }
        return nil
    }

    func testRealRottenTomatoesFile() throws {
        guard let file = Self.realRTFile() else {
            throw XCTSkip("rt-polarity asset absent: run scripts/fetch-assets")
        }
        let dir = file.deletingLastPathComponent()
        let train = try DatasetLoader.load(task: Tasks.rtPolarity, dataDirectory: dir, split: "train")
        let dev = try DatasetLoader.load(task: Tasks.rtPolarity, dataDirectory: dir, split: "dev")
        let ratingTrain = try DatasetLoader.load(task: Tasks.rtRating, dataDirectory: dir, split: "train")
        let ratingDev = try DatasetLoader.load(task: Tasks.rtRating, dataDirectory: dir, split: "dev")
        XCTAssertEqual(ratingTrain.examples.count + ratingDev.examples.count, 10_605)
        XCTAssertEqual(ratingTrain.examples.count + ratingDev.examples.count - train.examples.count - dev.examples.count, 37)
        XCTAssertEqual(train.examples.count, 9_507)
        XCTAssertEqual(dev.examples.count, 1_061)
        XCTAssertEqual(ratingTrain.examples.count, 9_540)
        XCTAssertEqual(ratingDev.examples.count, 1_065)
        XCTAssertEqual(train.examples.filter { $0.label == .classIndex(1) }.count, 4_711)
        XCTAssertEqual(dev.examples.filter { $0.label == .classIndex(1) }.count, 531)
        XCTAssertEqual(train.skippedRows + dev.skippedRows, 0)
        XCTAssertEqual(ratingTrain.examples.first?.id, "1")
        XCTAssertEqual(ratingTrain.examples.first?.textA.hasPrefix("The Rock is destined to be the 21st Century's new ''Conan''"), true)
        let last = (ratingTrain.examples + ratingDev.examples).first { $0.id == "10605" }
        XCTAssertEqual(last?.textA.hasSuffix("In this case zero."), true)
        XCTAssertEqual((ratingTrain.examples + ratingDev.examples).first { $0.id == "264" }?.textA,
                       "M\u{FC}nch's genuine insight makes the film's occasional overindulgence forgivable.")
    }
}
