import XCTest
@testable import TamisCore

final class ComparatorTests: XCTestCase {
    func jw(_ a: String, _ b: String) -> Double {
        Array(a.utf8).withUnsafeBufferPointer { x in Array(b.utf8).withUnsafeBufferPointer { y in JaroWinkler.similarity(x, y) } }
    }
    func lev(_ a: String, _ b: String) -> Int {
        Array(a.utf8).withUnsafeBufferPointer { x in Array(b.utf8).withUnsafeBufferPointer { y in EditDistance.levenshtein(x, y) } }
    }
    func osa(_ a: String, _ b: String) -> Int {
        Array(a.utf8).withUnsafeBufferPointer { x in Array(b.utf8).withUnsafeBufferPointer { y in EditDistance.damerau(x, y) } }
    }
    func tokens(_ a: String, _ b: String) -> Double {
        Array(a.utf8).withUnsafeBufferPointer { x in Array(b.utf8).withUnsafeBufferPointer { y in TokenSet.similarity(x, y) } }
    }
    func phonetic(_ s: String) -> String {
        String(decoding: Array(s.utf8).withUnsafeBufferPointer { FrenchPhonetic.key($0) }, as: UTF8.self)
    }

    /// Published values (Winkler 1990; the usual test pairs of jellyfish and rapidfuzz).
    func test_jaro_winkler_known_values() {
        XCTAssertEqual(jw("martha", "marhta"), 0.9611, accuracy: 0.0001)
        XCTAssertEqual(jw("dwayne", "duane"), 0.84, accuracy: 0.0001)
        XCTAssertEqual(jw("dixon", "dicksonx"), 0.8133, accuracy: 0.0001)
        XCTAssertEqual(jw("jellyfish", "smellyfish"), 0.8963, accuracy: 0.0001)
        XCTAssertEqual(jw("martin", "martin"), 1)
        XCTAssertEqual(jw("abc", "xyz"), 0)
        XCTAssertEqual(jw("", "abc"), 0)
        XCTAssertEqual(jw("a", "a"), 1)
        XCTAssertEqual(jw("kerjean", "martin"), jw("martin", "kerjean"), accuracy: 1e-12, "symmetric")
    }

