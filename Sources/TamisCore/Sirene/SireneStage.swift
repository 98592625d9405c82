#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The SIRENE stage, between normalisation and exclusions: checks every SIRET and SIREN
/// against the register, siretises records without a valid SIRET, fills empty company
/// fields from the register and excludes what the pipeline says (defunct companies and
/// partial-diffusion entries by default).
///
/// Lookups run on every core, each worker with its own register reader; the findings are
/// applied to the records in order afterwards, so the result does not depend on the cores.
public struct SireneStage: PipelineStage {
    public let name = "sirene"
    public let register: SireneRegister
    public let settings: SireneSettings
    /// Re-derives a record's values when register values are filled in (NAF labels,
    /// département and région of an address, SIREN and VAT number of a SIRET).
    public let normalizer: RecordNormalizer?

    public init(register: SireneRegister, settings: SireneSettings, normalizer: RecordNormalizer?) {
        self.register = register
        self.settings = settings
        self.normalizer = normalizer
    }

    /// What the register says of one record.
    struct Finding {
        var status: SireneStatus = .noIdentifier
        var establishment: RegisteredEstablishment?
        var unit: RegisteredUnit?
        var successor: UInt64?
        var score: Double?
        var candidates: [SiretisationReview.Candidate] = []
    }

    /// A record's new values and quality, worked out in parallel, applied in order.
    /// Qualities are edits over the record's own (usually one: `sirene_status`), over the
    /// whole re-derived array when register values were filled in.
    struct Change {
        var status: SireneStatus = .noIdentifier
        /// The record's new values when register values were filled in (re-derived).
        var value: PackedFields?
        /// The stage's own fields (status, closing date, successor, score…), written by `apply`.
        var derived: [(CanonicalField, String)] = []
        var renormalisedQuality: [FieldQuality]?
        var qualityEdits: [(field: Int, quality: FieldQuality)] = []
        var conflicts: [EnrichmentConflict] = []
        var filled: [CanonicalField] = []
        var candidates: [SiretisationReview.Candidate] = []
        var closedOn = ""
    }

    /// Per-worker cache of legal units read from the register (a SIREN's establishments are
    /// often next to each other). Unit states need none: they are an in-memory search.
    struct UnitCache {
        var units: [UInt64: RegisteredUnit?] = [:]

        mutating func trim() {
            if units.count > 50_000 { units.removeAll(keepingCapacity: true) }
        }
    }

    /// What one chunk of records adds to the stage's outcome; chunks are merged in order, so
    /// the outcome does not depend on the cores.
    struct Tally {
        var statuses = [Int](repeating: 0, count: SireneStage.statuses.count)
        var review: [SiretisationReview] = []
        var conflicts: [EnrichmentConflict] = []
        var enriched: [String: Int] = [:]
        var excluded: [String: Int] = [:]
        /// Changes to each source's field-quality counts.
        var quality: [Int: FieldQualityCounts] = [:]

        mutating func count(_ status: SireneStatus) {
            statuses[SireneStage.statuses.firstIndex(of: status)!] += 1
        }

        /// Gives `field` of `record` a new quality, moving its source's count (sources past
        /// `sources` are not counted).
        mutating func setQuality(_ field: Int, to new: FieldQuality, of record: inout ProspectRecord, sources: Int) {
            count(field, from: record.quality[field], to: new, of: record, sources: sources)
            record.quality[field] = new
        }

        /// Moves one count of `record`'s source from `old` to `new` for `field`.
        mutating func count(_ field: Int, from old: FieldQuality, to new: FieldQuality, of record: ProspectRecord, sources: Int) {
            if record.origin.sourceIndex < sources {
                quality[record.origin.sourceIndex, default: FieldQualityCounts()].move(field, from: old, to: new)
            }
        }
    }

    /// Records share their quality arrays (see `NormalizeStage`): a few thousand distinct
    /// ones in a million records. Marking a record active used to copy its array; here the
    /// copy of a shared array is made once per chunk and shared again (no allocation per
    /// record, and most of the sharing survives the stage). Each old array is held beside its
    /// copy, so its address, the key, cannot be taken by another array while this lives.
    struct ActiveQualities {
        private var copies: [UnsafeRawPointer?: (old: [FieldQuality], new: [FieldQuality])] = [:]

