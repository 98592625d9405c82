import TamisCore
import TamisIO

/// Collects what the readers produce into the run state.
final class IngestSink: RecordSink {
    var state: RunState
    private var extraSlots: ExtraSlots

    init(state: RunState) {
        self.state = state
        extraSlots = ExtraSlots(state.sources)
    }

    func record(_ record: ProspectRecord) { state.append(record) }

    func reject(_ rejected: RejectedInput) { state.rejected.append(rejected) }

    func extraIndex(source sourceIndex: Int, name: String) -> Int {
        extraSlots.slot(source: sourceIndex, name: name, in: &state.sources)
    }
}
