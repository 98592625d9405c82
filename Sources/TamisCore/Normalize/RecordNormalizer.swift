/// Normalises one record: each source field to its canonical form, with a quality status,
/// and the derived fields (SIREN from SIRET, NAF section and label, département, région,
/// e-mail domain, phone types…). Raw values are never changed.
public struct RecordNormalizer: Sendable {
    public let reference: ReferenceData
    public let options: NormalizeOptions
    public let phoneReference: PhoneReference?

    public init(reference: ReferenceData, options: NormalizeOptions = NormalizeOptions(), phoneReference: PhoneReference? = nil) {
        self.reference = reference
        self.options = options
        self.phoneReference = phoneReference
    }

    public func normalize(_ raw: PackedFields) -> (PackedFields, [FieldQuality]) {
        var memo = NormalizeMemo.none
        return normalize(raw, memo: &memo)
    }

    /// The same, copying from `memo` what was made of names and civilities this thread has
    /// seen before (and keeping there those it had not).
    public func normalize(_ raw: PackedFields, memo: inout NormalizeMemo) -> (PackedFields, [FieldQuality]) {
        // The thread's working buffers of the record before, when there is one.
        var out = memo.values.take() ?? FieldValues()
        defer { memo.values = out }
        // Most rows of a real export are clean already: their values are the working copy.
        var clean = raw
        if !out.reset(raw, sourcesValid: true, check: { RecordNormalizer.isClean(count: raw.count, ends: $0, values: $1) }) {
            clean = RecordNormalizer.cleanedCopy(raw)
            out.reset(clean, sourcesValid: true)
        }
        normalizeIdentifiers(raw, &out)
        normalizeNaf(raw, &out)
        normalizeEmail(raw, &out)
        normalizePhones(raw, &out)
        normalizePeople(clean, &out, &memo)
        normalizeCompany(clean, &out)
        normalizeAddress(clean, &out)
        normalizeHeadcount(clean, &out)
        return (out.packed(spareBytes: options.spareBytes), out.qualities)
    }

    /// The source fields with white space trimmed and collapsed; derived fields empty.
    static func cleaned(_ raw: PackedFields) -> PackedFields {
        isClean(raw) ? raw : cleanedCopy(raw)  // most rows of a real export: nothing to copy
    }

    static func cleanedCopy(_ raw: PackedFields) -> PackedFields {
        let sources = CanonicalField.sourceFieldCount
        // A cleaned value is never longer than the raw one: one allocation of the raw size.
        return raw.withValueBytes { input in
            PackedFields(count: CanonicalField.count, capacity: input.count) { field, destination in
                field < sources ? NormalizeStage.collapseWhitespace(UnsafeBufferPointer(rebasing: input[raw.valueRange(field)]), to: destination) : 0
            }
        }
    }

    /// Whether cleaning would give the raw values back: no derived field filled, no source
    /// value with a space at either end, and in all the values' bytes no control character,
    /// no double space, no byte that may start a no-break space (C2, E2): eight bytes at a time.
    static func isClean(_ raw: PackedFields) -> Bool {
        raw.withBoundaries { isClean(count: raw.count, ends: $0, values: $1) }
    }

    /// The same on the values' boundaries (`PackedFields.withBoundaries`).
    @inline(__always)
    static func isClean(count: Int, ends: UnsafeBufferPointer<Int32>, values: UnsafeBufferPointer<UInt8>) -> Bool {
        let sources = CanonicalField.sourceFieldCount
        guard count == CanonicalField.count else { return false }
        // Derived fields empty (they come last: their values end where the sources' end); no
        // source value starting or ending with a space.
        if ends[sources] != ends[count] { return false }
        var field = 0
        while field < sources {
            let start = Int(ends[field]), end = Int(ends[field &+ 1])
            if start != end && (values[start] == 0x20 || values[end &- 1] == 0x20) { return false }
            field &+= 1
        }
        return !Bytes.mayHoldWhiteSpaceToCollapse(values)
    }

    /// Source field groups that depend on each other: re-normalised together.
    static let identifierGroup: [CanonicalField] = [.siret, .siren]
    static let addressGroup: [CanonicalField] = [.address1, .address2, .address3, .postalCode, .city, .country]

