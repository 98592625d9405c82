/// A named target list: the golden records matching all its conditions.
public struct SegmentDefinition: Sendable, Equatable {
    public var name: String
    public var conditions: [FieldCondition]

    public init(name: String, conditions: [FieldCondition]) {
        self.name = name
        self.conditions = conditions
    }
}

/// The segment stage: tags each golden record with the segments it belongs to.
public struct SegmentStage: PipelineStage {
    public let name = "segment"
    public var segments: [SegmentDefinition]

    public init(segments: [SegmentDefinition]) {
        self.segments = segments
    }

    public func run(_ state: inout RunState, progress: ProgressSink) throws -> StageCounts {
        var sizes: [String: Int] = [:]
        for segment in segments { sizes[segment.name] = 0 }
        for g in state.golden.indices {
            state.golden[g].segments = segments.compactMap { segment in
                segment.conditions.allSatisfy { $0.matches(state.golden[g].fields) } ? segment.name : nil
            }
            for name in state.golden[g].segments { sizes[name, default: 0] += 1 }
        }
        return StageCounts(stage: name, recordsIn: state.golden.count, recordsOut: state.golden.count, details: sizes)
    }
}