        /// `old` padded to every canonical field, with the status field valid.
        mutating func marked(_ old: [FieldQuality]) -> [FieldQuality] {
            let key = old.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
            if let copy = copies[key] { return copy.new }
            var new = old
            SireneStage.padQuality(&new)
            new[CanonicalField.sireneStatus.rawValue] = .valid
            copies[key] = (old, new)
            return new
        }
    }

    /// A quality for every canonical field (records read before a field existed have fewer).
    private static func padQuality(_ quality: inout [FieldQuality]) {
        if quality.count < CanonicalField.count {
            quality += repeatElement(.missing, count: CanonicalField.count - quality.count)
        }
    }

    /// The statuses in a fixed order (`allCases` makes a new array at each call).
    static let statuses = SireneStatus.allCases

    public func run(_ state: inout RunState, progress: ProgressSink) throws -> StageCounts {
        progress.begin(stage: name, total: state.records.count)
        let indices = state.activeIndices
        let chunk = 8192
        let chunks = (indices.count + chunk - 1) / chunk
        var tallies = [Tally](repeating: Tally(), count: chunks)
        let failure = FirstError()
        let pool = ReaderPool(register)
        let sources = state.fieldQuality.count
        // Each record is looked up, changed and counted on the core that has it: records and
        // outcomes are written in place (one index each), counts go to the chunk's tally.
        state.records.withUnsafeMutableBufferPointer { records in
            state.outcomes.withUnsafeMutableBufferPointer { outcomes in
                tallies.withUnsafeMutableBufferPointer { tallies in
                    let records = SharedBuffer(records), outcomes = SharedBuffer(outcomes), tallies = SharedBuffer(tallies)
                    ParallelLoop.run(chunks) { c in
                        do {
                            let reader = try pool.take()
                            defer { pool.give(reader) }
                            var cache = UnitCache()
                            var tally = Tally()
                            var qualities = ActiveQualities()
                            let range = (c * chunk)..<min(indices.count, (c + 1) * chunk)
                            // The chunk's SIRET states in one batch (the reads overlap).
                            let sirets = range.map { SireneStage.identifier(UnsafePointer(records.buffer.baseAddress! + indices[$0]), .siret, digits: 14) ?? 0 }
                            let states = try reader.establishmentStates(sirets)
                            let unitStates = try reader.unitStates(sirets.map { $0 / 100_000 })
                            for (k, n) in range.enumerated() {
                                let index = indices[n]
                                let known = sirets[k] == 0 ? nil : KnownStates(siret: sirets[k], establishment: states[k], unit: unitStates[k])
                                if let known, known.isPlainlyActive, settings.enrich.isEmpty {
                                    markActive(&records.buffer[index], sources: sources, tally: &tally, qualities: &qualities)
                                    continue
                                }
                                // Moved out and back in, not copied (a copy retains each of the record's arrays).
                                let slot = records.buffer.baseAddress! + index
                                var record = slot.move()
                                var thrown: Error?
                                do {
                                    let finding = try find(record, reader: reader, cache: &cache, known: known)
                                    let change = change(record, index: index, finding: finding)
                                    apply(change, to: &record, outcome: &outcomes.buffer[index], index: index, sources: sources, tally: &tally)
                                } catch {
                                    thrown = error
                                }
                                slot.initialize(to: consume record)
                                if let thrown { throw thrown }
                                cache.trim()
                            }
                            tallies.buffer[c] = tally
                        } catch {
                            failure.record(error)
                        }
                    }
                }
            }
        }
        if let error = failure.error { throw error }
        progress.advance(to: state.records.count)

        var outcome = SireneOutcome(info: register.info)
        var excluded: [String: Int] = [:]
        var statuses = [Int](repeating: 0, count: SireneStage.statuses.count)
        for tally in tallies {
            for (status, count) in tally.statuses.enumerated() { statuses[status] += count }
            outcome.review += tally.review
            outcome.conflicts += tally.conflicts
            outcome.enriched.merge(tally.enriched, uniquingKeysWith: +)
            excluded.merge(tally.excluded, uniquingKeysWith: +)
            for (source, counts) in tally.quality { state.fieldQuality[source].add(counts) }
        }
        for (status, count) in zip(SireneStage.statuses, statuses) where count > 0 { outcome.statuses[status.rawValue] = count }
        progress.end()
        state.sirene = outcome
        var details = outcome.statuses
        for (code, count) in excluded { details["excluded_\(code)"] = count }
        for (field, count) in outcome.enriched { details["filled_\(field)"] = count }
        details["review"] = outcome.review.count
        details["conflicts"] = outcome.conflicts.count
        let out = indices.count - excluded.values.reduce(0, +)
        return StageCounts(stage: name, recordsIn: indices.count, recordsOut: out, details: details)
    }

