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
        var values = [[UInt8]](repeating: [], count: CanonicalField.count)
        var quality = [FieldQuality](repeating: .missing, count: CanonicalField.count)
        func set(_ field: CanonicalField, _ value: some Collection<UInt8>, _ q: FieldQuality) {
            values[field.rawValue] = Array(value)
            quality[field.rawValue] = value.isEmpty && q.status != .invalid ? FieldQuality(.missing, q.reason) : q
        }
        func set(_ field: CanonicalField, _ value: String?, _ q: FieldQuality) {
            set(field, Array((value ?? "").utf8), q)
        }
        // Plain text fields: white space cleaned.
        var scratch: [UInt8] = []
        for field in CanonicalField.sourceFields {
            scratch.removeAll(keepingCapacity: true)
            raw.withBytes(field.rawValue) { NormalizeStage.collapseWhitespace($0, into: &scratch) }
            set(field, scratch, scratch.isEmpty ? .missing : .valid)
        }
        normalizeIdentifiers(raw, &values, &quality)
        raw.withBytes(CanonicalField.naf.rawValue) { bytes in
            let naf = reference.naf.normalize(bytes)
            set(.naf, naf.code, naf.quality)
            set(.nafSection, naf.section, naf.section == nil ? .missing : .valid)
            set(.nafLabel, naf.label, naf.label == nil ? .missing : .valid)
        }
        raw.withBytes(CanonicalField.email.rawValue) { bytes in
            let email = EmailAddress.normalize(bytes, lists: reference.email)
            set(.email, email.address, email.quality)
            set(.emailDomain, email.domain, email.domain.isEmpty ? .missing : .valid)
            if let suggestion = email.suggestion { set(.emailSuggestion, suggestion, .valid) }
        }
        normalizePhones(raw, &values, &quality)
        normalizePeople(&values, &quality)
        normalizeCompany(&values, &quality)
        normalizeAddress(raw, &values, &quality)
        normalizeHeadcount(&values, &quality)
        return (RecordNormalizer.pack(values), quality)
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
        var values = (0..<CanonicalField.count).map { value.bytes($0) }
        var quality = oldQuality
        if quality.count < CanonicalField.count {
            quality += [FieldQuality](repeating: .missing, count: CanonicalField.count - quality.count)
        }
        let identifiers = changed.contains { RecordNormalizer.identifierGroup.contains($0) }
        let address = changed.contains { RecordNormalizer.addressGroup.contains($0) }
        var fields = changed.filter { !$0.isDerived }
        if identifiers { fields += RecordNormalizer.identifierGroup }
        if address { fields += RecordNormalizer.addressGroup }
        var scratch: [UInt8] = []
        for field in fields {
            scratch.removeAll(keepingCapacity: true)
            raw.withBytes(field.rawValue) { NormalizeStage.collapseWhitespace($0, into: &scratch) }
            values[field.rawValue] = scratch
            quality[field.rawValue] = scratch.isEmpty ? .missing : .valid
        }
        if identifiers {
            values[CanonicalField.vatNumber.rawValue] = []
            quality[CanonicalField.vatNumber.rawValue] = .missing
            normalizeIdentifiers(raw, &values, &quality)
        }
        if changed.contains(.naf) {
            raw.withBytes(CanonicalField.naf.rawValue) { bytes in
                let naf = reference.naf.normalize(bytes)
                for (field, text, q) in [(CanonicalField.naf, naf.code, naf.quality),
                                         (.nafSection, naf.section, naf.section == nil ? FieldQuality.missing : .valid),
                                         (.nafLabel, naf.label, naf.label == nil ? FieldQuality.missing : .valid)] {
                    values[field.rawValue] = Array((text ?? "").utf8)
                    quality[field.rawValue] = values[field.rawValue].isEmpty && q.status != .invalid ? FieldQuality(.missing, q.reason) : q
                }
            }
        }
        if address { normalizeAddress(raw, &values, &quality) }
        if changed.contains(.headcountBand) { normalizeHeadcount(&values, &quality) }
        return (RecordNormalizer.pack(values), quality)
    }

    static func pack(_ values: [[UInt8]]) -> PackedFields {
        let packed = values.withUnsafeBufferPointer { values in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: values.count) { lengths in
                for i in values.indices { lengths[i] = values[i].count }
                return PackedFields(lengths: UnsafeBufferPointer(lengths)) { i, destination in
                    _ = destination.initialize(from: values[i])
                }
            }
        }
        return packed
    }

    func normalizeIdentifiers(_ raw: PackedFields, _ values: inout [[UInt8]], _ quality: inout [FieldQuality]) {
        let fromSiret = raw.withBytes(CanonicalField.siret.rawValue) { SiretNumber.parse($0) }
        let fromSiren = raw.withBytes(CanonicalField.siren.rawValue) { SiretNumber.parse($0) }
        let siretIndex = CanonicalField.siret.rawValue, sirenIndex = CanonicalField.siren.rawValue
        values[siretIndex] = fromSiret.siret ?? fromSiret.invalidDigits ?? []
        quality[siretIndex] = fromSiret.siretQuality
        // The SIREN column: its own value, else the SIREN found in the SIRET column.
        var siren: [UInt8]? = fromSiren.siren
        var sirenQuality = fromSiren.siretQuality.reason == .sirenOnly || fromSiren.siren != nil ? fromSiren.sirenQuality : fromSiren.siretQuality
        if fromSiren.siretQuality.status == .missing && fromSiren.sirenQuality.status == .missing && fromSiren.siren == nil {
            sirenQuality = .missing
        }
        if let siretSiren = fromSiret.siret.map({ Array($0.prefix(9)) }) {
            if siren == nil && sirenQuality.status == .missing {
                siren = siretSiren
                sirenQuality = FieldQuality(.valid, .sirenFromSiret)
            } else if let siren, siren != siretSiren, !siretSiren.starts(with: SiretNumber.laPosteSiren) {
                sirenQuality = FieldQuality(.invalid, .sirenMismatch)
                _ = siren
            }
        } else if siren == nil, let other = fromSiret.siren {
            siren = other
            sirenQuality = fromSiret.sirenQuality
        }
        values[sirenIndex] = siren ?? fromSiren.invalidDigits ?? []
        quality[sirenIndex] = values[sirenIndex].isEmpty && sirenQuality.status != .invalid ? FieldQuality(.missing, sirenQuality.reason) : sirenQuality
        if options.vatNumber, let siren, quality[sirenIndex].status != .invalid, let vat = SiretNumber.vatNumber(siren: siren) {
            values[CanonicalField.vatNumber.rawValue] = Array(vat.utf8)
            quality[CanonicalField.vatNumber.rawValue] = .valid
        }
    }

    func normalizePhones(_ raw: PackedFields, _ values: inout [[UInt8]], _ quality: inout [FieldQuality]) {
        let phone = raw.withBytes(CanonicalField.phone.rawValue) { FrenchPhone.normalize($0, reference: phoneReference) }
        var mobileRaw = raw.bytes(CanonicalField.mobile.rawValue)
        var phoneResult = phone
        // Two numbers in the phone cell: the second fills an empty mobile.
        if let second = phone.second, mobileRaw.isEmpty { mobileRaw = second }
        let mobile = mobileRaw.withUnsafeBufferPointer { FrenchPhone.normalize($0, reference: phoneReference) }
        // A mobile number in the phone column and nothing in the mobile one: move it.
        if phone.type == .mobile && mobile.quality.status == .missing {
            phoneResult = PhoneResult(e164: nil, type: .unknown, quality: .missing)
            store(phone, .mobile, .mobileType, &values, &quality)
        } else {
            store(mobile, .mobile, .mobileType, &values, &quality)
        }
        store(phoneResult, .phone, .phoneType, &values, &quality)
        if let ext = phone.fileExtension {
            values[CanonicalField.phoneExtension.rawValue] = Array(ext.utf8)
            quality[CanonicalField.phoneExtension.rawValue] = .valid
        }
    }

    private func store(_ result: PhoneResult, _ field: CanonicalField, _ typeField: CanonicalField,
                       _ values: inout [[UInt8]], _ quality: inout [FieldQuality]) {
        if let e164 = result.e164 {
            values[field.rawValue] = Array(e164.utf8)
            values[typeField.rawValue] = Array(result.type.rawValue.utf8)
            quality[typeField.rawValue] = .valid
        }
        // An invalid number keeps the cleaned source text (already in `values`).
        if result.quality.status == .missing { values[field.rawValue] = [] }
        quality[field.rawValue] = result.quality
    }

    func normalizePeople(_ values: inout [[UInt8]], _ quality: inout [FieldQuality]) {
        let civilityIndex = CanonicalField.civility.rawValue
        if !values[civilityIndex].isEmpty {
            let (civility, q) = values[civilityIndex].withUnsafeBufferPointer { PersonName.civility($0) }
            values[civilityIndex] = Array((civility ?? "").utf8)
            quality[civilityIndex] = q
        }
        let first = CanonicalField.firstName.rawValue, last = CanonicalField.lastName.rawValue
        if options.fixSwappedNames && !values[first].isEmpty && !values[last].isEmpty
            && isFirstName(values[last], unambiguous: true) && !isFirstName(values[first]) {
            values.swapAt(first, last)
            quality[first] = FieldQuality(.repaired, .firstLastSwapped)
            quality[last] = FieldQuality(.repaired, .firstLastSwapped)
        }
        for index in [first, last] where !values[index].isEmpty {
            if index == last, values[index].withUnsafeBufferPointer({ PersonName.isNotAPerson($0) }) {
                quality[index] = FieldQuality(.invalid, .notAPerson)
                continue
            }
            values[index] = values[index].withUnsafeBufferPointer { PersonName.properCase($0) }
        }
    }

    /// Whether every part of the value is a known first name ("Jean Pierre", "Jean-Pierre");
    /// with `unambiguous`, names that are also frequent surnames do not count.
    func isFirstName(_ value: [UInt8], unambiguous: Bool = false) -> Bool {
        var folded: [UInt8] = []
        value.withUnsafeBufferPointer { AccentFolding.fold($0, into: &folded) }
        let parts = folded.split(separator: 0x20)
        // A compound of first names ("Jean-Pierre") is unambiguous even if a part is also a surname.
        let strict = unambiguous && parts.count == 1
        return !parts.isEmpty && parts.allSatisfy { part in
            Array(part).withUnsafeBufferPointer {
                reference.firstNames.contains($0) && !(strict && reference.surnameLikeFirstNames.contains($0))
            }
        }
    }

    func normalizeCompany(_ values: inout [[UInt8]], _ quality: inout [FieldQuality]) {
        let company = CanonicalField.companyName.rawValue, form = CanonicalField.legalForm.rawValue
        guard !values[company].isEmpty else { return }
        let (name, legalForm) = values[company].withUnsafeBufferPointer { CompanyName.split($0, forms: reference.legalForms) }
        values[company] = Array(name.utf8)
        if let legalForm {
            quality[company] = FieldQuality(.valid, .legalFormExtracted)
            if values[form].isEmpty {
                values[form] = Array(legalForm.utf8)
                quality[form] = .valid
            }
        }
    }

    func normalizeAddress(_ raw: PackedFields, _ values: inout [[UInt8]], _ quality: inout [FieldQuality]) {
        for field in [CanonicalField.address1, .address2, .address3] where !values[field.rawValue].isEmpty {
            values[field.rawValue] = Array(values[field.rawValue].withUnsafeBufferPointer { reference.geography.normalizeStreet($0) }.utf8)
        }
        let postal = CanonicalField.postalCode.rawValue, city = CanonicalField.city.rawValue
        let result = values[postal].withUnsafeBufferPointer { code in
            values[city].withUnsafeBufferPointer { reference.geography.normalize(postalCode: code, city: $0) }
        }
        values[postal] = Array((result.postalCode ?? "").utf8)
        quality[postal] = result.postalQuality
        values[city] = Array((result.city ?? "").utf8)
        quality[city] = result.cityQuality
        for (field, value) in [(CanonicalField.cedex, result.cedex), (.department, result.department), (.region, result.region)] {
            values[field.rawValue] = Array((value ?? "").utf8)
            quality[field.rawValue] = value == nil ? .missing : .valid
        }
        let country = CanonicalField.country.rawValue
        if !values[country].isEmpty {
            let key = AccentFolding.key(String(decoding: values[country], as: UTF8.self))
            if ["france", "fr", "fra", "france metropolitaine"].contains(key) { values[country] = Array("FR".utf8) }
        }
    }

    func normalizeHeadcount(_ values: inout [[UInt8]], _ quality: inout [FieldQuality]) {
        let index = CanonicalField.headcountBand.rawValue
        guard !values[index].isEmpty, !reference.headcountBands.isEmpty else { return }
        var code = String(decoding: values[index], as: UTF8.self).uppercased()
        var repaired = false
        if code.count == 1, code.allSatisfy(\.isNumber) {
            code = "0" + code  // Excel turned "01" into 1
            repaired = true
        }
        if reference.headcountBands.contains(code) {
            values[index] = Array(code.utf8)
            quality[index] = repaired ? FieldQuality(.repaired, .leadingZerosRestored) : .valid
        } else {
            quality[index] = FieldQuality(.invalid, .unknownCode)
        }
    }
}
