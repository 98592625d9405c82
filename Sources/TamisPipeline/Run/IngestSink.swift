import TamisCore
import TamisIO
#if canImport(Glibc)
import Glibc
#endif

/// Collects what one file's reader produces, on its own thread: files are read in parallel
/// and their sinks merged into the run state in file order afterwards (`FileSink.merge`), so
/// the records, their order and the sources' extra columns are those of a reading one file
/// after the other.
final class FileSink: RecordSink {
    private(set) var records: [ProspectRecord] = []
    private(set) var rejected: [RejectedInput] = []
    /// The source's extra columns known before any file was read (slots 0..<known.count).
    private let known: [String]
    private var knownSlot: [String: Int]
    /// Extra columns this file met that were not known: local slot `known.count + i`.
    private(set) var added: [String] = []

    init(knownExtras: [String]) {
        known = knownExtras
        knownSlot = Dictionary(knownExtras.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
    }

    func record(_ record: ProspectRecord) { records.append(record) }

    func reject(_ rejected: RejectedInput) { self.rejected.append(rejected) }

    func extraIndex(source sourceIndex: Int, name: String) -> Int {
        if let slot = knownSlot[name] { return slot }
        let slot = known.count + added.count
        added.append(name)
        knownSlot[name] = slot
        return slot
    }

    /// Moves the file's records and rejects into `state`, registering its new extra columns
    /// with the source. When an earlier file of the same source registered other columns
    /// first, the records' extras are renumbered to the source's slots.
    func merge(into state: inout RunState, source: Int, slots: inout ExtraSlots) {
        let global = added.map { slots.slot(source: source, name: $0, in: &state.sources) }
        let shifted = global.enumerated().contains { $0.element != known.count + $0.offset }
        state.outcomes.append(contentsOf: repeatElement(RecordOutcome(), count: records.count))
        if shifted {
            for i in records.indices { records[i].extras = FileSink.renumbered(records[i].extras, known: known.count, global: global) }
        }
        if state.records.isEmpty {
            swap(&state.records, &records)  // the first file's records are moved, not copied one by one
        } else {
            state.records.append(contentsOf: records)
        }
        records = []
        state.rejected.append(contentsOf: rejected)
        rejected = []
    }

    /// Extras with local slot `known + i` moved to `global[i]` (known slots stay).
    static func renumbered(_ extras: PackedFields, known: Int, global: [Int]) -> PackedFields {
        func target(_ local: Int) -> Int { local < known ? local : global[local - known] }
        var width = 0
        for local in 0..<extras.count where !extras.isEmpty(local) { width = max(width, target(local) + 1) }
        var from = [Int](repeating: -1, count: width)
        for local in 0..<extras.count where !extras.isEmpty(local) { from[target(local)] = local }
        return extras.withValueBytes { values in
            PackedFields(count: width, capacity: values.count) { slot, destination in
                guard from[slot] >= 0 else { return 0 }
                let range = extras.valueRange(from[slot])
                destination.update(from: values.baseAddress! + range.lowerBound, count: range.count)
                return range.count
            }
        }
    }
}

/// The ingest progress line while files are read in parallel: bytes done, all files
/// together, reported to the console by one thread at a time.
final class IngestProgress: @unchecked Sendable {
    private let console: Console
    private var done: [Int]
    private var total = 0
    private var mutex = pthread_mutex_t()

    init(console: Console, files: Int) {
        self.console = console
        done = [Int](repeating: 0, count: files)
        pthread_mutex_init(&mutex, nil)
    }

    deinit { pthread_mutex_destroy(&mutex) }

    /// File `index` has read `bytes` of itself.
    func file(_ index: Int, at bytes: Int) {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        total += bytes - done[index]
        done[index] = bytes
        console.advance(to: total)
    }
}