    /// Normalises again only the groups of fields whose raw values changed (the SIRENE stage
    /// filling a SIRET, a NAF code, a headcount band or an address), leaving the rest of an
    /// already normalised record as it is: the same result as `normalize(raw)`, a fraction of
    /// the work.
    public func renormalize(_ raw: PackedFields, value: PackedFields, quality oldQuality: [FieldQuality],
                            changed: [CanonicalField]) -> (PackedFields, [FieldQuality]) {
        let clean = RecordNormalizer.cleaned(raw)
        var out = FieldValues(value, quality: oldQuality)
        let identifiers = changed.contains { RecordNormalizer.identifierGroup.contains($0) }
        let address = changed.contains { RecordNormalizer.addressGroup.contains($0) }
        var fields = changed.filter { !$0.isDerived }
        if identifiers { fields += RecordNormalizer.identifierGroup }
        if address { fields += RecordNormalizer.addressGroup }
        for field in fields {
            clean.withBytes(field.rawValue) { out.set(field, $0, $0.isEmpty ? .missing : .valid) }
        }
        if identifiers {
            out.clear(.vatNumber)
            normalizeIdentifiers(raw, &out)
        }
        if changed.contains(.naf) { normalizeNaf(raw, &out) }
        if address { normalizeAddress(clean, &out) }
        if changed.contains(.headcountBand) { normalizeHeadcount(clean, &out) }
        return (out.packed(spareBytes: options.spareBytes), out.qualities)
    }

    func normalizeEmail(_ raw: PackedFields, _ out: inout FieldValues) {
        var domainStart: Int?, suggestion: [UInt8]?
        let address = out.write(.email) { arena in
            let start = arena.count
            raw.withBytes(CanonicalField.email.rawValue) { EmailAddress.clean($0, into: &arena) }
            let assessed = arena.withUnsafeBufferPointer { EmailAddress.assess(UnsafeBufferPointer(rebasing: $0[start...]), lists: reference.email) }
            domainStart = assessed.domainStart.map { start + $0 }
            suggestion = assessed.suggestion
            return assessed.quality
        }
        let domain = (domainStart ?? address.upperBound)..<address.upperBound
        out.set(.emailDomain, copying: domain, domain.isEmpty ? .missing : .valid)
        if let suggestion { out.set(.emailSuggestion, suggestion, .valid) }
    }

    func normalizeNaf(_ raw: PackedFields, _ out: inout FieldValues) {
        raw.withBytes(CanonicalField.naf.rawValue) { bytes in
            // Code, section and label: three values in a row of the table, read in place.
            func copy(_ text: ByteColumn, _ index: Int, _ quality: FieldQuality) {
                text.withStorage { bytes, ends in
                    func value(_ row: Int) -> UnsafeBufferPointer<UInt8> {
                        UnsafeBufferPointer(rebasing: bytes[(row == 0 ? 0 : Int(ends[row &- 1]))..<Int(ends[row])])
                    }
                    out.set(.naf, value(3 * index), quality)
                    out.set(.nafSection, value(3 * index + 1), .valid)
                    out.set(.nafLabel, value(3 * index + 2), .valid)
                }
            }
            switch reference.naf.match(bytes) {
            case .subclass(let index, let quality): copy(reference.naf.subclassText, index, quality)
            case .naf2025(let index): copy(reference.naf.naf2025Text, index, FieldQuality(.valid, .naf2025))
            case .other(let naf):
                out.set(.naf, naf.code, naf.quality)
                out.set(.nafSection, naf.section, naf.section == nil ? .missing : .valid)
                out.set(.nafLabel, naf.label, naf.label == nil ? .missing : .valid)
            }
        }
    }

