/// How one column of a source is used.
public enum ColumnRole: Sendable, Equatable {
    case field(CanonicalField)
    /// Kept as an extra attribute under its header name (never dropped).
    case extra(name: String)
}

/// Why a column got its role, for `tamis inspect`.
public enum MappingOrigin: String, Sendable, Equatable {
    /// Set in the pipeline file.
    case explicit
    /// Recognised from the header text.
    case detected
    /// Not recognised, or its field was already taken by an earlier column.
    case unmapped
}

public struct ColumnAssignment: Sendable, Equatable {
    public var header: String
    public var role: ColumnRole
    public var origin: MappingOrigin
    /// When `origin == .unmapped` because a previous column already had the field.
    public var shadowedBy: Int?
}

/// Maps a source's header row onto canonical fields.
///
/// Explicit mappings from the pipeline file win; the rest is detected from the header text,
/// accent- and case-insensitively, with French and English synonyms. Each field is taken by
/// at most one column (the first); later columns that would map to it are kept as extras.
public struct ColumnMapping: Sendable, Equatable {
    public private(set) var columns: [ColumnAssignment]

    /// - Parameters:
    ///   - headers: the header row, as read.
    ///   - explicit: header text → field from the pipeline file (matched after folding too).
    ///   - extras: header texts of columns to keep only as extras (no detection).
    public init(headers: [String], explicit: [String: CanonicalField] = [:], extras: Set<String> = []) {
        let extrasFolded = Set(extras.map { AccentFolding.key($0) })
        var explicitFolded: [String: CanonicalField] = [:]
        for (header, field) in explicit { explicitFolded[AccentFolding.key(header)] = field }
        var taken: [CanonicalField: Int] = [:]
        var result: [ColumnAssignment] = []
        // Explicit mappings first, so they win over a detected column that comes earlier.
        var roles = [CanonicalField?](repeating: nil, count: headers.count)
        var origins = [MappingOrigin](repeating: .unmapped, count: headers.count)
        for (i, header) in headers.enumerated() {
            if let field = explicit[header] ?? explicitFolded[AccentFolding.key(header)], taken[field] == nil {
                roles[i] = field
                origins[i] = .explicit
                taken[field] = i
            }
        }
        var shadowed = [Int?](repeating: nil, count: headers.count)
        for (i, header) in headers.enumerated() where roles[i] == nil {
            if extras.contains(header) || extrasFolded.contains(AccentFolding.key(header)) {
                origins[i] = .explicit
                continue
            }
            guard let field = ColumnMapping.detect(header) else { continue }
            if let previous = taken[field] {
                shadowed[i] = previous
                continue
            }
            roles[i] = field
            origins[i] = .detected
            taken[field] = i
        }
        for (i, header) in headers.enumerated() {
            if let field = roles[i] {
                result.append(ColumnAssignment(header: header, role: .field(field), origin: origins[i], shadowedBy: nil))
            } else {
                result.append(ColumnAssignment(header: header, role: .extra(name: ColumnMapping.extraName(header, index: i)),
                                               origin: origins[i], shadowedBy: shadowed[i]))
            }
        }
        columns = result
    }

    /// The canonical field a header names, if it is recognised.
    ///
    /// Tries the folded header, then without a leading "n"/"no"/"num"/"numero" ("N° SIRET"),
    /// then the longest synonym that starts the header on a word boundary
    /// ("E-mail professionnel (pro)" → email).
    public static func detect(_ header: String) -> CanonicalField? {
        let key = AccentFolding.key(header)
        if key.isEmpty { return nil }
        if let field = HeaderSynonyms.lookup[key] { return field }
        for prefix in ["n ", "no ", "num ", "numero "] where key.hasPrefix(prefix) {
            if let field = HeaderSynonyms.lookup[String(key.dropFirst(prefix.count))] { return field }
        }
        var best: (length: Int, field: CanonicalField)?
        for (synonym, field) in HeaderSynonyms.lookup where synonym.count >= 3 {
            if key.hasPrefix(synonym + " "), synonym.count > (best?.length ?? 0) {
                best = (synonym.count, field)
            }
        }
        return best?.field
    }

    /// Name of an unmapped column in the extras: its header, or `column_N` when blank.
    static func extraName(_ header: String, index: Int) -> String {
        let trimmed = header.trimmingASCIIWhitespace()
        return trimmed.isEmpty ? "column_\(index + 1)" : trimmed
    }

    /// Column index for each canonical field (nil when no column provides it).
    public var columnForField: [Int?] {
        var table = [Int?](repeating: nil, count: CanonicalField.count)
        for (i, column) in columns.enumerated() {
            if case .field(let field) = column.role { table[field.rawValue] = i }
        }
        return table
    }

    /// Indices and names of the columns kept as extras.
    public var extraColumns: [(index: Int, name: String)] {
        columns.enumerated().compactMap { i, column in
            if case .extra(let name) = column.role { return (i, name) }
            return nil
        }
    }
}

extension String {
    /// Trims ASCII spaces, tabs and line breaks (and U+00A0) at both ends.
    public func trimmingASCIIWhitespace() -> String {
        let scalars = unicodeScalars
        var start = scalars.startIndex, end = scalars.endIndex
        func isSpace(_ s: Unicode.Scalar) -> Bool { s == " " || s == "\t" || s == "\r" || s == "\n" || s == "\u{A0}" }
        while start < end, isSpace(scalars[start]) { start = scalars.index(after: start) }
        while end > start, isSpace(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        return String(scalars[start..<end])
    }
}
