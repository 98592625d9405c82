import Foundation
import TamisCore
@testable import TamisIO
import XCTest

/// The pieces of the SIRENE register file that the end-to-end tests (small registers) do not
/// reach: the external sort's scratch file.
final class RegisterFileTests: XCTestCase {
    /// Tiny buffers, so nearly every pair goes through the scratch file and back; keys from a
    /// narrow range, so many are equal and their values must stay in order.
    func test_pairs_spilled_to_the_scratch_file_come_back_sorted_by_key_then_value() throws {
        let dir = try makeTemporaryDirectory(self)
        var random = SplitMix64(seed: 11)
        var all: [KeyValuePair] = []
        var parts: [PairBuckets] = []
        var value: UInt64 = 0
        for part in 0..<3 {
            let buckets = try PairBuckets(keyBits: 20, scratch: dir.appendingPathComponent("scratch\(part)").path, bufferPairs: 3)
            for _ in 0..<4000 {
                value += 1 + random.next() % 3
                let pair = KeyValuePair(key: random.next() % 5000 << 8 | random.next() % 2, value: value)
                try buckets.append(key: pair.key, value: pair.value)
                all.append(pair)
            }
            parts.append(buckets)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("scratch0").path), "the scratch file is unlinked at once")
        var sorted: [KeyValuePair] = []
        for bucket in 0..<PairBuckets.bucketCount { sorted += try PairBuckets.sortedBucket(bucket, of: parts.map { ($0, 0) }) }
        XCTAssertEqual(sorted, all.sorted(by: KeyValuePair.precedes))
        XCTAssertGreaterThan(Set(all.map(\.key)).count, 1000)
        XCTAssertLessThan(Set(all.map(\.key)).count, all.count, "equal keys are part of the test")
    }

    func test_radix_sort_orders_keys_over_the_whole_64_bits_and_keeps_equal_keys_in_order() {
        var random = SplitMix64(seed: 5)
        var pairs = (0..<5000).map { i in KeyValuePair(key: i % 7 == 0 ? 42 : random.next(), value: UInt64(i)) }
        let expected = pairs.sorted(by: KeyValuePair.precedes)
        PairBuckets.radixSortByKey(&pairs)
        XCTAssertEqual(pairs, expected)
    }
}
