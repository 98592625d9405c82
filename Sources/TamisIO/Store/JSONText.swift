/// Minimal JSON string building for per-record blobs (Foundation's encoders are far too slow
/// for a million rows).
public enum JSONText {
    public static func appendString(_ bytes: some Sequence<UInt8>, to out: inout [UInt8]) {
        out.append(0x22)
        for b in bytes {
            switch b {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: out.append(contentsOf: [0x5C, 0x72])
            case 0x09: out.append(contentsOf: [0x5C, 0x74])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default: out.append(b)
            }
        }
        out.append(0x22)
    }

    /// `{"name":"value",…}` for the non-empty values.
    public static func object(_ pairs: [(String, [UInt8])]) -> String {
        var out: [UInt8] = [0x7B]
        var first = true
        for (name, value) in pairs where !value.isEmpty {
            if !first { out.append(0x2C) }
            first = false
            appendString(name.utf8, to: &out)
            out.append(0x3A)
            appendString(value, to: &out)
        }
        out.append(0x7D)
        return String(decoding: out, as: UTF8.self)
    }
}
