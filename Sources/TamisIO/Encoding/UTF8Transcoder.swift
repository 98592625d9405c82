import TamisCore

/// Converts a byte stream in a given encoding to UTF-8, chunk by chunk.
///
/// UTF-8 input passes through untouched (invalid bytes are dealt with per field, later).
/// UTF-16 input keeps a carried byte / high surrogate across chunk boundaries; unpaired
/// surrogates become U+FFFD and are counted.
public struct UTF8Transcoder {
    public let encoding: TextEncoding
    private var skip: Int
    private var carry: [UInt8] = []
    private var pendingHigh: UInt32?
    public private(set) var replacements = 0
    private var output: [UInt8] = []

    public init(encoding: TextEncoding, skipBOM bomLength: Int) {
        self.encoding = encoding
        skip = bomLength
    }

    /// Transcodes `chunk` and calls `body` with UTF-8 bytes (possibly the chunk itself).
    public mutating func transcode(_ chunk: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        var input = chunk
        if skip > 0 {
            let n = min(skip, input.count)
            input = UnsafeBufferPointer(rebasing: input[n...])
            skip -= n
        }
        switch encoding {
        case .utf8:
            try body(input)
        case .windows1252, .latin1:
            output.removeAll(keepingCapacity: true)
            Windows1252.decode(input, into: &output, latin1: encoding == .latin1)
            try output.withUnsafeBufferPointer { try body($0) }
        case .utf16LE, .utf16BE:
            output.removeAll(keepingCapacity: true)
            decodeUTF16(input)
            try output.withUnsafeBufferPointer { try body($0) }
        }
    }

    /// Flushes what is left at the end of the input.
    public mutating func finish(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        guard encoding == .utf16LE || encoding == .utf16BE else { return }
        output.removeAll(keepingCapacity: true)
        if !carry.isEmpty || pendingHigh != nil {
            replacements += 1
            Windows1252.appendUTF8(0xFFFD, to: &output)
            carry.removeAll()
            pendingHigh = nil
        }
        try output.withUnsafeBufferPointer { try body($0) }
    }

    private mutating func decodeUTF16(_ input: UnsafeBufferPointer<UInt8>) {
        var i = 0
        let littleEndian = encoding == .utf16LE
        func unit(_ a: UInt8, _ b: UInt8) -> UInt32 {
            littleEndian ? UInt32(a) | UInt32(b) << 8 : UInt32(a) << 8 | UInt32(b)
        }
        var units: [UInt32] = []
        if !carry.isEmpty, input.count > 0 {
            units.append(unit(carry[0], input[0]))
            carry.removeAll()
            i = 1
        }
        while i + 1 < input.count {
            units.append(unit(input[i], input[i + 1]))
            i += 2
        }
        if i < input.count { carry = [input[i]] }
        for u in units {
            if let high = pendingHigh {
                pendingHigh = nil
                if u >= 0xDC00 && u <= 0xDFFF {
                    Windows1252.appendUTF8(0x10000 + ((high - 0xD800) << 10) + (u - 0xDC00), to: &output)
                    continue
                }
                replacements += 1
                Windows1252.appendUTF8(0xFFFD, to: &output)
            }
            if u >= 0xD800 && u <= 0xDBFF { pendingHigh = u; continue }
            if u >= 0xDC00 && u <= 0xDFFF { replacements += 1; Windows1252.appendUTF8(0xFFFD, to: &output); continue }
            Windows1252.appendUTF8(u, to: &output)
        }
    }
}
