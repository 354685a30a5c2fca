/// Greedy longest-match-first WordPiece, as HuggingFace's `WordpieceTokenizer`.
///
/// A word is split left to right; at each position the longest vocabulary entry is taken
/// ("##"-prefixed after the first piece). A word longer than `maxInputCharsPerWord` code points,
/// or one with a position where nothing matches, becomes the unknown token as a whole.
///
/// The longest match is found by walking a code-point trie of the vocabulary, which gives the same
/// result as HF's loop over shrinking substrings without building any strings.
public struct WordPieceTokenizer: Sendable {
    public let vocabulary: Vocabulary
    public let unkToken: String
    public let maxInputCharsPerWord: Int
    /// Id of `unkToken`, or nil when the vocabulary lacks it.
    public let unkId: Int?
    private let trie: ScalarTrie
    /// Trie node reached by "##" (continuation pieces), nil if no token starts with "##".
    private let continuationRoot: Int32?

    public init(vocabulary: Vocabulary, unkToken: String = "[UNK]", maxInputCharsPerWord: Int = 100) {
        self.vocabulary = vocabulary
        self.unkToken = unkToken
        self.maxInputCharsPerWord = maxInputCharsPerWord
        self.unkId = vocabulary.id(unkToken)
        let trie = ScalarTrie(tokens: vocabulary.tokens)
        self.trie = trie
        if let hash = trie.child(0, 0x23), let hashHash = trie.child(hash, 0x23) {
            continuationRoot = hashHash
        } else {
            continuationRoot = nil
        }
    }

    /// WordPiece tokens of `text` (split on whitespace first, as HF does); unknown words give `unkToken`.
    public func tokenize(_ text: String) -> [String] {
        var output: [String] = []
        let scalars = Array(text.unicodeScalars)
        var i = 0
        while i < scalars.count {
            if UnicodeClass.isPythonSpace(scalars[i].value) {
                i += 1
                continue
            }
            var j = i + 1
            while j < scalars.count && !UnicodeClass.isPythonSpace(scalars[j].value) { j += 1 }
            if let ids = pieceIds(scalars[i..<j]) {
                output.append(contentsOf: ids.map { vocabulary.tokens[$0] })
            } else {
                output.append(unkToken)
            }
            i = j
        }
        return output
    }

    /// Appends the ids of `word`'s pieces to `ids`, or `unkId` if the word is unknown.
    func appendIds(of word: ArraySlice<Unicode.Scalar>, unkId: Int, to ids: inout [Int]) {
        if let pieces = pieceIds(word) {
            ids.append(contentsOf: pieces)
        } else {
            ids.append(unkId)
        }
    }

    /// Piece ids of one word, or nil when it must become the unknown token.
    func pieceIds(_ word: ArraySlice<Unicode.Scalar>) -> [Int]? {
        if word.count > maxInputCharsPerWord { return nil }
        var pieces: [Int] = []
        var start = word.startIndex
        let end = word.endIndex
        while start < end {
            var node: Int32
            if start == word.startIndex {
                node = 0
            } else {
                guard let root = continuationRoot else { return nil }
                node = root
            }
            var matchEnd = -1
            var matchId: Int32 = -1
            var i = start
            while i < end, let next = trie.child(node, word[i].value) {
                node = next
                i += 1
                let id = trie.tokenIds[Int(node)]
                if id >= 0 {
                    matchEnd = i
                    matchId = id
                }
            }
            if matchEnd < 0 { return nil }
            pieces.append(Int(matchId))
            start = matchEnd
        }
        return pieces
    }
}

/// A trie over Unicode scalar values; node 0 is the root.
///
/// Built with a hash map, then frozen into a compact layout: the children of node `n` are
/// `childScalars[childStart[n]..<childStart[n + 1]]` (sorted) with targets in `childNodes`,
/// plus a direct ASCII table for the root and the "##" node, where most lookups start.
struct ScalarTrie: Sendable {
    /// Token id ending at each node, -1 if none.
    let tokenIds: [Int32]
    private let childStart: [Int32]
    private let childScalars: [UInt32]
    private let childNodes: [Int32]
    /// 128 entries per node listed in `asciiTableNodes`: child for an ASCII scalar, -1 if none.
    private let asciiTables: [Int32]
    private let asciiTableNodes: [Int32]

    init(tokens: [String]) {
        var edges: [UInt64: Int32] = [:]
        var ids: [Int32] = [-1]
        var triples: [(parent: Int32, scalar: UInt32, child: Int32)] = []
        for (id, token) in tokens.enumerated() {
            var node: Int32 = 0
            for scalar in token.unicodeScalars {
                let key = UInt64(UInt32(bitPattern: node)) << 32 | UInt64(scalar.value)
                if let next = edges[key] {
                    node = next
                } else {
                    let next = Int32(ids.count)
                    ids.append(-1)
                    edges[key] = next
                    triples.append((node, scalar.value, next))
                    node = next
                }
            }
            ids[Int(node)] = Int32(id)  // a later duplicate wins, like HF's dict
        }
        triples.sort { ($0.parent, $0.scalar) < ($1.parent, $1.scalar) }
        var start = [Int32](repeating: 0, count: ids.count + 1)
        for triple in triples { start[Int(triple.parent) + 1] += 1 }
        for i in 0..<ids.count { start[i + 1] += start[i] }
        tokenIds = ids
        childStart = start
        childScalars = triples.map(\.scalar)
        childNodes = triples.map(\.child)

        // ASCII tables for the root and for "##".
        var tableNodes: [Int32] = [0]
        if let hash = edges[0x23], let hashHash = edges[UInt64(UInt32(bitPattern: hash)) << 32 | 0x23] {
            tableNodes.append(hashHash)
        }
        var tables = [Int32](repeating: -1, count: 128 * tableNodes.count)
        for (t, node) in tableNodes.enumerated() {
            for k in Int(start[Int(node)])..<Int(start[Int(node) + 1]) where childScalars[k] < 128 {
                tables[t * 128 + Int(childScalars[k])] = childNodes[k]
            }
        }
        asciiTables = tables
        asciiTableNodes = tableNodes
    }

    @inline(__always)
    func child(_ node: Int32, _ scalar: UInt32) -> Int32? {
        if scalar < 128 {
            for (t, tableNode) in asciiTableNodes.enumerated() where tableNode == node {
                let next = asciiTables[t * 128 + Int(scalar)]
                return next >= 0 ? next : nil
            }
        }
        var lo = Int(childStart[Int(node)])
        var hi = Int(childStart[Int(node) + 1])
        if hi - lo <= 8 {
            while lo < hi {
                if childScalars[lo] == scalar { return childNodes[lo] }
                lo += 1
            }
            return nil
        }
        while lo < hi {
            let mid = (lo + hi) >> 1
            let value = childScalars[mid]
            if value == scalar { return childNodes[mid] }
            if value < scalar { lo = mid + 1 } else { hi = mid }
        }
        return nil
    }
}