    /// The common case, an active SIRET of an active company with nothing to fill: the
    /// record gets its status, as `change` and `apply` would give it, without their
    /// intermediate values.
    private func markActive(_ record: inout ProspectRecord, sources: Int, tally: inout Tally, qualities: inout ActiveQualities) {
        tally.count(.active)
        record.value.replace(CanonicalField.sireneStatus.rawValue, with: SireneStatus.active.rawValue.utf8)
        let status = CanonicalField.sireneStatus.rawValue
        tally.count(status, from: status < record.quality.count ? record.quality[status] : .missing, to: .valid, of: record, sources: sources)
        record.quality = qualities.marked(record.quality)
    }

    /// Writes a change into its record and outcome, and counts it.
    private func apply(_ change: Change, to record: inout ProspectRecord, outcome: inout RecordOutcome, index: Int, sources: Int,
                       tally: inout Tally) {
        tally.count(change.status)
        if change.status == .review {
            tally.review.append(SiretisationReview(record: index, candidates: change.candidates))
        }
        tally.conflicts += change.conflicts
        for field in change.filled where field != .siret { tally.enriched[field.name, default: 0] += 1 }
        let source = record.origin.sourceIndex
        if let quality = change.renormalisedQuality {
            if source < sources { tally.quality[source, default: FieldQualityCounts()].replace(record.quality, with: quality) }
            record.quality = quality
        }
        SireneStage.padQuality(&record.quality)
        for (field, quality) in change.qualityEdits { tally.setQuality(field, to: quality, of: &record, sources: sources) }
        if let value = change.value { record.value = value }
        // Usually the status alone: written in place when the record's values have room.
        record.value.replace(change.derived.map { ($0.0.rawValue, $0.1.utf8) })
        if let reason = exclusion(change) {
            outcome.disposition = .excluded
            outcome.reason = reason
            tally.excluded[reason.code, default: 0] += 1
        }
    }

    // MARK: - Looking up

    private func unit(_ siren: UInt64, reader: SireneReader, cache: inout UnitCache) throws -> RegisteredUnit? {
        if let cached = cache.units[siren] { return cached }
        let unit = try reader.unit(siren)
        cache.units[siren] = unit
        return unit
    }

    /// The record's SIRET (14) or SIREN (9) when normalisation found it usable.
    private static func identifier(_ record: ProspectRecord, _ field: CanonicalField, digits: Int) -> UInt64? {
        withUnsafePointer(to: record) { identifier($0, field, digits: digits) }
    }

    /// The same, read in place (passing a record itself from a buffer copies it: a retain of
    /// each of its arrays).
    private static func identifier(_ record: UnsafePointer<ProspectRecord>, _ field: CanonicalField, digits: Int) -> UInt64? {
        let quality = record.pointee.quality(field)
        guard quality.status == .valid || quality.status == .repaired else { return nil }
        return record.pointee.value.withBytes(field.rawValue) { SiretNumber.number($0, digits: digits) }
    }

    /// A record's usable SIRET and the register's states of it and of its SIREN, when
    /// already looked up.
    struct KnownStates {
        var siret: UInt64
        var establishment: RegisterState?
        var unit: RegisterState?

