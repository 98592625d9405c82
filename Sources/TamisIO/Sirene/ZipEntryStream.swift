import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streams the first CSV entry of a zip file, inflated, in chunks: INSEE's stock files come
/// zipped (several GB unzipped) and are never unpacked to disk.
///
/// Read from the local file header at the start of the file, not from the central directory
/// at its end, so a truncated download is still read as far as it goes and the caller can say
/// which row it reached. The entry's CRC-32 is checked at its end. Deflate (8) and stored (0)
/// entries, data descriptors and ZIP64 sizes are handled; memory stays flat (one input and one
/// output buffer).
public final class ZipEntryStream {
    public let path: String
    /// The entry's name inside the zip (`StockEtablissement_utf8.csv`).
    public private(set) var entryName = ""
    /// Compressed bytes read so far (for progress against the file size).
    public private(set) var compressedRead = 0
    public let fileSize: Int

    private let reader: FileByteReader
    private var input: [UInt8] = []
    private var inputStart = 0

    /// True when `path` starts with a zip local-file-header signature.
    public static func isZip(_ path: String) -> Bool {
        guard let head = try? FileByteReader.prefix(of: path, count: 4), head.count == 4 else { return false }
        return head == [0x50, 0x4B, 0x03, 0x04]
    }

    public init(path: String) throws {
        self.path = path
        reader = try FileByteReader(path: path)
        fileSize = reader.size
    }

    private func fail(_ problem: String) -> InputError {
        InputError(file: path, problem: problem,
                   hint: "download the stock file again from data.gouv.fr (\"Base Sirene des entreprises et de leurs établissements\"); the previous register is left in place")
    }

    /// Makes at least `count` unread bytes available; false at the end of the file.
    private func need(_ count: Int) throws -> Bool {
        while input.count - inputStart < count {
            guard let chunk = try reader.nextChunk() else { return false }
            if inputStart > 0 {
                input.removeSubrange(0..<inputStart)
                inputStart = 0
            }
            input.append(contentsOf: chunk)
            compressedRead += chunk.count
        }
        return true
    }

    private func le(_ offset: Int, _ width: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in (0..<width).reversed() { value = value << 8 | UInt64(input[inputStart + offset + i]) }
        return value
    }

    /// Inflates the first `.csv` entry (or the first entry, if none is named `.csv` before it)
    /// and calls `body` with each piece of its content.
    public func forEachChunk(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {

        while true {
            guard try need(30) else {
                throw fail(compressedRead == 0 ? "empty file" : "the zip ends before its first entry (truncated download?)")
            }
            guard le(0, 4) == 0x0403_4B50 else {
                throw fail("not a zip file, or no entry where one was expected (signature \(String(le(0, 4), radix: 16)))")
            }
            let flags = le(6, 2)
            let method = le(8, 2)
            let crc = UInt32(le(14, 4))
            var compressedSize = le(18, 4)
            let nameLength = Int(le(26, 2)), extraLength = Int(le(28, 2))
            guard try need(30 + nameLength + extraLength) else {
                throw fail("the zip ends inside its first entry's header (truncated download?)")
            }
            entryName = String(decoding: input[(inputStart + 30)..<(inputStart + 30 + nameLength)], as: UTF8.self)
            // ZIP64: the real sizes are in the extra field (header 0x0001).
            var e = 30 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = le(e, 2), size = Int(le(e + 2, 2))
                if id == 0x0001, size >= 16 { compressedSize = le(e + 12, 8) }
                e += 4 + size
            }
            inputStart += 30 + nameLength + extraLength
            let isCSV = entryName.lowercased().hasSuffix(".csv")
            if !isCSV && flags & 0x8 == 0 {
                // Not the stock (a folder or a readme): skip it.
                var skip = Int(compressedSize)
                while skip > 0 {
                    guard try need(1) else { throw fail("the zip ends inside an entry (truncated download?)") }
                    let n = min(skip, input.count - inputStart)
                    inputStart += n
                    skip -= n
                }
                continue
            }
            guard flags & 0x1 == 0 else { throw fail("the entry \(entryName) is encrypted") }
            switch method {
            case 8: try inflateEntry(expectedCRC: crc, descriptor: flags & 0x8 != 0, body)
            case 0:
                guard flags & 0x8 == 0 else { throw fail("a stored entry with a data descriptor is not supported") }
                try copyStored(count: Int(compressedSize), expectedCRC: crc, body)
            default: throw fail("the entry \(entryName) uses compression method \(method); only deflate (8) and stored (0) are read")
            }
            return
        }
    }

    private func copyStored(count: Int, expectedCRC: UInt32,
                            _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        var left = count
        var crc: uLong = crc32(0, nil, 0)
        while left > 0 {
            guard try need(1) else { throw fail("the zip ends inside \(entryName) (truncated download?)") }
            let n = min(left, input.count - inputStart)
            try input.withUnsafeBufferPointer { all in
                let piece = UnsafeBufferPointer(rebasing: all[inputStart..<(inputStart + n)])
                crc = crc32(crc, piece.baseAddress, uInt(n))
                try body(piece)
            }
            inputStart += n
            left -= n
        }
        guard UInt32(truncatingIfNeeded: crc) == expectedCRC else { throw fail("\(entryName): CRC-32 mismatch (the file is damaged)") }
    }

    private func inflateEntry(expectedCRC: UInt32, descriptor: Bool,
                              _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw fail("zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: 1 << 20)
        var crc: uLong = crc32(0, nil, 0)
        var ended = false
        while !ended {
            if input.count - inputStart == 0 {
                guard try need(1) else {
                    throw fail("the zip ends inside \(entryName) (truncated download?)")
                }
            }
            let available = input.count - inputStart
            var consumed = 0
            try input.withUnsafeMutableBufferPointer { all in
                stream.next_in = all.baseAddress! + inputStart
                stream.avail_in = uInt(available)
                repeat {
                    let produced: Int = output.withUnsafeMutableBufferPointer { out in
                        stream.next_out = out.baseAddress
                        stream.avail_out = uInt(out.count)
                        let code = inflate(&stream, Z_NO_FLUSH)
                        if code == Z_STREAM_END { ended = true } else if code != Z_OK && code != Z_BUF_ERROR { return -Int(code) - 1000 }
                        return out.count - Int(stream.avail_out)
                    }
                    if produced < 0 { throw fail("\(entryName): the compressed data is damaged (zlib error \(produced + 1000))") }
                    if produced > 0 {
                        try output.withUnsafeBufferPointer { out in
                            let piece = UnsafeBufferPointer(rebasing: out[0..<produced])
                            crc = crc32(crc, piece.baseAddress, uInt(produced))
                            try body(piece)
                        }
                    }
                } while stream.avail_out == 0 && !ended
                consumed = available - Int(stream.avail_in)
            }
            inputStart += consumed
        }
        var expected = expectedCRC
        if descriptor {
            // Optional signature, then CRC-32 and the sizes.
            if try need(4), le(0, 4) == 0x0807_4B50 { inputStart += 4 }
            guard try need(4) else { throw fail("the zip ends before \(entryName)'s data descriptor (truncated download?)") }
            expected = UInt32(le(0, 4))
        }
        guard UInt32(truncatingIfNeeded: crc) == expected else {
            throw fail("\(entryName): CRC-32 mismatch (the file is damaged)")
        }
    }
}
