import TamisCore
#if canImport(Glibc)
import Glibc
#endif

/// The local SIRENE register built by `tamis sirene import` (`RegisterLayout`), mapped into
/// memory: every thread reads the same pages, and a lookup is a few array reads.
///
/// The states of all SIRETs and SIRENs are copied into `RegisterStateTable`s (8 bytes each)
/// when the register is opened; records are read in place from the mapping.
public final class SireneRegisterFile: SireneRegister, @unchecked Sendable {
    public static let formatVersion = "4"
    public let path: String
    public let info: RegisterInfo
    let establishmentStates: RegisterStateTable
    let unitStates: RegisterStateTable
    private let file: MappedFile
    private let records: UnsafeBufferPointer<UInt8>
    private let establishmentPairs: UnsafeBufferPointer<KeyValuePair>
    private let unitPairs: UnsafeBufferPointer<KeyValuePair>
    private let keyPairs: UnsafeBufferPointer<KeyValuePair>
    private let keyDirectory: UnsafeBufferPointer<UInt64>
    /// `ClosingDate` codes, in the order of `establishmentPairs`.
    private let closingDates: UnsafeBufferPointer<UInt16>

    public init(path: String) throws {
        self.path = path
        guard access(path, R_OK) == 0 else {
            throw InputError(file: path, problem: "the SIRENE register does not exist",
                             hint: "build it first: tamis sirene import StockEtablissement_utf8.zip StockUniteLegale_utf8.zip --register \(path)")
        }
        file = try MappedFile(path: path)
        let bytes = file.bytes
        func damaged(_ what: String) -> InputError {
            InputError(file: path, problem: "the SIRENE register is damaged (\(what))", hint: "import the stock files again")
        }
        if bytes.starts(with: RegisterLayout.sqliteMagic) {
            throw InputError(file: path, problem: "this register was built by an earlier version of Tamis (an SQLite file, format 2)",
                             hint: "import the stock files again with this version: tamis sirene import … --register \(path)")
        }
        guard bytes.count >= RegisterLayout.headerSize, bytes.starts(with: RegisterLayout.magic) else {
            throw InputError(file: path, problem: "this is not a Tamis SIRENE register",
                             hint: "build one with `tamis sirene import StockEtablissement_utf8.zip StockUniteLegale_utf8.zip --register \(path)`")
        }
        let sections: [(offset: Int, length: Int)]
        do {
            sections = try RegisterLayout.sections(of: bytes)
        } catch RegisterLayout.Problem.version(let version) {
            throw InputError(file: path, problem: "register format \(version) is not the one this Tamis reads (\(RegisterLayout.version))",
                             hint: "import the stock files again with this version of Tamis")
        } catch RegisterLayout.Problem.damaged(let what) {
            throw damaged(what)
        }
        func section(_ section: RegisterLayout.Section) -> (offset: Int, length: Int) { sections[section.rawValue] }
        records = UnsafeBufferPointer(rebasing: bytes[section(.records).offset..<(section(.records).offset + section(.records).length)])
        establishmentPairs = file.array(of: KeyValuePair.self, at: section(.establishments).offset, count: section(.establishments).length / 16)
        unitPairs = file.array(of: KeyValuePair.self, at: section(.units).offset, count: section(.units).length / 16)
        keyPairs = file.array(of: KeyValuePair.self, at: section(.nameKeys).offset, count: section(.nameKeys).length / 16)
        keyDirectory = file.array(of: UInt64.self, at: section(.keyDirectory).offset, count: section(.keyDirectory).length / 8)
        guard section(.closingDates).length >= RegisterLayout.closingDatesLength(count: establishmentPairs.count) else {
            throw damaged("closing dates")
        }
        closingDates = file.array(of: UInt16.self, at: section(.closingDates).offset, count: establishmentPairs.count)
        guard keyDirectory.count == RegisterLayout.keyDirectoryCount + 1,
              keyDirectory.last == UInt64(keyPairs.count),
              zip(keyDirectory, keyDirectory.dropFirst()).allSatisfy({ $0 <= $1 }) else { throw damaged("name key directory") }
        var meta: [String: String] = [:]
        let metaBytes = bytes[section(.meta).offset..<(section(.meta).offset + section(.meta).length)]
        for line in metaBytes.split(separator: 0x0A) {
            guard let equals = line.firstIndex(of: 0x3D) else { continue }
            meta[String(decoding: line[..<equals], as: UTF8.self)] = String(decoding: line[(equals + 1)...], as: UTF8.self)
        }
        guard meta["format"] == SireneRegisterFile.formatVersion else { throw damaged("no format in its meta data") }
        info = RegisterInfo(stockDate: meta["stock_date"] ?? "", importedAt: meta["imported_at"] ?? "",
                            establishments: establishmentPairs.count, units: unitPairs.count)
        func states(_ pairs: UnsafeBufferPointer<KeyValuePair>) throws -> RegisterStateTable {
            guard zip(pairs, pairs.dropFirst()).allSatisfy({ $0.key >> 2 < $1.key >> 2 }) else { throw damaged("index not sorted") }
            return RegisterStateTable(entries: pairs.map(\.key))
        }
        establishmentStates = try states(establishmentPairs)
        unitStates = try states(unitPairs)
    }

