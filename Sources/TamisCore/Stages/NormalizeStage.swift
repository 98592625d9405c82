/// The normalise stage: turns each record's raw values into canonical, comparable values
/// with a quality status per field (see `RecordNormalizer`), counted per source.
///
/// Without reference data it only cleans white space and lower-cases e-mail addresses.
public struct NormalizeStage: PipelineStage {
    public let name = "normalise"
    public var normalizer: RecordNormalizer?

    public init(normalizer: RecordNormalizer? = nil) {
        self.normalizer = normalizer
    }

    public func run(_ state: inout RunState, progress: ProgressSink) throws -> StageCounts {
        progress.begin(stage: name, total: state.records.count)
        var counts = Array(repeating: FieldQualityCounts(), count: state.sources.count)
        var changed = 0
        if let normalizer {
            // Records are independent: normalise chunks on every core, then count in order.
            state.records.withUnsafeMutableBufferPointer { records in
                let shared = SharedBuffer(records)
                // Each thread keeps what it made of names and civilities across its chunks.
                ParallelLoop.run(records.count, chunk: 4096, state: { NormalizeMemo() }) { memo, chunk in
                    // A chunk's records share equal quality arrays at once (the copies are
                    // freed while hot); the whole run's, below.
                    var interned = Set<QualityVector>(minimumCapacity: 512)
                    for i in chunk {
                        let (value, quality) = normalizer.normalize(shared.buffer[i].raw, memo: &memo)
                        shared.buffer[i].value = value
                        shared.buffer[i].quality = interned.insert(QualityVector(quality)).memberAfterInsert.fields
                    }
                }
            }
            // Records share their quality array when it is the same (a few thousand distinct
            // ones in a million records): 100 MB less held through the run.
            var interned = Set<QualityVector>(minimumCapacity: 4096)
            for i in state.records.indices {
                let quality = state.records[i].quality
                let (inserted, shared) = interned.insert(QualityVector(quality))
                if !inserted { state.records[i].quality = shared.fields }
                counts[state.records[i].origin.sourceIndex].add(quality)
                if quality.contains(where: { $0.status == .repaired || $0.status == .invalid }) { changed += 1 }
            }
            progress.advance(to: state.records.count)
        } else {
            for i in state.records.indices {
                let normalized = NormalizeStage.normalize(state.records[i].raw)
                if normalized != state.records[i].raw { changed += 1 }
                state.records[i].value = normalized
                if i & 0x3FFF == 0 { progress.advance(to: i) }
            }
        }
        state.fieldQuality = counts
        progress.end()
        var details = ["records_changed": changed]
        if normalizer != nil {
            details = ["records_with_repairs_or_errors": changed]
            var total = FieldQualityCounts()
            for source in counts {
                for f in 0..<CanonicalField.count { for s in 0..<FieldStatus.allCases.count { total.counts[f][s] += source.counts[f][s] } }
            }
            for field in [CanonicalField.siret, .naf, .phone, .email, .postalCode] {
                details["\(field.name)_repaired"] = total.count(field, .repaired)
                details["\(field.name)_invalid"] = total.count(field, .invalid)
            }
        }
        return StageCounts(stage: name, recordsIn: state.records.count, recordsOut: state.records.count, details: details)
    }

    public static func normalize(_ raw: PackedFields) -> PackedFields {
        var builder = PackedFields.Builder(count: raw.count)
        var scratch: [UInt8] = []
        for field in 0..<raw.count {
            scratch.removeAll(keepingCapacity: true)
            raw.withBytes(field) { collapseWhitespace($0, into: &scratch) }
            if field == CanonicalField.email.rawValue {
                scratch.removeAll { $0 == 0x20 }
                for j in scratch.indices where scratch[j] >= 0x41 && scratch[j] <= 0x5A { scratch[j] |= 0x20 }
            }
            builder.append(scratch)
        }
        return builder.finish()
    }

    /// Trims and collapses ASCII white space, U+00A0 and U+202F into single spaces; appends
    /// the result to `output`.
    static func collapseWhitespace(_ input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        output.append(room: input.count) { collapseWhitespace(input, to: $0) }
    }

    /// The same into `out` (room for `input.count` bytes); returns the bytes written.
    static func collapseWhitespace(_ input: UnsafeBufferPointer<UInt8>, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let n = input.count
        if n == 0 { return 0 }
        // Most values are already clean: no space at either end, no tab, line break, NBSP or
        // double space. They are copied in one go.
        if input[0] != 0x20 && input[n - 1] != 0x20 {
            var clean = true
            var previousSpace = false
            for b in input {
                if b == 0x20 {
                    if previousSpace { clean = false; break }
                    previousSpace = true
                } else {
                    if b < 0x20 || b == 0xC2 || b == 0xE2 { clean = false; break }
                    previousSpace = false
                }
            }
            if clean {
                out.update(from: input.baseAddress!, count: n)
                return n
            }
        }
        var count = 0
        var pending = false
        var i = 0
        while i < n {
            let b = input[i]
            var width = 0
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { width = 1 }
            else if b == 0xC2, i + 1 < n, input[i + 1] == 0xA0 { width = 2 }
            else if b == 0xE2, i + 2 < n, input[i + 1] == 0x80, input[i + 2] == 0xAF { width = 3 }
            if width > 0 {
                pending = count > 0
                i += width
                continue
            }
            if pending { out[count] = 0x20; count += 1; pending = false }
            out[count] = b
            count += 1
            i += 1
        }
        return count
    }
}

/// A record's field qualities as a set element, hashed as bytes.
struct QualityVector: Hashable {
    let fields: [FieldQuality]

    init(_ fields: [FieldQuality]) { self.fields = fields }

    /// The qualities' bytes folded eight at a time into one word, and that word hashed: the
    /// stage hashes every record's vector (twice), and hashing the ~80 bytes themselves cost
    /// several hundred instructions a record.
    func hash(into hasher: inout Hasher) {
        hasher.combine(fields.withUnsafeBytes { bytes -> UInt64 in
            var h = UInt64(truncatingIfNeeded: bytes.count)
            var i = 0
            while i &+ 8 <= bytes.count {
                h = (h ^ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
                h ^= h >> 29
                i &+= 8
            }
            while i < bytes.count {
                h = (h ^ UInt64(bytes[i])) &* 0x9E37_79B9_7F4A_7C15
                i &+= 1
            }
            return h
        })
    }

    static func == (a: QualityVector, b: QualityVector) -> Bool {
        a.fields.withUnsafeBytes { x in
            b.fields.withUnsafeBytes { y in
                Bytes.equal(UnsafeBufferPointer(start: x.baseAddress?.assumingMemoryBound(to: UInt8.self), count: x.count),
                            UnsafeBufferPointer(start: y.baseAddress?.assumingMemoryBound(to: UInt8.self), count: y.count))
            }
        }
    }
}
