import XCTest
@testable import TamisCore

final class RadixSortTests: XCTestCase {
    /// Keys of every shape the blocking makes (full 64-bit hashes, row pairs in 52 bits, few
    /// distinct values, one value, none) come out as the standard sort orders them, and items
    /// with equal keys keep their order (the blocking relies on it for rows within a block).
    func test_sorts_as_the_standard_sort_and_is_stable() {
        var rng = SplitMix64(seed: 11)
        let shapes: [(String, () -> UInt64)] = [
            ("hash", { rng.next() }),
            ("row pair", { UInt64(rng.next() % 1_000_000) << 32 | UInt64(rng.next() % 1_000_000) }),
            ("few values", { rng.next() % 7 << 40 }),
            ("one value", { 42 }),
            ("high bits only", { rng.next() & 0xFFF0_0000_0000_0000 }),
        ]
        for (name, draw) in shapes {
            for count in [0, 1, 2, 3, 100, 5_000, 70_000] {
                let keys = (0..<count).map { _ in draw() }
                var sorted = keys
                RadixSort.sort(&sorted)
                XCTAssertEqual(sorted, keys.sorted(), "\(name), \(count) keys")
                var items = keys.enumerated().map { (hash: $0.element, row: Int32($0.offset)) }
                RadixSort.sort(&items) { $0.hash }
                let expected = keys.enumerated().map { (hash: $0.element, row: Int32($0.offset)) }
                    .sorted { $0.hash != $1.hash ? $0.hash < $1.hash : $0.row < $1.row }
                XCTAssertTrue(items.elementsEqual(expected) { $0.hash == $1.hash && $0.row == $1.row }, "\(name), \(count) items: stable")
            }
        }
    }

    func test_union_of_sorted_lists_is_sorted_and_without_repeats() {
        var rng = SplitMix64(seed: 12)
        for lists in [0, 1, 2, 3, 7] {
            let input = (0..<lists).map { _ in (0..<Int(rng.next() % 3_000)).map { _ in rng.next() % 5_000 }.sorted() }
            XCTAssertEqual(RadixSort.union(input), Array(Set(input.joined())).sorted(), "\(lists) lists")
        }
        XCTAssertEqual(RadixSort.union([[1, 1, 2], [], [2, 3, 3]]), [1, 2, 3])
    }
}
