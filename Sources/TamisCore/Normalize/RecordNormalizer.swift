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
        let clean = RecordNormalizer.cleaned(raw)
        var out = FieldValues(clean)
        for field in CanonicalField.sourceFields where !clean.isEmpty(field.rawValue) { out.setQuality(field, .valid) }
        normalizeIdentifiers(raw, &out)
        normalizeNaf(raw, &out)
        normalizeEmail(raw, &out)
        normalizePhones(raw, &out)
        normalizePeople(clean, &out)
        normalizeCompany(clean, &out)
        normalizeAddress(clean, &out)
        normalizeHeadcount(clean, &out)
        return (out.packed(spareBytes: options.spareBytes), out.quality)
    }

    /// The source fields with white space trimmed and collapsed; derived fields empty.
    static func cleaned(_ raw: PackedFields) -> PackedFields {
        let sources = CanonicalField.sourceFields.count
        // A cleaned value is never longer than the raw one: one allocation of the raw size.
        return raw.withValueBytes { input in
            PackedFields(count: CanonicalField.count, capacity: input.count) { field, destination in
                field < sources ? NormalizeStage.collapseWhitespace(UnsafeBufferPointer(rebasing: input[raw.valueRange(field)]), to: destination) : 0
            }
        }
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
        return (out.packed(spareBytes: options.spareBytes), out.quality)
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
            let naf = reference.naf.normalize(bytes)
            out.set(.naf, naf.code, naf.quality)
            out.set(.nafSection, naf.section, naf.section == nil ? .missing : .valid)
            out.set(.nafLabel, naf.label, naf.label == nil ? .missing : .valid)
        }
    }

    func normalizeIdentifiers(_ raw: PackedFields, _ out: inout FieldValues) {
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

    func normalizePhones(_ raw: PackedFields, _ out: inout FieldValues) {
        let phone = raw.withBytes(CanonicalField.phone.rawValue) { FrenchPhone.normalize($0, reference: phoneReference) }
        var phoneResult = phone
        // Two numbers in the phone cell: the second fills an empty mobile.
        let mobile: PhoneResult
        if let second = phone.second, raw.isEmpty(CanonicalField.mobile.rawValue) {
            mobile = second.withUnsafeBufferPointer { FrenchPhone.normalize($0, reference: phoneReference) }
        } else {
            mobile = raw.withBytes(CanonicalField.mobile.rawValue) { FrenchPhone.normalize($0, reference: phoneReference) }
        }
        // A mobile number in the phone column and nothing in the mobile one: move it.
        if phone.type == .mobile && mobile.quality.status == .missing {
            phoneResult = PhoneResult(e164: nil, type: .unknown, quality: .missing)
            store(phone, .mobile, .mobileType, &out)
        } else {
            store(mobile, .mobile, .mobileType, &out)
        }
        store(phoneResult, .phone, .phoneType, &out)
        if let ext = phone.fileExtension { out.set(.phoneExtension, ext, .valid) }
    }

    private func store(_ result: PhoneResult, _ field: CanonicalField, _ typeField: CanonicalField, _ out: inout FieldValues) {
        if let e164 = result.e164 {
            out.set(field, e164, result.quality)
            out.set(typeField, result.type.rawValue, .valid)
        }
        if result.quality.status == .missing { out.clear(field) }
        // An invalid number keeps the cleaned source text (already there).
        out.setQuality(field, result.quality)
    }

    func normalizePeople(_ clean: PackedFields, _ out: inout FieldValues) {
        let civility = CanonicalField.civility.rawValue
        if !clean.isEmpty(civility) {
            let (text, q) = clean.withBytes(civility) { PersonName.civility($0) }
            out.put(.civility, text, q)
        }
        var first = CanonicalField.firstName.rawValue, last = CanonicalField.lastName.rawValue
        if options.fixSwappedNames && !clean.isEmpty(first) && !clean.isEmpty(last)
            && clean.withBytes(last, { isFirstName($0, unambiguous: true) }) && !clean.withBytes(first, { isFirstName($0) }) {
            swap(&first, &last)
            out.setQuality(.firstName, FieldQuality(.repaired, .firstLastSwapped))
            out.setQuality(.lastName, FieldQuality(.repaired, .firstLastSwapped))
        }
        for (source, field) in [(first, CanonicalField.firstName), (last, .lastName)] {
            let q = out.quality[field.rawValue]
            clean.withBytes(source) { value in
                if value.isEmpty {
                    out.set(field, value, q)
                } else if field == .lastName && PersonName.isNotAPerson(value) {
                    out.set(field, value, FieldQuality(.invalid, .notAPerson))
                } else {
                    out.write(field, q) { PersonName.properCase(value, into: &$0) }
                }
            }
        }
    }

    /// Whether every part of the value is a known first name ("Jean Pierre", "Jean-Pierre");
    /// with `unambiguous`, names that are also frequent surnames do not count.
    func isFirstName(_ value: UnsafeBufferPointer<UInt8>, unambiguous: Bool = false) -> Bool {
        var folded: [UInt8] = []
        AccentFolding.fold(value, into: &folded)  // words separated by single spaces, trimmed
        if folded.isEmpty { return false }
        return folded.withUnsafeBufferPointer { folded in
            // A compound of first names ("Jean-Pierre") is unambiguous even if a part is also a surname.
            let strict = unambiguous && !folded.contains(0x20)
            return Bytes.words(folded).allSatisfy { word in
                let part = UnsafeBufferPointer(rebasing: folded[word])
                return reference.firstNames.contains(part) && !(strict && reference.surnameLikeFirstNames.contains(part))
            }
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
        let result = clean.withBytes(CanonicalField.postalCode.rawValue) { code in
            clean.withBytes(CanonicalField.city.rawValue) { reference.geography.normalize(postalCode: code, city: $0) }
        }
        out.put(.postalCode, result.postalCode, result.postalQuality)
        out.put(.city, result.city, result.cityQuality)
        out.put(.cedex, result.cedex, result.cedex == nil ? .missing : .valid)
        out.put(.department, result.department, result.department == nil ? .missing : .valid)
        out.put(.region, result.region, result.region == nil ? .missing : .valid)
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