        /// Establishment active and public, its company too (or not in the register).
        var isPlainlyActive: Bool {
            guard let establishment, establishment.isActive, !establishment.isPartial else { return false }
            return unit.map { $0.isActive && !$0.isPartial } ?? true
        }
    }

    func find(_ record: ProspectRecord, reader: SireneReader, cache: inout UnitCache, known: KnownStates? = nil) throws -> Finding {
        var finding = Finding()
        // Made only where needed: an active SIRET, the common case, uses neither.
        var postal: String { record[.postalCode] ?? "" }
        var street: String { record[.address1] ?? "" }
        if let siret = known?.siret ?? SireneStage.identifier(record, .siret, digits: 14) {
            // The fast path reads two small rows; the whole establishment only when needed.
            guard let state = try known.map({ $0.establishment }) ?? reader.establishmentState(siret) else {
                finding.status = .unknown
                return finding
            }
            let siren = siret / 100_000
            let unitState = try known.map { $0.unit } ?? reader.unitState(siren)
            if state.isPartial || unitState?.isPartial == true {
                finding.status = .partial
            } else if !state.isActive {
                finding.status = unitState?.isActive == true ? .closed : .defunct
            } else {
                finding.status = unitState?.isActive == false ? .defunct : .active
            }
            let enrich = finding.status == .active && !settings.enrich.isEmpty
            if enrich {
                finding.establishment = try reader.establishment(siret)
                finding.unit = try unit(siren, reader: reader, cache: &cache)
            } else if finding.status == .defunct || (finding.status == .closed && !record.isEmpty(.postalCode)) {
                // The closing date alone: a successor is looked for at the prospect's postal code.
                if let date = try reader.closingDate(siret) {
                    finding.establishment = RegisteredEstablishment(siret: siret, isActive: false, periodStart: date)
                }
            } else if finding.status == .closed {
                finding.establishment = try reader.closing(siret)
            }
            if finding.status == .closed, let establishment = finding.establishment {
                finding.successor = try successor(of: establishment, siren: siren, postalCode: postal, street: street, reader: reader)
            }
            return finding
        }
        if let siren = SireneStage.identifier(record, .siren, digits: 9) {
            guard let unit = try unit(siren, reader: reader, cache: &cache) else {
                finding.status = .unknown
                return finding
            }
            finding.unit = unit
            if unit.isPartial { finding.status = .partial; return finding }
            if !unit.isActive { finding.status = .defunct; return finding }
            guard settings.siretise else { finding.status = .active; return finding }
            return try establishmentOfSiren(unit, postalCode: postal, street: street, reader: reader, finding: finding)
        }
        guard !record.isEmpty(.companyName) else { return finding }
        guard settings.siretise, let company = record[.companyName] else { finding.status = .notFound; return finding }
        return try siretise(company: company, postalCode: postal, street: street, reader: reader, cache: &cache)
    }

    /// The establishment of a known SIREN: the one at the prospect's postal code (the best
    /// street among several), else the head office.
    func establishmentOfSiren(_ unit: RegisteredUnit, postalCode: String, street: String, reader: SireneReader,
                              finding: Finding) throws -> Finding {
        var finding = finding
        let open = try reader.openEstablishments(ofSiren: unit.siren).filter { !$0.isPartial }
        let here = open.filter { !postalCode.isEmpty && $0.postalCode == postalCode }
        var chosen: RegisteredEstablishment?
        if here.count == 1 {
            chosen = here[0]
        } else if here.count > 1 {
            chosen = bestByStreet(here, street: street) ?? here.first { $0.isHeadOffice }
            if chosen == nil {
                finding.status = .review
                finding.candidates = here.prefix(3).map { candidate($0, unit: unit, score: 0) }
                return finding
            }
        } else {
            chosen = open.first { $0.isHeadOffice } ?? (open.count == 1 ? open[0] : nil)
        }
        guard let chosen else {
            finding.status = .notFound
            return finding
        }
        finding.establishment = try reader.establishment(chosen.siret) ?? chosen
        finding.status = .siretised
        return finding
    }