    /// Names stored joined by `|` (signs, usual names), split again.
    static func names(_ joined: String) -> [String] {
        joined.isEmpty ? [] : joined.split(separator: "|").map(String.init)
    }

    public func makeReader() throws -> SireneReader {
        Reader(register: self)
    }

    /// The establishment record at `position` of the index.
    fileprivate func establishmentRecord(_ position: Int) -> RegisterRecord.View? {
        RegisterRecord.View(heap: records, offset: establishmentPairs[position].value, fields: RegisterRecord.establishmentFields)
    }

    fileprivate func unitRecord(_ position: Int) -> RegisterRecord.View? {
        RegisterRecord.View(heap: records, offset: unitPairs[position].value, fields: RegisterRecord.unitFields)
    }

    /// Reads the shared mapping; holds nothing of its own (the protocol hands one to each thread).
    final class Reader: SireneReader {
        let register: SireneRegisterFile

        init(register: SireneRegisterFile) {
            self.register = register
        }

        func establishmentState(_ siret: UInt64) throws -> RegisterState? {
            register.establishmentStates.state(siret)
        }

        func unitState(_ siren: UInt64) throws -> RegisterState? {
            register.unitStates.state(siren)
        }

        func establishmentStates(_ sirets: [UInt64]) throws -> [RegisterState?] {
            register.establishmentStates.states(sirets)
        }

        func unitStates(_ sirens: [UInt64]) throws -> [RegisterState?] {
            register.unitStates.states(sirens)
        }

        private func record(_ siret: UInt64) -> RegisterRecord.View? {
            register.establishmentStates.position(siret).flatMap(register.establishmentRecord)
        }

        func establishment(_ siret: UInt64) throws -> RegisteredEstablishment? {
            guard let r = record(siret) else { return nil }
            return RegisteredEstablishment(
                siret: siret, isActive: r.flags & 1 != 0, isPartial: r.flags & 2 != 0, periodStart: r.text(RegisterRecord.periodStart),
                isHeadOffice: r.flags & 4 != 0, created: r.text(RegisterRecord.created), headcountBand: r.text(RegisterRecord.headcount),
                naf: r.text(RegisterRecord.naf), nafNomenclature: r.text(RegisterRecord.nafNomenclature), naf2025: r.text(RegisterRecord.naf2025),
                names: SireneRegisterFile.names(r.text(RegisterRecord.names)), streetNumber: r.text(RegisterRecord.streetNumber),
                streetRepeat: r.text(RegisterRecord.streetRepeat), streetType: r.text(RegisterRecord.streetType),
                streetName: r.text(RegisterRecord.streetName), complement: r.text(RegisterRecord.complement),
                postalCode: r.text(RegisterRecord.postalCode), communeCode: r.text(RegisterRecord.communeCode), city: r.text(RegisterRecord.city))
        }

        func candidate(_ siret: UInt64) throws -> RegisteredEstablishment? {
            guard let r = record(siret) else { return nil }
            return RegisteredEstablishment(
                siret: siret, isActive: r.flags & 1 != 0, isPartial: r.flags & 2 != 0, names: SireneRegisterFile.names(r.text(RegisterRecord.names)),
                streetNumber: r.text(RegisterRecord.streetNumber), streetType: r.text(RegisterRecord.streetType),
                streetName: r.text(RegisterRecord.streetName), postalCode: r.text(RegisterRecord.postalCode), city: r.text(RegisterRecord.city))
        }

        /// From the closing dates section; from the record when its date is not a plain one.
        func closingDate(_ siret: UInt64) throws -> String? {
            guard let position = register.establishmentStates.position(siret) else { return nil }
            switch register.closingDates[position] {
            case ClosingDate.none: return ""
            case ClosingDate.unreadable: return register.establishmentRecord(position)?.text(RegisterRecord.periodStart)
            case let code: return ClosingDate.text(code)
            }
        }