    /// `fastPath`: false only in the test that checks the fast path against the general one.
    func normalizeIdentifiers(_ raw: PackedFields, _ out: inout FieldValues, fastPath: Bool = true) {
        if fastPath && RecordNormalizer.plainSiret(raw, vatNumber: options.vatNumber, &out) { return }
        let fromSiret = raw.withBytes(CanonicalField.siret.rawValue) { SiretNumber.parse($0) }
        let fromSiren = raw.withBytes(CanonicalField.siren.rawValue) { SiretNumber.parse($0) }
        out.write(.siret, fromSiret.siretQuality) { $0.append(contentsOf: fromSiret.siret ?? fromSiret.invalidDigits ?? []) }
        // The SIREN column: its own value, else the SIREN found in the SIRET column.
        var siren: [UInt8]? = fromSiren.siren
        var sirenQuality = fromSiren.siretQuality.reason == .sirenOnly || fromSiren.siren != nil ? fromSiren.sirenQuality : fromSiren.siretQuality
        if fromSiren.siretQuality.status == .missing && fromSiren.sirenQuality.status == .missing && fromSiren.siren == nil {
            sirenQuality = .missing
        }
        if let siretSiren = fromSiret.siret?.prefix(9) {
            if siren == nil && sirenQuality.status == .missing {
                siren = Array(siretSiren)
                sirenQuality = FieldQuality(.valid, .sirenFromSiret)
            } else if let siren, !siren.elementsEqual(siretSiren), !siretSiren.starts(with: SiretNumber.laPosteSiren) {
                sirenQuality = FieldQuality(.invalid, .sirenMismatch)
            }
        } else if siren == nil, let other = fromSiret.siren {
            siren = other
            sirenQuality = fromSiret.sirenQuality
        }
        out.set(.siren, siren ?? fromSiren.invalidDigits, sirenQuality)
        if options.vatNumber, let siren, out.quality[CanonicalField.siren.rawValue].status != .invalid,
           let vat = SiretNumber.vatNumber(siren: siren) {
            out.set(.vatNumber, vat, .valid)
        }
    }