    func test_bit_parallel_jaro_agrees_with_the_scan_on_random_strings() {
        var rng = SplitMix64(seed: 9)
        for _ in 0..<5000 {
            let a = (0..<Int(rng.next() % 30) + 1).map { _ in UInt8(0x61 + rng.next() % 5) }
            let b = (0..<Int(rng.next() % 30) + 1).map { _ in UInt8(0x61 + rng.next() % 5) }
            let fast = a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { JaroWinkler.jaroBitParallel(x, $0) } }
            let scan = a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { JaroWinkler.jaroScan(x, $0) } }
            XCTAssertEqual(fast, scan, accuracy: 1e-12, "\(a) \(b)")
            if a.count <= 12 {
                let short = a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { JaroWinkler.jaroBitParallelShort(x, $0) } }
                XCTAssertEqual(short, scan, accuracy: 1e-12, "short: \(a) \(b)")
            }
        }
        // Up to the 64-byte limit, and past it (the scan takes over).
        let long = Array(String(repeating: "abcdefgh", count: 8).utf8), longer = Array(String(repeating: "abcdefgh", count: 9).utf8)
        XCTAssertEqual(long.withUnsafeBufferPointer { x in long.withUnsafeBufferPointer { JaroWinkler.jaro(x, $0) } }, 1)
        XCTAssertEqual(longer.withUnsafeBufferPointer { x in long.withUnsafeBufferPointer { JaroWinkler.jaro(x, $0) } },
                       longer.withUnsafeBufferPointer { x in long.withUnsafeBufferPointer { JaroWinkler.jaroScan(x, $0) } }, accuracy: 1e-12)
    }

    /// The letter-count bound only ever says "below" when the similarity is below: on random
    /// strings over small and large alphabets, with shared prefixes, at every threshold the
    /// matcher uses, and at the similarity itself (the tightest case).
    func test_jaro_winkler_bound_never_settles_a_pair_at_or_above_the_threshold() {
        var rng = SplitMix64(seed: 31)
        var settled = 0, pairs = 0
        for n in 0..<20_000 {
            let alphabet = UInt64([3, 8, 26, 40][n % 4])
            func word() -> [UInt8] { (0..<Int(rng.next() % 28) + 1).map { _ in UInt8(0x61 + rng.next() % alphabet) } }
            var a = word(), b = word()
            if n % 3 == 0 { b = Array(a.prefix(Int(rng.next() % 5))) + b }  // a common prefix: the Winkler bonus
            if n % 5 == 0 { b = a; for i in b.indices.reversed() { b.swapAt(i, Int(rng.next() % UInt64(i + 1))) } }  // the same letters, shuffled
            let s = a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { JaroWinkler.similarity(x, $0) } }
            for t in [0.6, 0.7, 0.8, 0.9, 0.92, s, s.nextDown, s.nextUp] {
                let below = a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { JaroWinkler.isCertainlyBelow(x, $0, t) } }
                if below { XCTAssertLessThan(s, t, "\(String(decoding: a, as: UTF8.self)) / \(String(decoding: b, as: UTF8.self)) at \(t)") }
                let reaches = a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { JaroWinkler.reaches(x, $0, t) } }
                XCTAssertEqual(reaches, s >= t)
                if t == 0.8 { pairs += 1; if below { settled += 1 } }
            }
        }
        // And it is worth having: unrelated French addresses are mostly settled by it.
        let streets = ["12 rue de la paix", "4 avenue jean jaures", "zi les paluds", "chemin des vignes",
                       "38 boulevard haussmann", "place bellecour", "7 impasse du moulin", "route de lyon"]
        var addressesSettled = 0
        for x in streets { for y in streets where x != y {
            if Array(x.utf8).withUnsafeBufferPointer({ p in Array(y.utf8).withUnsafeBufferPointer { JaroWinkler.isCertainlyBelow(p, $0, 0.8) } }) {
                addressesSettled += 1
            }
        } }
        XCTAssertGreaterThan(settled, pairs / 4, "random pairs settled at 0.8")
        XCTAssertGreaterThan(addressesSettled, 56 / 2, "unrelated addresses settled at 0.8")
    }

    func test_edit_distances_known_values() {
        XCTAssertEqual(lev("kitten", "sitting"), 3)
        XCTAssertEqual(lev("flaw", "lawn"), 2)
        XCTAssertEqual(lev("", "abc"), 3)
        XCTAssertEqual(lev("martin", "martin"), 0)
        XCTAssertEqual(lev("mratin", "martin"), 2)
        XCTAssertEqual(osa("mratin", "martin"), 1, "an adjacent transposition costs 1")
        XCTAssertEqual(osa("ca", "abc"), 3, "optimal string alignment: no edit of a transposed pair")
        XCTAssertEqual(osa("kitten", "sitting"), 3)
        XCTAssertEqual(osa("abcdef", "badcfe"), 3)
        XCTAssertEqual(osa("", ""), 0)
    }

    func test_edit_distance_matches_a_plain_implementation_on_random_strings() {
        var rng = SplitMix64(seed: 5)
        func plain(_ a: [UInt8], _ b: [UInt8]) -> Int {
            var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
            for i in 0...a.count { d[i][0] = i }
            for j in 0...b.count { d[0][j] = j }
            if a.isEmpty || b.isEmpty { return d[a.count][b.count] }
            for i in 1...a.count {
                for j in 1...b.count {
                    d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                    if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
                }
            }
            return d[a.count][b.count]
        }
        // Letters, then digits mixed with bytes that share their class of the count filter (`!` and `a`: 0x21, 0x61).
        let alphabets: [[UInt8]] = [[0x61, 0x62, 0x63, 0x64], [0x30, 0x31, 0x32, 0x21, 0x61, 0x70, 0x31]]
        for round in 0..<4000 {
            let alphabet = alphabets[round % 2]
            let a = (0..<Int(rng.next() % 11)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            let b = (0..<Int(rng.next() % 11)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            let exact = plain(a, b)
            XCTAssertEqual(a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { EditDistance.damerau(x, $0) } }, exact, "\(a) \(b)")
            for bound in 0...3 {
                let bounded = a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { EditDistance.damerau(x, $0, bound: bound) } }
                XCTAssertEqual(bounded, exact <= bound ? exact : bound + 1, "bound \(bound): \(a) \(b)")
            }
        }
    }

    /// Byte equality by words for 4 to 16 bytes: every length, a difference at every position.
    func test_byte_equality_sees_a_difference_anywhere_at_every_length() {
        for length in 0...24 {
            let a = (0..<length).map { UInt8(0x30 + $0 % 10) }
            a.withUnsafeBufferPointer { x in
                let copy = Array(a)
                copy.withUnsafeBufferPointer { XCTAssertTrue(Bytes.equal(x, $0), "length \(length)") }
                for position in 0..<length {
                    var other = a
                    other[position] ^= 0x01
                    other.withUnsafeBufferPointer { XCTAssertFalse(Bytes.equal(x, $0), "length \(length), position \(position)") }
                }
                (a + [0x30]).withUnsafeBufferPointer { XCTAssertFalse(Bytes.equal(x, $0), "lengths differ") }
                // A slice inside a longer buffer: only its own bytes count.
                let longer = [0x41] + a + [0x42]
                longer.withUnsafeBufferPointer { XCTAssertTrue(Bytes.equal(x, UnsafeBufferPointer(rebasing: $0[1..<(1 + length)]))) }
            }
        }
    }

    func test_token_set_ignores_order_and_counts_shared_words() {
        XCTAssertEqual(tokens("martin et fils", "fils martin et"), 1)
        XCTAssertEqual(tokens("boulangerie martin", "martin"), 2.0 / 3.0, accuracy: 1e-9)
        XCTAssertEqual(tokens("acme", "zenith"), 0)
        XCTAssertEqual(tokens("a a", "a"), 2.0 / 3.0, accuracy: 1e-9, "repeated words are not counted twice against the other side")
    }

    func test_french_phonetic_groups_spellings_of_the_same_name() {
        XCTAssertEqual(phonetic("lefevre"), "LFVR")
        XCTAssertEqual(phonetic("lefeuvre"), "LFVR")
        XCTAssertEqual(phonetic("mathieu"), phonetic("matthieu"))
        XCTAssertEqual(phonetic("philippe"), phonetic("filipe"))
        XCTAssertEqual(phonetic("gauthier"), phonetic("gautier"))
        XCTAssertEqual(phonetic("caron"), phonetic("karon"))
        XCTAssertNotEqual(phonetic("martin"), phonetic("bernard"))
        XCTAssertNotEqual(phonetic("dupont"), phonetic("durand"))
        XCTAssertEqual(phonetic(""), "")
        XCTAssertLessThanOrEqual(phonetic("kerjeanbourdais").count, 4)
    }
}
