import TamisCore

/// The text encodings Tamis reads. Everything is converted to UTF-8 on the way in.
public enum TextEncoding: String, Sendable, CaseIterable {
    case utf8 = "utf-8"
    case utf16LE = "utf-16le"
    case utf16BE = "utf-16be"
    case windows1252 = "cp1252"
    case latin1 = "latin-1"

    /// Parses a pipeline setting (`utf-8`, `utf8`, `cp1252`, `windows-1252`, `latin-1`, `iso-8859-1`…).
    public init?(setting: String) {
        switch AccentFolding.key(setting) {
        case "utf 8", "utf8": self = .utf8
        case "utf 16le", "utf 16 le", "utf16le": self = .utf16LE
        case "utf 16be", "utf 16 be", "utf16be": self = .utf16BE
        case "cp1252", "cp 1252", "windows 1252", "win1252", "ansi": self = .windows1252
        case "latin 1", "latin1", "iso 8859 1", "iso8859 1", "iso88591": self = .latin1
        default: return nil
        }
    }
}

/// What encoding detection found, and why.
public struct DetectedEncoding: Sendable, Equatable {
    public var encoding: TextEncoding
    public var hasBOM: Bool
    /// Bytes to skip at the start of the file (the BOM).
    public var bomLength: Int

    public init(encoding: TextEncoding, hasBOM: Bool, bomLength: Int) {
        self.encoding = encoding
        self.hasBOM = hasBOM
        self.bomLength = bomLength
    }
}

public enum EncodingDetector {
    /// Detects the encoding from the first bytes of a file.
    ///
    /// A BOM decides (UTF-8, UTF-16 LE/BE). Without one, the sample is UTF-8 if it is valid
    /// UTF-8 (a multi-byte sequence cut at the end of the sample is allowed), else Windows-1252,
    /// which is what French Excel writes. A file that is UTF-8 but has a stray invalid byte later
    /// is handled per field at ingest.
    public static func detect(_ sample: [UInt8]) -> DetectedEncoding {
        if sample.starts(with: [0xEF, 0xBB, 0xBF]) { return DetectedEncoding(encoding: .utf8, hasBOM: true, bomLength: 3) }
        if sample.starts(with: [0xFF, 0xFE]) { return DetectedEncoding(encoding: .utf16LE, hasBOM: true, bomLength: 2) }
        if sample.starts(with: [0xFE, 0xFF]) { return DetectedEncoding(encoding: .utf16BE, hasBOM: true, bomLength: 2) }
        let evidence = sample.withUnsafeBufferPointer { utf8Evidence($0) }
        // Windows-1252 text almost never forms valid UTF-8 multi-byte sequences ("Ã©" would be
        // needed), so valid sequences outweighing invalid bytes mean a UTF-8 file with a few
        // pasted Windows-1252 values — which are repaired field by field at ingest.
        if evidence.invalid == 0 || evidence.validMultibyte > evidence.invalid {
            return DetectedEncoding(encoding: .utf8, hasBOM: false, bomLength: 0)
        }
        return DetectedEncoding(encoding: .windows1252, hasBOM: false, bomLength: 0)
    }

    /// Counts valid multi-byte UTF-8 sequences and invalid bytes.
    static func utf8Evidence(_ bytes: UnsafeBufferPointer<UInt8>) -> (validMultibyte: Int, invalid: Int) {
        var valid = 0, invalid = 0
        var rest = bytes
        while !rest.isEmpty {
            switch UTF8Validation.check(rest) {
            case .valid, .truncated:
                valid += multibyteStarts(rest)
                return (valid, invalid)
            case .invalid(let at):
                valid += multibyteStarts(UnsafeBufferPointer(rebasing: rest[..<at]))
                invalid += 1
                rest = UnsafeBufferPointer(rebasing: rest[(at + 1)...])
            }
        }
        return (valid, invalid)
    }

    private static func multibyteStarts(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        bytes.reduce(0) { $0 + ($1 >= 0xC2 && $1 <= 0xF4 ? 1 : 0) }
    }

    /// The BOM length for an explicitly configured encoding, when the file has one.
    public static func bomLength(of sample: [UInt8], for encoding: TextEncoding) -> Int {
        switch encoding {
        case .utf8: return sample.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        case .utf16LE: return sample.starts(with: [0xFF, 0xFE]) ? 2 : 0
        case .utf16BE: return sample.starts(with: [0xFE, 0xFF]) ? 2 : 0
        case .windows1252, .latin1: return 0
        }
    }

    /// Recognises files that are not text at all, so the steward gets a useful message.
    public static func binaryKind(_ sample: [UInt8]) -> String? {
        if sample.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            return "a ZIP archive (an Excel .xlsx or .ods saved under another name?)"
        }
        if sample.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) { return "an old Excel .xls (OLE2) workbook" }
        if sample.starts(with: [0x25, 0x50, 0x44, 0x46]) { return "a PDF document" }
        if sample.starts(with: [0x1F, 0x8B]) { return "a gzip archive" }
        // Many NUL bytes in a non-UTF-16 sample: binary.
        let nulCount = sample.prefix(4096).reduce(0) { $0 + ($1 == 0 ? 1 : 0) }
        if nulCount > 16 { return "a binary file (it contains many NUL bytes)" }
        return nil
    }
}
