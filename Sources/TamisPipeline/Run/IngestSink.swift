import TamisCore
import TamisIO

/// Collects what the readers produce into the run state.
final class IngestSink: RecordSink {
    var state: RunState
    private var extraSlots: [[String: Int]]

    init(state: RunState) {
        self.state = state
        extraSlots = state.sources.map { source in
            Dictionary(source.extraNames.enumerated().map { ($0.element, $0.offset) }, uniquingKeysWith: { a, _ in a })
        }
    }

    func record(_ record: ProspectRecord) { state.append(record) }

    func reject(_ rejected: RejectedInput) { state.rejected.append(rejected) }

    func extraIndex(source sourceIndex: Int, name: String) -> Int {
        if let slot = extraSlots[sourceIndex][name] { return slot }
        let slot = state.sources[sourceIndex].extraNames.count
        state.sources[sourceIndex].extraNames.append(name)
        extraSlots[sourceIndex][name] = slot
        return slot
    }
}