    /// The establishment whose street matches strictly better than the others'.
    func bestByStreet(_ establishments: [RegisteredEstablishment], street: String) -> RegisteredEstablishment? {
        guard let own = StreetKey(street) else { return nil }
        let scored = establishments.map { e -> (RegisteredEstablishment, Double) in
            (e, e.streetKey.map { own.similarity($0) } ?? 0)
        }.sorted { $0.1 > $1.1 }
        guard let best = scored.first, best.1 >= 0.8, scored.count < 2 || scored[1].1 < best.1 else { return nil }
        return best.0
    }

    /// For a closed establishment of an active company: an open establishment of the same
    /// SIREN at the prospect's (or the closed one's) postal code, else the head office.
    func successor(of closed: RegisteredEstablishment, siren: UInt64, postalCode: String, street: String,
                   reader: SireneReader) throws -> UInt64? {
        let open = try reader.successorCandidates(ofSiren: siren, at: postalCode.isEmpty ? closed.postalCode : postalCode)
        let here = open.here
        if here.count == 1 { return here[0].siret }
        if here.count > 1, let best = bestByStreet(here, street: street) ?? here.first(where: { $0.isHeadOffice }) { return best.siret }
        return open.headOffice ?? open.only
    }

    func candidate(_ e: RegisteredEstablishment, unit: RegisteredUnit?, score: Double) -> SiretisationReview.Candidate {
        let names = ((unit?.allNames ?? []) + e.names).filter { $0 != "[ND]" }
        var name = names.first ?? ""
        if names.count > 1 { name += " (" + names.dropFirst().joined(separator: ", ") + ")" }
        let address = [e.streetLine, e.postalCode, e.city].filter { !$0.isEmpty }.joined(separator: " ")
        return .init(siret: e.siret, score: SireneStage.rounded(score), name: name, address: address)
    }

