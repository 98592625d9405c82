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

    public func run(_ state: inout RunState, progress: ProgressSink) throws -> StageCounts {
        progress.begin(stage: name, total: state.records.count)
        let indices = state.activeIndices
        let chunk = 8192
        let chunks = (indices.count + chunk - 1) / chunk
        var findings = [Finding](repeating: Finding(), count: indices.count)
        let failure = FirstError()
        let records = state.records
        findings.withUnsafeMutableBufferPointer { buffer in
            let shared = SharedBuffer(buffer)
            ParallelLoop.run(chunks) { c in
                do {
                    let reader = try register.makeReader()
                    var units: [UInt64: RegisteredUnit?] = [:]
                    for n in (c * chunk)..<min(indices.count, (c + 1) * chunk) {
                        shared.buffer[n] = try find(records[indices[n]], reader: reader, units: &units)
                    }
                } catch {
                    failure.record(error)
                }
            }
        }
        if let error = failure.error { throw error }
        progress.advance(to: state.records.count)

        var outcome = SireneOutcome(info: register.info)
        var excluded: [String: Int] = [:]
        for (n, index) in indices.enumerated() {
            let finding = findings[n]
            outcome.statuses[finding.status.rawValue, default: 0] += 1
            apply(finding, to: index, state: &state, outcome: &outcome)
            if let reason = exclusion(finding) {
                state.outcomes[index].disposition = .excluded
                state.outcomes[index].reason = reason
                excluded[reason.code, default: 0] += 1
            }
        }
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

    // MARK: - Looking up

    private func unit(_ siren: UInt64, reader: SireneReader, units: inout [UInt64: RegisteredUnit?]) throws -> RegisteredUnit? {
        if let cached = units[siren] { return cached }
        let unit = try reader.unit(siren)
        if units.count > 100_000 { units.removeAll(keepingCapacity: true) }
        units[siren] = unit
        return unit
    }

    private static func digits(_ record: ProspectRecord, _ field: CanonicalField, count: Int) -> UInt64? {
        let quality = record.quality(field)
        guard quality.status == .valid || quality.status == .repaired else { return nil }
        return record.value.withBytes(field.rawValue) { bytes -> UInt64? in
            guard bytes.count == count else { return nil }
            var value: UInt64 = 0
            for b in bytes {
                guard b >= 0x30 && b <= 0x39 else { return nil }
                value = value * 10 + UInt64(b - 0x30)
            }
            return value
        }
    }

    func find(_ record: ProspectRecord, reader: SireneReader, units: inout [UInt64: RegisteredUnit?]) throws -> Finding {
        var finding = Finding()
        let postal = record[.postalCode] ?? ""
        let street = record[.address1] ?? ""
        if let siret = SireneStage.digits(record, .siret, count: 14) {
            guard let establishment = try reader.establishment(siret) else {
                finding.status = .unknown
                return finding
            }
            let unit = try unit(establishment.siren, reader: reader, units: &units)
            finding.establishment = establishment
            finding.unit = unit
            if establishment.isPartial || unit?.isPartial == true {
                finding.status = .partial
            } else if !establishment.isActive {
                if let unit, unit.isActive {
                    finding.status = .closed
                    finding.successor = try successor(of: establishment, unit: unit, postalCode: postal, street: street, reader: reader)
                } else {
                    finding.status = .defunct
                }
            } else {
                finding.status = unit?.isActive == false ? .defunct : .active
            }
            return finding
        }
        if let siren = SireneStage.digits(record, .siren, count: 9) {
            guard let unit = try unit(siren, reader: reader, units: &units) else {
                finding.status = .unknown
                return finding
            }
            finding.unit = unit
            if unit.isPartial { finding.status = .partial; return finding }
            if !unit.isActive { finding.status = .defunct; return finding }
            guard settings.siretise else { finding.status = .active; return finding }
            return try establishmentOfSiren(unit, postalCode: postal, street: street, reader: reader, finding: finding)
        }
        guard let company = record[.companyName], !company.isEmpty else { return finding }
        guard settings.siretise else { finding.status = .notFound; return finding }
        return try siretise(company: company, postalCode: postal, street: street, reader: reader, units: &units)
    }

    /// The establishment of a known SIREN: the one at the prospect's postal code (the best
    /// street among several), else the head office.
    func establishmentOfSiren(_ unit: RegisteredUnit, postalCode: String, street: String, reader: SireneReader,
                              finding: Finding) throws -> Finding {
        var finding = finding
        let open = try reader.establishments(ofSiren: unit.siren).filter { $0.isActive && !$0.isPartial }
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
        finding.establishment = chosen
        finding.status = .siretised
        return finding
    }

    /// The establishment whose street matches strictly better than the others'.
    func bestByStreet(_ establishments: [RegisteredEstablishment], street: String) -> RegisteredEstablishment? {
        guard let own = StreetKey(street) else { return nil }
        let scored = establishments.map { e -> (RegisteredEstablishment, Double) in
            (e, StreetKey(e.streetNumber + " " + e.streetType + " " + e.streetName).map { own.similarity($0) } ?? 0)
        }.sorted { $0.1 > $1.1 }
        guard let best = scored.first, best.1 >= 0.8, scored.count < 2 || scored[1].1 < best.1 else { return nil }
        return best.0
    }

    /// For a closed establishment of an active company: an open establishment of the same
    /// SIREN at the prospect's (or the closed one's) postal code, else the head office.
    func successor(of closed: RegisteredEstablishment, unit: RegisteredUnit, postalCode: String, street: String,
                   reader: SireneReader) throws -> UInt64? {
        let open = try reader.establishments(ofSiren: unit.siren).filter { $0.isActive && $0.siret != closed.siret }
        let place = postalCode.isEmpty ? closed.postalCode : postalCode
        let here = open.filter { $0.postalCode == place }
        if here.count == 1 { return here[0].siret }
        if here.count > 1, let best = bestByStreet(here, street: street) ?? here.first(where: { $0.isHeadOffice }) { return best.siret }
        if let head = open.first(where: { $0.isHeadOffice }) { return head.siret }
        return open.count == 1 ? open[0].siret : nil
    }

    func candidate(_ e: RegisteredEstablishment, unit: RegisteredUnit?, score: Double) -> SiretisationReview.Candidate {
        let names = ((unit?.allNames ?? []) + e.names).filter { $0 != "[ND]" }
        var name = names.first ?? ""
        if names.count > 1 { name += " (" + names.dropFirst().joined(separator: ", ") + ")" }
        let address = [e.streetLine, e.postalCode, e.city].filter { !$0.isEmpty }.joined(separator: " ")
        return .init(siret: e.siret, score: (score * 1000).rounded() / 1000, name: name, address: address)
    }

    /// Finds the establishment of a record with no valid SIRET by name and address.
    func siretise(company: String, postalCode: String, street: String, reader: SireneReader,
                  units: inout [UInt64: RegisteredUnit?]) throws -> Finding {
        var finding = Finding(status: .notFound)
        let keys = CompanyNameKey.blockingKeys(names: [company], postalCode: postalCode)
        guard !keys.isEmpty else { return finding }
        let sirets = try reader.candidates(forKeys: keys, limitPerKey: 500)
        guard !sirets.isEmpty else { return finding }
        let prospect = SiretisationScorer.Prospect(companyName: company, postalCode: postalCode, street: street)
        let scorer = SiretisationScorer()
        var scored: [(score: Double, establishment: RegisteredEstablishment, unit: RegisteredUnit?)] = []
        for siret in Set(sirets) {
            guard let e = try reader.establishment(siret), e.isActive, !e.isPartial else { continue }
            let u = try unit(e.siren, reader: reader, units: &units)
            if u?.isPartial == true || u?.isActive == false { continue }
            scored.append((scorer.score(prospect, establishment: e, unit: u), e, u))
        }
        scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.establishment.siret < $1.establishment.siret }
        guard let best = scored.first, best.score >= settings.reviewBelow else { return finding }
        let runnerUp = scored.count > 1 ? scored[1].score : 0
        if best.score >= settings.threshold && best.score - runnerUp >= settings.margin {
            finding.status = .siretised
            finding.establishment = best.establishment
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

    func exclusion(_ finding: Finding) -> Reason? {
        switch finding.status {
        case .defunct where settings.excludeDefunct:
            let date = finding.establishment.map { $0.isActive ? "" : " on \($0.periodStart)" } ?? ""
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

    private func apply(_ finding: Finding, to index: Int, state: inout RunState, outcome: inout SireneOutcome) {
        var record = state.records[index]
        let before = record.quality
        // Source fields the register fills or overrides: record.raw stays the source's.
        var filled: [(CanonicalField, String)] = []
        if finding.status == .siretised, let e = finding.establishment {
            filled.append((.siret, String(e.siret).leftPadded(to: 14)))
        }
        var derived: [(CanonicalField, String)] = [(.sireneStatus, finding.status.rawValue)]
        let usable = [.active, .closed, .siretised].contains(finding.status)
        if usable, let e = finding.establishment {
            enrich(record: record, index: index, establishment: e, unit: finding.unit, open: finding.status != .closed,
                   filled: &filled, derived: &derived, outcome: &outcome)
        }
        if finding.status == .closed, let e = finding.establishment {
            derived.append((.sireneClosedOn, e.periodStart))
            if let successor = finding.successor { derived.append((.sireneSuccessor, String(successor).leftPadded(to: 14))) }
        }
        if let score = finding.score { derived.append((.sireneScore, String((score * 1000).rounded() / 1000))) }
        if finding.status == .review {
            outcome.review.append(SiretisationReview(record: index, candidates: finding.candidates))
        }

        if !filled.isEmpty, let normalizer {
            var raw = record.raw
            for (field, value) in filled { raw = raw.replacing(field.rawValue, with: Array(value.utf8)) }
            (record.value, record.quality) = normalizer.normalize(raw)
        } else if !filled.isEmpty {
            for (field, value) in filled { record.value = record.value.replacing(field.rawValue, with: Array(value.utf8)) }
        }
        if record.quality.count < CanonicalField.count {
            record.quality += [FieldQuality](repeating: .missing, count: CanonicalField.count - record.quality.count)
        }
        for (field, _) in filled where !record.isEmpty(field) {
            let conflict = outcome.conflicts.last.map { $0.record == index && $0.field == field } ?? false
            record.quality[field.rawValue] = FieldQuality(.valid, field == .siret ? .siretised : conflict ? .sireneConflict : .fromSirene)
            if field != .siret { outcome.enriched[field.name, default: 0] += 1 }
        }
        for (field, value) in derived {
            record.value = record.value.replacing(field.rawValue, with: Array(value.utf8))
            record.quality[field.rawValue] = value.isEmpty ? .missing : .valid
        }
        let siret = CanonicalField.siret.rawValue
        let flag: QualityReason? = switch finding.status {
        case .unknown: .sireneUnknown
        case .closed: .sireneClosed
        case .defunct: .sireneCeased
        case .partial: .sirenePartial
        default: nil
        }
        if let flag, !record.isEmpty(.siret) {
            record.quality[siret] = FieldQuality(flag == .sireneUnknown ? .invalid : .valid, flag)
        } else if let flag, !record.isEmpty(.siren) {
            record.quality[CanonicalField.siren.rawValue] = FieldQuality(flag == .sireneUnknown ? .invalid : .valid, flag)
        }
        let source = record.origin.sourceIndex
        if source < state.fieldQuality.count {
            state.fieldQuality[source].remove(before)
            state.fieldQuality[source].add(record.quality)
        }
        state.records[index] = record
    }

    /// Register values for empty source fields; conflicts with filled ones reported.
    private func enrich(record: ProspectRecord, index: Int, establishment e: RegisteredEstablishment, unit u: RegisteredUnit?,
                        open: Bool, filled: inout [(CanonicalField, String)], derived: inout [(CanonicalField, String)],
                        outcome: inout SireneOutcome) {
        func offer(_ kind: SireneEnrichment, _ field: CanonicalField, _ value: String) {
            guard settings.enrich.contains(kind), !value.isEmpty else { return }
            let current = record[field] ?? ""
            if current.isEmpty || record.quality(field).status == .invalid {
                filled.append((field, value))
            } else if current != value {
                let registerWins = settings.registerWins.contains(kind)
                outcome.conflicts.append(EnrichmentConflict(record: index, field: field, sourceValue: current,
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
            outcome.conflicts.append(EnrichmentConflict(record: index, field: .postalCode, sourceValue: postal,
                                                        registerValue: e.postalCode, registerKept: false))
        }
        if settings.enrich.contains(.legalCategory), let category = u?.legalCategory { derived.append((.legalCategory, category)) }
        if settings.enrich.contains(.sizeCategory), let size = u?.sizeCategory { derived.append((.sizeCategory, size)) }
        if settings.enrich.contains(.creationDate) { derived.append((.creationDate, e.created)) }
    }
}

extension String {
    func leftPadded(to count: Int) -> String {
        utf8.count >= count ? self : String(repeating: "0", count: count - utf8.count) + self
    }
}

/// The first error thrown by parallel workers.
final class FirstError: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private(set) var error: Error?

    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }

    func record(_ error: Error) {
        pthread_mutex_lock(&mutex)
        if self.error == nil { self.error = error }
        pthread_mutex_unlock(&mutex)
    }
}
