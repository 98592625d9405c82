import XCTest
@testable import TamisCore

/// The byte-string set against Swift's own `Set`, and the normaliser's gathered records
/// against the builder's.
final class ByteStringSetTests: XCTestCase {
    /// Random keys of 0 to 40 bytes (ASCII and not) and probes built to fall through every
    /// shortcut: same first byte and length as a key but another byte, a key one byte longer
    /// or shorter, long keys differing past the 31st byte (lengths from 31 on share a bit of
    /// the first-byte filter). Answers and attached values equal a `Set` and a `Dictionary`.
    func test_lookups_equal_a_set_for_every_length_and_near_miss() {
        var rng = SystemRandomNumberGenerator()
        func key() -> [UInt8] {
            let alphabet: [UInt8] = Array("abcdeé ".utf8) + [0x00, 0xFF]
            return (0..<Int.random(in: 0...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
        }
        var set = ByteStringSet()
        var reference: [[UInt8]: Int] = [:]
        for n in 0..<600 {
            let k = key()
            k.withUnsafeBufferPointer { set.insertOrReplace($0, value: n) }
            reference[k] = n
        }
        var probes = Array(reference.keys)
        for k in reference.keys {
            if !k.isEmpty {
                var changed = k
                changed[changed.count - 1] &+= 1
                probes.append(changed)
                probes.append(Array(k.dropLast()))
            }
            probes.append(k + [0x61])
            probes.append(k + Array(repeating: 0x62, count: 35))
        }
        probes += (0..<2_000).map { _ in key() }
        XCTAssertEqual(set.count, reference.count)
        for probe in probes {
            probe.withUnsafeBufferPointer { probe in
                XCTAssertEqual(set.value(probe), reference[Array(probe)], "\(Array(probe))")
                XCTAssertEqual(set.contains(probe), reference[Array(probe)] != nil)
            }
        }
    }

    /// `PackedFields(gathering:)` (how the normaliser packs a record from its arena) makes the
    /// same storage as the builder, with 16-bit offsets and, past 64 KiB, 32-bit ones, and the
    /// spare bytes asked for.
    func test_gathered_values_equal_the_builders() {
        var rng = SystemRandomNumberGenerator()
        for size in [0, 5, 300, 70_000] {
            let arena = (0..<(size + 50)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var spans: [(start: Int32, end: Int32)] = []
            for _ in 0..<41 {
                let start = Int.random(in: 0...size, using: &rng)
                let end = Bool.random(using: &rng) ? start : Int.random(in: start...min(size + 50, start + max(size / 10, 3)), using: &rng)
                spans.append((Int32(start), Int32(end)))
            }
            if size == 70_000 { spans[7] = (0, 66_000) }
            var builder = PackedFields.Builder(count: spans.count)
            for span in spans { builder.append(arena[Int(span.start)..<Int(span.end)]) }
            let built = builder.finish()
            let gathered = spans.withUnsafeBufferPointer { spans in
                arena.withUnsafeBufferPointer { PackedFields(gathering: spans, from: $0.baseAddress!, spareBytes: 64) }
            }
            XCTAssertEqual(gathered, built, "size \(size)")
            XCTAssertEqual(gathered.wide, size == 70_000)
            XCTAssertGreaterThanOrEqual(gathered.storage.capacity, built.storage.count + 64)
            for i in 0..<spans.count {
                XCTAssertEqual(gathered.bytes(i), Array(arena[Int(spans[i].start)..<Int(spans[i].end)]))
            }
        }
    }
}

/// The normaliser's byte writer against an array, through growth from a tiny capacity.
final class ByteWriterTests: XCTestCase {
    /// The short-copy paths (1-3, 4-7, 8-16 bytes in registers, more by memcpy) copy exactly
    /// `count` bytes and touch nothing around them.
    func test_copies_of_every_length_are_exact() {
        let source = (0..<64).map { UInt8($0 + 1) }
        for count in 0...40 {
            var destination = [UInt8](repeating: 0, count: 64)
            source.withUnsafeBufferPointer { source in
                destination.withUnsafeMutableBufferPointer { Bytes.copy(from: source.baseAddress! + 3, to: $0.baseAddress! + 5, count: count) }
            }
            XCTAssertEqual(Array(destination[5..<(5 + count)]), Array(source[3..<(3 + count)]), "\(count) bytes")
            XCTAssertTrue(destination[..<5].allSatisfy { $0 == 0 } && destination[(5 + count)...].allSatisfy { $0 == 0 }, "\(count) bytes")
        }
    }

    /// `Bytes.array` (how packed records are allocated) holds exactly the bytes written, with
    /// the capacity asked for, whatever the sizes.
    func test_arrays_hold_what_was_written_with_the_capacity_asked() {
        for (room, written, capacity) in [(0, 0, 0), (1, 0, 10), (5, 5, 0), (300, 120, 500), (5000, 4999, 5000)] {
            let array = Bytes.array(writing: room, capacity: capacity) { out in
                for i in 0..<written { out[i] = UInt8(truncatingIfNeeded: i &* 7 &+ 1) }
                return written
            }
            XCTAssertEqual(array, (0..<written).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) })
            XCTAssertGreaterThanOrEqual(array.capacity, capacity)
        }
    }

    func test_a_writer_holds_what_an_array_holds_after_random_edits() {
        var rng = SplitMix64(seed: 3)
        for _ in 0..<50 {
            var writer = ByteWriter(capacity: 1)
            var array: [UInt8] = []
            for _ in 0..<400 {
                switch rng.next() % 8 {
                case 7:
                    // Written in place (room for more than is written; growing from full).
                    let piece = (0..<Int(rng.next() % 30)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                    let room = piece.count + Int(rng.next() % 20)
                    writer.append(room: room) { out in
                        for (i, b) in piece.enumerated() { out[i] = b }
                        return piece.count
                    }
                    array.append(room: room) { out in
                        for (i, b) in piece.enumerated() { out[i] = b }
                        return piece.count
                    }
                    XCTAssertEqual(array.suffix(piece.count), piece[...])
                case 0, 1:
                    let b = UInt8(truncatingIfNeeded: rng.next())
                    writer.append(b); array.append(b)
                case 2:
                    let piece = (0..<Int(rng.next() % 40)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                    piece.withUnsafeBufferPointer { writer.append(contentsOf: $0) }
                    array += piece
                case 3:
                    writer.appendUTF8("Établissement"); array += Array("Établissement".utf8)
                case 4:
                    if !array.isEmpty { XCTAssertEqual(writer.removeLast(), array.removeLast()) }
                case 5:
                    if !array.isEmpty {
                        let i = Int(rng.next() % UInt64(array.count))
                        XCTAssertEqual(writer.remove(at: i), array.remove(at: i))
                    }
                default:
                    if !array.isEmpty {
                        let i = Int(rng.next() % UInt64(array.count))
                        writer[i] = 0x41; array[i] = 0x41
                    }
                }
                XCTAssertEqual(writer.count, array.count)
                XCTAssertEqual(writer.last, array.last)
            }
            XCTAssertEqual(writer.bytes, array)
            XCTAssertEqual(writer.withUnsafeBufferPointer { Array($0) }, array)
        }
    }
}

/// The eight-bytes-at-a-time tests against byte-by-byte answers on random words.
final class EightBytesTests: XCTestCase {
    func test_ranges_and_lower_casing_equal_the_bytewise_answers() {
        var rng = SplitMix64(seed: 12)
        let interesting: [UInt8] = [0x00, 0x20, 0x2E, 0x2F, 0x30, 0x39, 0x3A, 0x40, 0x41, 0x5A, 0x5B, 0x60, 0x61, 0x7A, 0x7B, 0x7F, 0x80, 0xC3, 0xFF]
        for _ in 0..<100_000 {
            let bytes: [UInt8] = (0..<8).map { _ in rng.next() % 2 == 0 ? interesting[Int(rng.next() % UInt64(interesting.count))] : UInt8(0x61 + rng.next() % 26) }
            let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian
            let lowered = withUnsafeBytes(of: Bytes.EightBytes.lowercased(word).littleEndian) { Array($0) }
            XCTAssertEqual(lowered, bytes.map(Bytes.lower), "\(bytes)")
            let alphanumeric = bytes.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) }
            // Ranges combined as the e-mail and SIRET checks combine them: exact on all eight bytes.
            let inRanges = Bytes.EightBytes.inRange(word, 0x61, 0x7A) | Bytes.EightBytes.inRange(word, 0x30, 0x39)
            XCTAssertEqual(inRanges == Bytes.EightBytes.highs, alphanumeric, "\(bytes)")
        }
    }
}