    /// Finds the establishment of a record with no valid SIRET by name and address.
    func siretise(company: String, postalCode: String, street: String, reader: SireneReader,
                  cache: inout UnitCache) throws -> Finding {
        var finding = Finding(status: .notFound)
        let keys = CompanyNameKey.blockingKeys(names: [company], postalCode: postalCode)
        guard !keys.isEmpty else { return finding }
        // A word shared by dozens of establishments at one postal code ("boulangerie" in a
        // city) does not tell them apart: such keys are left out while rarer ones exist; when
        // every key is common, only establishments found under two keys or more are kept.
        let common = 40
        var lists = try keys.map { try reader.candidates(forKey: $0, limit: common + 1) }
        let rare = lists.filter { $0.count <= common }
        if !rare.isEmpty {
            lists = rare
        } else {
            let wide = try keys.map { Set(try reader.candidates(forKey: $0, limit: 5000)) }
            var seen: [UInt64: Int] = [:]
            for list in wide { for siret in list { seen[siret, default: 0] += 1 } }
            lists = [seen.filter { $0.value >= 2 }.map(\.key).sorted()]
        }
        // Candidates sharing the most keys with the prospect first (the right establishment
        // shares the name's words and the whole name); only the best few are read and scored.
        var votes: [UInt64: Int] = [:]
        for list in lists { for siret in list { votes[siret, default: 0] += 1 } }
        guard let most = votes.values.max() else { return finding }
        let sirets = votes.filter { $0.value >= most - 1 }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(24).map(\.key)
        let prospect = SiretisationScorer.Prospect(companyName: company, postalCode: postalCode, street: street)
        let scorer = SiretisationScorer()
        var scored: [(score: Double, establishment: RegisteredEstablishment, unit: RegisteredUnit?)] = []
        for siret in sirets {
            guard let e = try reader.candidate(siret), e.isActive, !e.isPartial else { continue }
            let u = try unit(e.siren, reader: reader, cache: &cache)
            if u?.isPartial == true || u?.isActive == false { continue }
            scored.append((scorer.score(prospect, establishment: e, unit: u), e, u))
        }
        scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.establishment.siret < $1.establishment.siret }
        guard let best = scored.first, best.score >= settings.reviewBelow else { return finding }
        let runnerUp = scored.count > 1 ? scored[1].score : 0
        if best.score >= settings.threshold && best.score - runnerUp >= settings.margin {
            finding.status = .siretised
            finding.establishment = try reader.establishment(best.establishment.siret) ?? best.establishment
            finding.unit = best.unit
            finding.score = best.score
        } else {
            finding.status = .review
            finding.candidates = scored.prefix(3).filter { $0.score >= settings.reviewBelow }
                .map { candidate($0.establishment, unit: $0.unit, score: $0.score) }
        }
        return finding
    }

    // MARK: - Applying

    func exclusion(_ change: Change) -> Reason? {
        switch change.status {
        case .defunct where settings.excludeDefunct:
            let date = change.closedOn.isEmpty ? "" : " on \(change.closedOn)"
            return Reason(code: "defunct", rule: "sirene", message: "the company has ceased (SIRENE: establishment closed\(date), company ceased)")
        case .partial where settings.excludeOpposition:
            return Reason(code: "sirene_opposition", rule: "sirene", message: "partial diffusion in SIRENE: the company's owner objected to prospecting")
        case .unknown where settings.excludeUnknown:
            return Reason(code: "sirene_unknown", rule: "sirene", message: "the SIRET/SIREN is not in the SIRENE register")
        case .closed where settings.excludeClosed:
            return Reason(code: "sirene_closed", rule: "sirene", message: "the establishment is closed in SIRENE")
        default:
            return nil
        }
    }

    /// The record's new values and quality for a finding (pure: runs on the workers).
    func change(_ record: ProspectRecord, index: Int, finding: Finding) -> Change {
        var change = Change(status: finding.status, candidates: finding.candidates)
        if let e = finding.establishment, !e.isActive { change.closedOn = e.periodStart }
        // Source fields the register fills or overrides: record.raw stays the source's.
        var filled: [(CanonicalField, String)] = []
        if finding.status == .siretised, let e = finding.establishment {
            filled.append((.siret, SiretNumber.text(e.siret)))
        }
        var derived: [(CanonicalField, String)] = [(.sireneStatus, finding.status.rawValue)]
        let usable = finding.status == .active || finding.status == .closed || finding.status == .siretised
        if usable, !settings.enrich.isEmpty, let e = finding.establishment {
            enrich(record: record, index: index, establishment: e, unit: finding.unit, open: finding.status != .closed,
                   filled: &filled, derived: &derived, conflicts: &change.conflicts)
        }
        if finding.status == .closed || finding.status == .defunct, !change.closedOn.isEmpty {
            derived.append((.sireneClosedOn, change.closedOn))
        }
        if finding.status == .closed, let successor = finding.successor {
            derived.append((.sireneSuccessor, SiretNumber.text(successor)))
        }
        if let score = finding.score { derived.append((.sireneScore, String(SireneStage.rounded(score)))) }

        // Register values filled in: new values, re-derived (`apply` adds the derived ones).
        var value = record.value
        if !filled.isEmpty {
            if let normalizer {
                let raw = record.raw.replacing(filled.map { ($0.0.rawValue, $0.1.utf8) })
                let quality: [FieldQuality]
                (value, quality) = normalizer.renormalize(raw, value: record.value, quality: record.quality, changed: filled.map(\.0))
                change.renormalisedQuality = quality
            } else {
                value = value.replacing(filled.map { ($0.0.rawValue, $0.1.utf8) })
            }
            for (field, _) in filled where !value.isEmpty(field.rawValue) {
                let conflicted = change.conflicts.contains { $0.registerKept && $0.field == field }
                change.qualityEdits.append((field.rawValue, FieldQuality(.valid, field == .siret ? .siretised : conflicted ? .sireneConflict : .fromSirene)))
                change.filled.append(field)
            }
            change.value = value
        }
        change.derived = derived
        for (field, text) in derived { change.qualityEdits.append((field.rawValue, text.isEmpty ? .missing : .valid)) }
        let flag: QualityReason? = switch finding.status {
        case .unknown: .sireneUnknown
        case .closed: .sireneClosed
        case .defunct: .sireneCeased
        case .partial: .sirenePartial
        default: nil
        }
        if let flag {
            let field: CanonicalField = value.isEmpty(CanonicalField.siret.rawValue) ? .siren : .siret
            if !value.isEmpty(field.rawValue) {
                change.qualityEdits.append((field.rawValue, FieldQuality(flag == .sireneUnknown ? .invalid : .valid, flag)))
            }
        }
        return change
    }

    /// Register values for empty source fields; conflicts with filled ones reported.
    private func enrich(record: ProspectRecord, index: Int, establishment e: RegisteredEstablishment, unit u: RegisteredUnit?,
                        open: Bool, filled: inout [(CanonicalField, String)], derived: inout [(CanonicalField, String)],
                        conflicts: inout [EnrichmentConflict]) {
        func offer(_ kind: SireneEnrichment, _ field: CanonicalField, _ value: String) {
            guard settings.enrich.contains(kind), !value.isEmpty else { return }
            let current = record[field] ?? ""
            if current.isEmpty || record.quality(field).status == .invalid {
                filled.append((field, value))
            } else if current != value {
                let registerWins = settings.registerWins.contains(kind)
                conflicts.append(EnrichmentConflict(record: index, field: field, sourceValue: current,
                                                    registerValue: value, registerKept: registerWins))
                if registerWins { filled.append((field, value)) }
            }
        }
        var naf = e.nafNomenclature.isEmpty || e.nafNomenclature == "NAFRev2" ? e.naf : ""
        if naf.isEmpty { naf = u?.naf ?? "" }
        if let normalizer {
            var bytes = naf
            naf = bytes.withUTF8 { normalizer.reference.naf.normalize($0).code } ?? ""
        }
        offer(.naf, .naf, naf)
        var band = e.headcountBand == "NN" ? "" : e.headcountBand
        if band.isEmpty, let unitBand = u?.headcountBand, unitBand != "NN" { band = unitBand }
        offer(.headcountBand, .headcountBand, band)
        if open, settings.enrich.contains(.address), record.isEmpty(.address1) {
            let postal = record[.postalCode] ?? ""
            if postal.isEmpty || postal == e.postalCode {
                filled.append((.address1, e.streetLine))
                if postal.isEmpty { filled.append((.postalCode, e.postalCode)) }
                if record.isEmpty(.city) { filled.append((.city, e.city)) }
            }
        } else if open, settings.enrich.contains(.address), let postal = record[.postalCode], !postal.isEmpty, postal != e.postalCode {
            conflicts.append(EnrichmentConflict(record: index, field: .postalCode, sourceValue: postal,
                                                registerValue: e.postalCode, registerKept: false))
        }
        if settings.enrich.contains(.legalCategory), let category = u?.legalCategory { derived.append((.legalCategory, category)) }
        if settings.enrich.contains(.sizeCategory), let size = u?.sizeCategory { derived.append((.sizeCategory, size)) }
        if settings.enrich.contains(.creationDate) { derived.append((.creationDate, e.created)) }
    }
}