    /// The common row on the stack: a valid SIRET of 14 plain digits and no SIREN column value.
    /// What the general path makes of it (the SIRET valid, the SIREN taken from it, the VAT
    /// number when asked), without its arrays; false for any other row.
    static func plainSiret(_ raw: PackedFields, vatNumber: Bool, _ out: inout FieldValues) -> Bool {
        guard raw.isEmpty(CanonicalField.siren.rawValue) else { return false }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 16) { buffer in
            let digits = buffer.baseAddress!
            guard raw.withBytes(CanonicalField.siret.rawValue, { SiretNumber.plainDigits14($0, to: digits) }) else { return false }
            let siret = UnsafeBufferPointer(start: digits, count: 14)
            guard SiretNumber.isValidSiret(siret) else { return false }  // placeholders and bad checksums: the general path
            out.set(.siret, siret, .valid)
            out.set(.siren, UnsafeBufferPointer(start: digits, count: 9), FieldQuality(.valid, .sirenFromSiret))
            // A valid SIRET's SIREN is a valid SIREN, except La Poste's establishments (their own rule).
            if vatNumber, SiretNumber.isLaPoste(siret) ? SiretNumber.isValidSiren(UnsafeBufferPointer(start: digits, count: 9)) : true {
                out.write(.vatNumber, .valid) { arena in
                    arena.append(room: 13) { SiretNumber.writeVATNumber(siren: UnsafeBufferPointer(start: digits, count: 9), to: $0, checked: true) ? 13 : 0 }
                }
            }
            return true
        }
    }

    func normalizePhones(_ raw: PackedFields, _ out: inout FieldValues) {
        func normalized(_ text: UnsafeBufferPointer<UInt8>) -> PhoneResult {
            FrenchPhone.normalize(text, reference: phoneReference, blocks: reference.overseasPhoneBlocks)
        }
        let phone = raw.withBytes(CanonicalField.phone.rawValue, normalized)
        // Two numbers in the phone cell: the second fills an empty mobile.
        let mobile: PhoneResult
        if let second = phone.second, raw.isEmpty(CanonicalField.mobile.rawValue) {
            mobile = second.withUnsafeBufferPointer(normalized)
        } else {
            mobile = raw.withBytes(CanonicalField.mobile.rawValue, normalized)
        }
        // A mobile number in the phone column and nothing in the mobile one: move it.
        if phone.type == .mobile && mobile.quality.status == .missing {
            store(phone, .mobile, .mobileType, &out)
            store(PhoneResult(type: .unknown, quality: .missing), .phone, .phoneType, &out)
        } else {
            store(mobile, .mobile, .mobileType, &out)
            store(phone, .phone, .phoneType, &out)
        }
        if let ext = phone.fileExtension { out.set(.phoneExtension, ext, .valid) }
    }

    private func store(_ result: PhoneResult, _ field: CanonicalField, _ typeField: CanonicalField, _ out: inout FieldValues) {
        result.withE164 { e164 in
            guard !e164.isEmpty else { return }
            out.set(field, e164, result.quality)
            out.set(typeField, result.type.literal, .valid)
        }
        if result.quality.status == .missing { out.clear(field) }
        // An invalid number keeps the cleaned source text (already there).
        out.setQuality(field, result.quality)
    }

    func normalizePeople(_ clean: PackedFields, _ out: inout FieldValues, _ memo: inout NormalizeMemo) {
        let civility = CanonicalField.civility.rawValue
        if !clean.isEmpty(civility) {
            var q = FieldQuality.valid
            let text = clean.withBytes(civility) { value in
                // Kept as the canonical text, then the quality's two bytes.
                out.append { arena in
                    let start = arena.count
                    if !memo.civilities.append(valueOf: value, to: &arena) {
                        let (text, quality) = PersonName.civility(value)
                        if let text { arena.append(contentsOf: text.utf8) }
                        arena.append(quality.status.rawValue)
                        arena.append(quality.reason.rawValue)
                        arena.withUnsafeBufferPointer { memo.civilities.store(value, UnsafeBufferPointer(rebasing: $0[start...])) }
                    }
                    let reason = arena.removeLast(), status = arena.removeLast()
                    q = FieldQuality(FieldStatus(rawValue: status)!, QualityReason(rawValue: reason)!)
                }
            }
            out.assign(.civility, text, q)
            out.setQuality(.civility, q)  // exactly (an unknown civility is invalid, a known one valid)
        }
        let first = clean.withBytes(CanonicalField.firstName.rawValue) { properCaseName($0, &out, &memo) }
        let last = clean.withBytes(CanonicalField.lastName.rawValue) { properCaseName($0, &out, &memo) }
        var names = (first: first, last: last, lastSource: CanonicalField.lastName)
        if options.fixSwappedNames && first.present && last.present && last.isUnambiguousFirstName && !first.isFirstName {
            names = (last, first, .firstName)
            out.setQuality(.firstName, FieldQuality(.repaired, .firstLastSwapped))
            out.setQuality(.lastName, FieldQuality(.repaired, .firstLastSwapped))
        }
        out.assign(.firstName, names.first.cased, out.quality[CanonicalField.firstName.rawValue])
        if names.last.isNotAPerson {
            clean.withBytes(names.lastSource.rawValue) { out.set(.lastName, $0, FieldQuality(.invalid, .notAPerson)) }
        } else {
            out.assign(.lastName, names.last.cased, out.quality[CanonicalField.lastName.rawValue])
        }
    }

    /// A first name or surname cased (appended to the arena), and what the swap and "not a
    /// person" checks need to know of it.
    struct CasedName {
        var cased: Range<Int>
        var present: Bool
        var isFirstName = false
        var isUnambiguousFirstName = false
        var isNotAPerson = false
    }

    /// Cases the name into the arena and says what it is, from the memo when the name was seen
    /// before (the cased bytes, then one byte of flags).
    func properCaseName(_ value: UnsafeBufferPointer<UInt8>, _ out: inout FieldValues, _ memo: inout NormalizeMemo) -> CasedName {
        var flags: UInt8 = 0
        let cased = out.append { arena in
            guard !value.isEmpty else { return }
            let start = arena.count
            if !memo.names.append(valueOf: value, to: &arena) {
                PersonName.properCase(value, into: &arena)
                let kinds = firstNameKinds(value)
                arena.append((kinds.any ? 1 : 0) | (kinds.unambiguous ? 2 : 0) | (PersonName.isNotAPerson(value) ? 4 : 0))
                arena.withUnsafeBufferPointer { memo.names.store(value, UnsafeBufferPointer(rebasing: $0[start...])) }
            }
            flags = arena.removeLast()
        }
        return CasedName(cased: cased, present: !value.isEmpty, isFirstName: flags & 1 != 0, isUnambiguousFirstName: flags & 2 != 0, isNotAPerson: flags & 4 != 0)
    }

    /// Whether every part of the value is a known first name ("Jean Pierre", "Jean-Pierre"),
    /// and whether it is one unambiguously: not also a frequent surname (a compound of first
    /// names, "Jean-Pierre", is unambiguous even if a part is also a surname).
    func firstNameKinds(_ value: UnsafeBufferPointer<UInt8>) -> (any: Bool, unambiguous: Bool) {
        var folded: [UInt8] = []
        AccentFolding.fold(value, into: &folded)  // words separated by single spaces, trimmed
        if folded.isEmpty { return (false, false) }
        return folded.withUnsafeBufferPointer { folded in
            let single = !folded.contains(0x20)
            var unambiguous = true
            for word in Bytes.words(folded) {
                let part = UnsafeBufferPointer(rebasing: folded[word])
                guard reference.firstNames.contains(part) else { return (false, false) }
                if single && reference.surnameLikeFirstNames.contains(part) { unambiguous = false }
            }
            return (true, unambiguous)
        }
    }

    func normalizeCompany(_ clean: PackedFields, _ out: inout FieldValues) {
        let company = CanonicalField.companyName.rawValue
        guard !clean.isEmpty(company) else { return }
        var legalForm: String?
        let q = out.quality[company]
        clean.withBytes(company) { raw in
            out.write(.companyName, q) { legalForm = CompanyName.split(raw, forms: reference.legalForms, into: &$0) }
        }
        if let legalForm {
            out.setQuality(.companyName, FieldQuality(.valid, .legalFormExtracted))
            if clean.isEmpty(CanonicalField.legalForm.rawValue) { out.set(.legalForm, legalForm, .valid) }
        } else {
            out.setQuality(.companyName, q)
        }
    }

    static let addressLines: [CanonicalField] = [.address1, .address2, .address3]
    /// Folded ways of writing France in the country column.
    static let france = ByteStringSet(["france", "fr", "fra", "france metropolitaine"])

    func normalizeAddress(_ clean: PackedFields, _ out: inout FieldValues) {
        for field in RecordNormalizer.addressLines where !clean.isEmpty(field.rawValue) {
            clean.withBytes(field.rawValue) { line in
                out.write(field, out.quality[field.rawValue]) { reference.geography.normalizeStreet(line, into: &$0) }
            }
        }
        var parts = AddressParts()
        _ = out.append { arena in
            parts = clean.withBytes(CanonicalField.postalCode.rawValue) { code in
                clean.withBytes(CanonicalField.city.rawValue) { reference.geography.normalize(postalCode: code, city: $0, into: &arena) }
            }
        }
        out.put(.postalCode, parts.postalCode, parts.postalQuality)
        out.put(.city, parts.city, parts.cityQuality)
        out.put(.cedex, parts.cedex, parts.cedex == nil ? .missing : .valid)
        out.put(.department, parts.department, parts.department == nil ? .missing : .valid)
        out.put(.region, parts.region, parts.region == nil ? .missing : .valid)
        let country = CanonicalField.country.rawValue
        if !clean.isEmpty(country) {
            var key: [UInt8] = []
            clean.withBytes(country) { AccentFolding.fold($0, into: &key) }
            if key.withUnsafeBufferPointer({ RecordNormalizer.france.contains($0) }) { out.set(.country, "FR", out.quality[country]) }
        }
    }

    func normalizeHeadcount(_ clean: PackedFields, _ out: inout FieldValues) {
        let index = CanonicalField.headcountBand.rawValue
        guard !clean.isEmpty(index), !reference.headcountBands.isEmpty else { return }
        var code = clean.bytes(index).map(Bytes.upper)
        var repaired = false
        if code.count == 1, Bytes.isDigit(code[0]) {
            code.insert(0x30, at: 0)  // Excel turned "01" into 1
            repaired = true
        }
        if code.withUnsafeBufferPointer({ reference.headcountBands.contains($0) }) {
            out.set(.headcountBand, code, repaired ? FieldQuality(.repaired, .leadingZerosRestored) : .valid)
        } else {
            out.setQuality(.headcountBand, FieldQuality(.invalid, .unknownCode))
        }
    }
}