        func closing(_ siret: UInt64) throws -> RegisteredEstablishment? {
            guard let r = record(siret) else { return nil }
            return RegisteredEstablishment(siret: siret, isActive: r.flags & 1 != 0, isPartial: r.flags & 2 != 0,
                                           periodStart: r.text(RegisterRecord.periodStart), postalCode: r.text(RegisterRecord.postalCode))
        }

        func openEstablishments(ofSiren siren: UInt64) throws -> [RegisteredEstablishment] {
            var result: [RegisteredEstablishment] = []
            forEachOpenEstablishment(ofSiren: siren) { siret, r in result.append(openEstablishment(siret, r)) }
            return result
        }

        /// Compares postal codes in place: only the establishments there are decoded.
        func successorCandidates(ofSiren siren: UInt64, at postalCode: String) throws -> SuccessorCandidates {
            var candidates = SuccessorCandidates(here: [], headOffice: nil, only: nil)
            var open = 0
            var place = postalCode
            place.withUTF8 { place in
                forEachOpenEstablishment(ofSiren: siren) { siret, r in
                    open += 1
                    candidates.only = siret
                    if candidates.headOffice == nil && r.flags & 4 != 0 { candidates.headOffice = siret }
                    if Bytes.equal(r.bytes(RegisterRecord.postalCode), place) { candidates.here.append(openEstablishment(siret, r)) }
                }
            }
            if open != 1 { candidates.only = nil }
            return candidates
        }

        /// Calls `body` with each open establishment of `siren` (SIRET and record), in SIRET order.
        private func forEachOpenEstablishment(ofSiren siren: UInt64, _ body: (UInt64, RegisterRecord.View) -> Void) {
            let states = register.establishmentStates
            var position = states.lowerBound(siren * 100_000)
            while position < states.count && states.entry(position) >> 2 <= siren * 100_000 + 99_999 {
                defer { position += 1 }
                guard states.entry(position) & 2 != 0, let r = register.establishmentRecord(position) else { continue }
                body(states.entry(position) >> 2, r)
            }
        }

        /// An open establishment as `openEstablishments` gives it: state, head office, street address.
        private func openEstablishment(_ siret: UInt64, _ r: RegisterRecord.View) -> RegisteredEstablishment {
            RegisteredEstablishment(
                siret: siret, isActive: true, isPartial: r.flags & 2 != 0, isHeadOffice: r.flags & 4 != 0,
                streetNumber: r.text(RegisterRecord.streetNumber), streetType: r.text(RegisterRecord.streetType),
                streetName: r.text(RegisterRecord.streetName), postalCode: r.text(RegisterRecord.postalCode))
        }

        func unit(_ siren: UInt64) throws -> RegisteredUnit? {
            guard let r = register.unitStates.position(siren).flatMap(register.unitRecord) else { return nil }
            return RegisteredUnit(
                siren: siren, isActive: r.flags & 1 != 0, isPartial: r.flags & 2 != 0, name: r.text(RegisterRecord.unitName),
                acronym: r.text(RegisterRecord.acronym), usualNames: SireneRegisterFile.names(r.text(RegisterRecord.usualNames)),
                legalCategory: r.text(RegisterRecord.legalCategory), naf: r.text(RegisterRecord.unitNaf),
                headcountBand: r.text(RegisterRecord.unitHeadcount), sizeCategory: r.text(RegisterRecord.sizeCategory),
                headOfficeNIC: UInt64(r.text(RegisterRecord.headOfficeNIC)), created: r.text(RegisterRecord.unitCreated))
        }

        func candidates(forKey key: UInt64, limit: Int) throws -> [UInt64] {
            let pairs = register.keyPairs, directory = register.keyDirectory
            let slot = Int(key >> RegisterLayout.keyDirectoryShift)
            guard slot < RegisterLayout.keyDirectoryCount else { return [] }
            var low = Int(directory[slot]), high = Int(directory[slot + 1])
            while low < high {
                let mid = (low + high) >> 1
                if pairs[mid].key < key { low = mid + 1 } else { high = mid }
            }
            var result: [UInt64] = []
            while low < pairs.count && pairs[low].key == key && result.count < limit {
                result.append(pairs[low].value)
                low += 1
            }
            return result
        }
    }
}