extension SireneStage {
    /// Scores as shown to stewards: three decimals.
    static func rounded(_ score: Double) -> Double { (score * 1000).rounded() / 1000 }
}

/// Register readers shared by the workers: one per thread, kept across chunks (opening a
/// reader maps the register and starts a read transaction).
final class ReaderPool: @unchecked Sendable {
    private let register: SireneRegister
    private var idle: [SireneReader] = []
    private var mutex = pthread_mutex_t()

    init(_ register: SireneRegister) {
        self.register = register
        pthread_mutex_init(&mutex, nil)
    }

    deinit { pthread_mutex_destroy(&mutex) }

    func take() throws -> SireneReader {
        pthread_mutex_lock(&mutex)
        let reader = idle.popLast()
        pthread_mutex_unlock(&mutex)
        return try reader ?? register.makeReader()
    }

    func give(_ reader: SireneReader) {
        pthread_mutex_lock(&mutex)
        idle.append(reader)
        pthread_mutex_unlock(&mutex)
    }
}

/// The first error thrown by parallel workers.
public final class FirstError: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    public private(set) var error: Error?

    public init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }

    public func record(_ error: Error) {
        pthread_mutex_lock(&mutex)
        if self.error == nil { self.error = error }
        pthread_mutex_unlock(&mutex)
    }
}
