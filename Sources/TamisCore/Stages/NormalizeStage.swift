/// The normalise stage: turns each record's raw values into comparable values.
///
/// Today it cleans white space on every field (trims, folds runs of spaces, tabs, line breaks
/// and non-breaking spaces into one space) and lower-cases e-mail addresses, removing spaces
/// inside them. Raw values stay untouched in `ProspectRecord.raw`.
public struct NormalizeStage: PipelineStage {
    public let name = "normalise"

    public init() {}

    public func run(_ state: inout RunState, progress: ProgressSink) throws -> StageCounts {
        progress.begin(stage: name, total: state.records.count)
        var changed = 0
        for i in state.records.indices {
            let normalized = NormalizeStage.normalize(state.records[i].raw)
            if normalized != state.records[i].raw { changed += 1 }
            state.records[i].value = normalized
            if i & 0x3FFF == 0 { progress.advance(to: i) }
        }
        progress.end()
        return StageCounts(stage: name, recordsIn: state.records.count, recordsOut: state.records.count,
                           details: ["records_changed": changed])
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

    /// Trims and collapses ASCII white space, U+00A0 and U+202F into single spaces.
    static func collapseWhitespace(_ input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) {
        var pending = false
        var i = 0
        let n = input.count
        while i < n {
            let b = input[i]
            var width = 0
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { width = 1 }
            else if b == 0xC2, i + 1 < n, input[i + 1] == 0xA0 { width = 2 }
            else if b == 0xE2, i + 2 < n, input[i + 1] == 0x80, input[i + 2] == 0xAF { width = 3 }
            if width > 0 {
                pending = !output.isEmpty
                i += width
                continue
            }
            if pending { output.append(0x20); pending = false }
            output.append(b)
            i += 1
        }
    }
}
