import Foundation
import TamisCore
@testable import TamisIO
import TamisPipeline
import XCTest

/// The SIRENE stage end to end: a register imported from stock files in INSEE's layout, then
/// a pipeline over prospects that exercise each check, exclusion, siretisation case and
/// enrichment rule.
final class SireneTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = try temporaryDirectory(self)
    }

    // A small register: an active company with three establishments (one closed), a ceased
    // one, a sole trader in partial diffusion, two homonym bakeries in the same town, a
    // company known by its sign, and one that moved within its département.
    let acme = StockFiles.siren("73282932")
    let gone = StockFiles.siren("40404040")
    let hidden = StockFiles.siren("55566677")
    let martin1 = StockFiles.siren("81111111")
    let martin2 = StockFiles.siren("82222222")
    let dupont = StockFiles.siren("31313131")
    let moreau = StockFiles.siren("33333333")
    lazy var acmeParis = StockFiles.siret(acme, "0001")
    lazy var acmeLyon = StockFiles.siret(acme, "0002")
    lazy var acmeLyonClosed = StockFiles.siret(acme, "0003")
    lazy var goneSiret = StockFiles.siret(gone, "0001")
    lazy var hiddenSiret = StockFiles.siret(hidden, "0001")
    lazy var martin1Siret = StockFiles.siret(martin1, "0001")
    lazy var martin2Siret = StockFiles.siret(martin2, "0001")
    lazy var dupontSiret = StockFiles.siret(dupont, "0001")
    lazy var moreauOld = StockFiles.siret(moreau, "0001")
    lazy var moreauNew = StockFiles.siret(moreau, "0002")

    func makeRegister() throws -> String {
        try StockFiles.register(in: dir, establishments: [
            StockFiles.establishment(acmeParis, ["siege": "true", "number": "1", "type": "RUE", "street": "DE LA PAIX", "postal": "75002",
                                                 "city": "PARIS 2", "naf": "62.01Z", "headcount": "12", "created": "2001-02-03"]),
            StockFiles.establishment(acmeLyon, ["number": "10", "type": "RUE", "street": "GARIBALDI", "postal": "69003", "city": "LYON 3EME",
                                                "naf": "62.01Z", "headcount": "03"]),
            StockFiles.establishment(acmeLyonClosed, ["state": "F", "since": "2024-01-31", "number": "3", "type": "PL",
                                                      "street": "BELLECOUR", "postal": "69002", "city": "LYON 2EME"]),
            StockFiles.establishment(goneSiret, ["state": "F", "since": "2022-06-30", "siege": "true", "postal": "44000", "city": "NANTES"]),
            StockFiles.establishment(hiddenSiret, ["diffusion": "P", "siege": "true", "street": "[ND]", "postal": "75011", "city": "PARIS 11"]),
            StockFiles.establishment(martin1Siret, ["siege": "true", "number": "5", "type": "RUE", "street": "PAUL BERT", "postal": "69003", "city": "LYON 3EME"]),
            StockFiles.establishment(martin2Siret, ["siege": "true", "number": "80", "type": "CRS", "street": "GAMBETTA", "postal": "69003", "city": "LYON 3EME"]),
            StockFiles.establishment(dupontSiret, ["siege": "true", "number": "4", "type": "RUE", "street": "DE METZ", "postal": "31000",
                                                   "city": "TOULOUSE", "sign": "LE FOURNIL GOURMAND", "naf": "10.71C"]),
            StockFiles.establishment(moreauOld, ["state": "F", "since": "2025-03-31", "number": "2", "type": "RUE", "street": "SAINTE CATHERINE",
                                                 "postal": "33000", "city": "BORDEAUX"]),
            StockFiles.establishment(moreauNew, ["siege": "true", "number": "15", "type": "AV", "street": "KENNEDY", "postal": "33700", "city": "MERIGNAC"]),
        ], units: [
            StockFiles.unit(acme, "ACME INFORMATIQUE", ["nic_siege": String(acmeParis.suffix(5)), "category": "5710", "size": "ETI", "unit_naf": "62.01Z"]),
            StockFiles.unit(gone, "VIEUX METIERS", ["unit_state": "C"]),
            StockFiles.unit(hidden, "", ["unit_diffusion": "P", "nomUniteLegale": "[ND]", "category": "1000"]),
            StockFiles.unit(martin1, "BOULANGERIE MARTIN", ["nic_siege": String(martin1Siret.suffix(5))]),
            StockFiles.unit(martin2, "BOULANGERIE MARTIN", ["nic_siege": String(martin2Siret.suffix(5))]),
            StockFiles.unit(dupont, "DUPONT ET FILS", ["category": "5499"]),
            StockFiles.unit(moreau, "ATELIER MOREAU", ["nic_siege": String(moreauNew.suffix(5))]),
        ])
    }

    func prospects(_ rows: [String]) -> String {
        (["id;Prénom;Nom;Société;SIRET;SIREN;Code APE;Effectif;E-mail;Adresse;CP;Ville"] + rows).joined(separator: "\r\n") + "\r\n"
    }

    func run(_ rows: [String], sirene: String = "") throws -> (RunSummary, PipelineRunner) {
        try runSirenePipeline(in: dir, prospects: prospects(rows), register: try makeRegister(), sirene: sirene)
    }

    func status(_ runner: PipelineRunner, _ id: String) -> String? { runner.record(id)?.0[.sireneStatus] }

    // MARK: - Checks

    func test_each_register_answer_becomes_a_status_and_the_defaults_exclude_defunct_and_opposition() throws {
        let unknown = StockFiles.siret(StockFiles.siren("12121212"), "0001")
        let (summary, runner) = try run([
            "active;Ana;Roux;Acme;\(acmeParis);;;;ana@acme.fr;1 rue de la Paix;75002;Paris",
            "unknown;Bea;Blanc;Fantôme SA;\(unknown);;;;bea@fantome.fr;;75008;Paris",
            "closed;Cid;Noir;Acme Lyon;\(acmeLyonClosed);;;;cid@acme.fr;10 rue Garibaldi;69003;Lyon",
            "closed-far;Dan;Gris;Acme;\(acmeLyonClosed);;;;dan@acme.fr;;13001;Marseille",
            "defunct;Eve;Vert;Vieux Métiers;\(goneSiret);;;;eve@vieux.fr;;44000;Nantes",
            "partial;Fab;Rose;Fab Conseil;\(hiddenSiret);;;;fab@conseil.fr;;75011;Paris",
        ])
        XCTAssertEqual(status(runner, "active"), "active")
        XCTAssertEqual(status(runner, "unknown"), "unknown")
        XCTAssertEqual(runner.record("unknown")?.0.quality(.siret), FieldQuality(.invalid, .sireneUnknown), "checksum fine, not in the register")
        XCTAssertEqual(runner.record("unknown")?.1.disposition, .kept, "unknown SIRETs are kept, flagged, by default")

        let closed = try XCTUnwrap(runner.record("closed"))
        XCTAssertEqual(closed.0[.sireneStatus], "closed")
        XCTAssertEqual(closed.0[.sireneClosedOn], "2024-01-31")
        XCTAssertEqual(closed.0[.siret], acmeLyonClosed, "never swapped silently")
        XCTAssertEqual(closed.0[.sireneSuccessor], acmeLyon, "the open establishment at the prospect's postal code")
        XCTAssertEqual(closed.1.disposition, .kept)
        XCTAssertEqual(runner.record("closed-far")?.0[.sireneSuccessor], acmeParis, "none at the postal code: the head office")

        let defunct = try XCTUnwrap(runner.record("defunct"))
        XCTAssertEqual(defunct.0[.sireneStatus], "defunct")
        XCTAssertEqual(defunct.0[.sireneClosedOn], "2022-06-30")
        XCTAssertEqual(defunct.1.disposition, .excluded)
        XCTAssertEqual(defunct.1.reason?.code, "defunct")
        XCTAssertEqual(defunct.1.reason?.rule, "sirene")
        let partial = try XCTUnwrap(runner.record("partial"))
        XCTAssertEqual(partial.1.reason?.code, "sirene_opposition")

        let sirene = try XCTUnwrap(summary.sirene)
        XCTAssertEqual(sirene.stockDate, "2026-10-31", "the latest processing date of the stock")
        XCTAssertEqual(sirene.statuses["closed"], 2)
        XCTAssertTrue(summary.lineage.holds)
        let excluded = try readCSVRecords(dir.appendingPathComponent("out/run/excluded.csv").path)
        XCTAssertEqual(Set(excluded.map { $0["reason"] ?? "" }), ["defunct", "sirene_opposition"])
        XCTAssertEqual(summary.fieldQuality["leads"]?["siret"]?.reasons["sirene_closed"], 2)
        let report = try String(contentsOfFile: dir.appendingPathComponent("out/run/report.html").path, encoding: .utf8)
        XCTAssertTrue(report.contains("SIRENE register (stock of 2026-10-31)"), "the report says how fresh the register is")
    }

    /// Without enrichment, active SIRETs take a shorter path through the stage: the same
    /// statuses, values and qualities as the general path, and each source's field-quality
    /// counts stay in step with the records (counted again from them, they are the same).
    func test_active_sirets_without_enrichment_end_as_on_the_general_path() throws {
        let rows = [
            "active;Ana;Roux;Acme;\(acmeParis);;;;ana@acme.fr;1 rue de la Paix;75002;Paris",
            "lyon;Léo;Brun;Acme;\(acmeLyon);;;;leo@acme.fr;;69003;Lyon",
            "closed;Cid;Noir;Acme Lyon;\(acmeLyonClosed);;;;cid@acme.fr;10 rue Garibaldi;69003;Lyon",
            "defunct;Eve;Vert;Vieux Métiers;\(goneSiret);;;;eve@vieux.fr;;44000;Nantes",
            "twin;Bea;Blanc;Acme;\(acmeParis);;;;bea@acme.fr;2 rue de la Paix;75002;Paris",
        ]
        let (_, general) = try run(rows, sirene: "enrich:\n  fields: [naf]")
        let (_, plain) = try run(rows, sirene: "enrich:\n  fields: []")
        for runner in [general, plain] {
            var recount = FieldQualityCounts()
            for record in runner.state.records { recount.add(record.quality) }
            XCTAssertTrue(runner.state.fieldQuality[0] == recount, "the field-quality counts are out of step with the records")
            XCTAssertEqual(recount.count(.sireneStatus, .valid), rows.count)
        }
        for id in ["active", "lyon", "closed", "defunct"] {
            let a = try XCTUnwrap(general.record(id)), b = try XCTUnwrap(plain.record(id))
            XCTAssertEqual(a.0[.sireneStatus], b.0[.sireneStatus], id)
            XCTAssertEqual(a.0.quality(.sireneStatus), b.0.quality(.sireneStatus), id)
            XCTAssertEqual(a.0.quality(.siret), b.0.quality(.siret), id)
            XCTAssertEqual(a.1.disposition, b.1.disposition, id)
        }
        XCTAssertEqual(plain.record("lyon")?.0[.sireneStatus], "active")
        // Records whose qualities were one shared array before still share one after.
        let ana = try XCTUnwrap(plain.record("active")).0.quality, bea = try XCTUnwrap(plain.record("twin")).0.quality
        XCTAssertEqual(ana, bea)
        XCTAssertEqual(ana.withUnsafeBufferPointer(\.baseAddress), bea.withUnsafeBufferPointer(\.baseAddress))
    }

    func test_exclusions_follow_the_pipeline() throws {
        let unknown = StockFiles.siret(StockFiles.siren("12121212"), "0001")
        let (_, runner) = try run([
            "unknown;Bea;Blanc;Fantôme SA;\(unknown);;;;bea@fantome.fr;;75008;Paris",
            "closed;Cid;Noir;Acme Lyon;\(acmeLyonClosed);;;;cid@acme.fr;;69003;Lyon",
            "defunct;Eve;Vert;Vieux Métiers;\(goneSiret);;;;eve@vieux.fr;;44000;Nantes",
            "partial;Fab;Rose;Fab Conseil;\(hiddenSiret);;;;fab@conseil.fr;;75011;Paris",
        ], sirene: "exclude: { defunct: false, opposition: true, unknown: true, closed: true }")
        XCTAssertEqual(runner.record("unknown")?.1.reason?.code, "sirene_unknown")
        XCTAssertEqual(runner.record("closed")?.1.reason?.code, "sirene_closed")
        XCTAssertEqual(runner.record("defunct")?.1.disposition, .kept, "defunct: false keeps them, flagged")
        XCTAssertEqual(runner.record("defunct")?.0[.sireneStatus], "defunct")
        XCTAssertEqual(runner.record("partial")?.1.reason?.code, "sirene_opposition")
    }

    // MARK: - Siretisation

    func test_siretisation_on_hard_cases() throws {
        let (summary, runner) = try run([
            // Two "Boulangerie Martin" in Lyon 3e: the street tells them apart…
            "homonym-street;Gil;Lenoir;Boulangerie Martin;;;;;gil@bm.fr;80 cours Gambetta;69003;Lyon",
            // …and without a street it is a near-tie: review, both candidates side by side.
            "homonym-tie;Hugo;Petit;Boulangerie Martin SARL;;;;;hugo@bm.fr;;69003;Lyon",
            // The prospect writes the sign, not the legal name.
            "trade-name;Ines;Lebrun;Le Fournil Gourmand;;;;;ines@fournil.fr;4 rue de Metz;31000;Toulouse",
            // The company moved within the département: found, but not confidently enough.
            "moved;Jean;Faure;Atelier Moreau;;;;;jean@moreau.fr;2 rue Sainte-Catherine;33000;Bordeaux",
            // A SIREN alone: the establishment at the postal code, else the head office.
            "siren-here;Kim;Morel;Acme;;\(acme);;;kim@acme.fr;;69003;Lyon",
            "siren-elsewhere;Leo;Mercier;Acme;;\(acme);;;leo@acme.fr;;13001;Marseille",
            "nothing;Mia;Garnier;Société Inconnue;;;;;mia@inconnue.fr;;75001;Paris",
            "typo;Noe;Chevalier;ACME Informatque;;;;;noe@acme.fr;1 rue de la Paix;75002;Paris",
        ])
        let street = try XCTUnwrap(runner.record("homonym-street")).0
        XCTAssertEqual(street[.sireneStatus], "siretised")
        XCTAssertEqual(street[.siret], martin2Siret)
        XCTAssertEqual(street.quality(.siret), FieldQuality(.valid, .siretised))
        XCTAssertEqual(street.rawValue(.siret), nil, "the source had none; its value stays empty in raw")
        XCTAssertNotNil(Double(street[.sireneScore] ?? ""))

        XCTAssertEqual(status(runner, "homonym-tie"), "review")
        XCTAssertTrue(runner.record("homonym-tie")!.0.isEmpty(.siret), "a wrong SIRET is worse than none")
        XCTAssertEqual(runner.record("trade-name")?.0[.siret], dupontSiret)
        XCTAssertEqual(status(runner, "moved"), "review")
        XCTAssertEqual(runner.record("siren-here")?.0[.siret], acmeLyon)
        XCTAssertEqual(runner.record("siren-elsewhere")?.0[.siret], acmeParis)
        XCTAssertEqual(status(runner, "nothing"), "not_found")
        XCTAssertEqual(runner.record("typo")?.0[.siret], acmeParis, "a typo in the name, same address")

        let review = try readCSVRecords(dir.appendingPathComponent("out/run/sirene_review.csv").path)
        let tie = try XCTUnwrap(review.first { $0["source_id"] == "homonym-tie" })
        XCTAssertEqual(Set([tie["candidate1_siret"], tie["candidate2_siret"]]), [martin1Siret, martin2Siret])
        XCTAssertEqual(review.first { $0["source_id"] == "moved" }?["candidate1_siret"], moreauNew)
        XCTAssertEqual(summary.sirene?.review, 2)
        XCTAssertEqual(summary.sirene?.statuses["siretised"], 5)
    }

    // MARK: - Enrichment

    func test_enrichment_fills_empty_fields_and_reports_conflicts() throws {
        let (summary, runner) = try run([
            "empty;Ana;Roux;Acme;\(acmeParis);;;;ana@acme.fr;;;",
            "conflict;Bob;Brun;Acme;\(acmeParis);;70.22Z;03;bob@acme.fr;1 rue de la Paix;75002;Paris",
        ], sirene: "enrich: { register_wins: [headcount_band] }")
        let empty = try XCTUnwrap(runner.record("empty")).0
        XCTAssertEqual(empty[.naf], "62.01Z")
        XCTAssertEqual(empty.quality(.naf), FieldQuality(.valid, .fromSirene))
        XCTAssertEqual(empty[.nafSection], "J", "derived fields follow the filled value")
        XCTAssertEqual(empty[.headcountBand], "12")
        XCTAssertEqual(empty[.legalCategory], "5710")
        XCTAssertEqual(empty[.sizeCategory], "ETI")
        XCTAssertEqual(empty[.creationDate], "2001-02-03")
        XCTAssertEqual(empty[.postalCode], "75002", "official address filled where the source had none")
        XCTAssertEqual(empty[.department], "75")
        XCTAssertNil(empty.rawValue(.naf), "the source's own (empty) value is kept as raw")

        let conflict = try XCTUnwrap(runner.record("conflict")).0
        XCTAssertEqual(conflict[.naf], "70.22Z", "the source wins by default")
        XCTAssertEqual(conflict[.headcountBand], "12", "register_wins: headcount_band")
        let rows = try readCSVRecords(dir.appendingPathComponent("out/run/sirene_conflicts.csv").path)
        XCTAssertTrue(rows.contains { $0["field"] == "naf" && $0["source_value"] == "70.22Z" && $0["register_value"] == "62.01Z" && $0["kept"] == "source" })
        XCTAssertTrue(rows.contains { $0["field"] == "headcount_band" && $0["source_value"] == "03" && $0["register_value"] == "12" && $0["kept"] == "register" })
        XCTAssertEqual(summary.sirene?.conflicts, 2)
        // Segments can rely on register values: the filled NAF is in the golden record.
        let golden = try ProspectBase(path: dir.appendingPathComponent("out/base.sqlite").path).goldenRows()
        XCTAssertTrue(golden.contains { $0["email"] == "ana@acme.fr" && $0["naf"] == "62.01Z" && $0["size_category"] == "ETI" })
    }

    // MARK: - Without a register

    func test_a_pipeline_without_register_skips_the_checks_with_one_line() throws {
        let (summary, runner) = try runSirenePipeline(in: dir, prospects: prospects(["a;Ana;Roux;Acme;\(acmeParis);;;;ana@acme.fr;;;"]), register: nil)
        XCTAssertNil(summary.sirene)
        XCTAssertFalse(summary.stages.contains { $0.stage == "sirene" })
        XCTAssertNil(runner.record("a")?.0[.sireneStatus])
    }

    func test_a_missing_register_is_a_clear_error() throws {
        let rows = ["a;Ana;Roux;Acme;\(acmeParis);;;;ana@acme.fr;;;"]
        XCTAssertThrowsError(try runSirenePipeline(in: dir, prospects: prospects(rows), register: dir.appendingPathComponent("none.register").path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("none.register"), text)
            XCTAssertTrue(text.contains("tamis sirene import"), text)
        }
        // Before reading any source: a register refused costs no minutes of ingest first.
        let runner = PipelineRunner(definition: try PipelineLoader.load(path: dir.appendingPathComponent("sirene.yml").path),
                                    options: RunOptions(quiet: true))
        XCTAssertThrowsError(try runner.run())
        XCTAssertEqual(runner.state.records.count, 0, "no source read")
    }

    // MARK: - Import

    func test_import_reads_zipped_stock_with_columns_in_any_order() throws {
        // Columns shuffled and one INSEE may add later: read by name.
        var header = StockFiles.establishmentHeader.reversed().map { $0 } + ["activitePrincipaleNAF25Etablissement", "nouvelleColonne2027"]
        header.swapAt(0, 5)
        let rows = [StockFiles.establishment(acmeParis, ["postal": "75002", "naf": "62.01Z", "activitePrincipaleNAF25Etablissement": "62.10Y"])]
        let zip = try StockFiles.zip(name: "StockEtablissement_utf8.csv", content: Data(StockFiles.csv(header: header, rows: rows).utf8))
        let zipPath = dir.appendingPathComponent("StockEtablissement_utf8.zip")
        try zip.write(to: zipPath)
        let units = dir.appendingPathComponent("StockUniteLegale_utf8.zip")
        try StockFiles.zip(name: "StockUniteLegale_utf8.csv", content: Data(StockFiles.csv(header: StockFiles.unitHeader, rows: [StockFiles.unit(acme, "ACME")]).utf8)).write(to: units)
        let register = dir.appendingPathComponent("r.register").path
        let report = try SireneImport.run(files: [units.path, zipPath.path], registerPath: register, importedAt: "now")
        XCTAssertEqual(report.files.map(\.kind), [.units, .establishments])
        XCTAssertEqual(report.info.establishments, 1)
        let reader = try SireneRegisterFile(path: register).makeReader()
        let establishment = try XCTUnwrap(try reader.establishment(UInt64(acmeParis)!))
        XCTAssertEqual(establishment.postalCode, "75002")
        XCTAssertEqual(establishment.naf2025, "62.10Y")
        XCTAssertEqual(try reader.unit(UInt64(acme)!)?.name, "ACME")
    }

    /// Files named otherwise, establishments first: the kind comes from the header, and the
    /// siretisation keys are built after the units are in (same keys as the one-pass import).
    func test_files_in_any_order_and_with_any_name_give_the_same_register() throws {
        let inOrder = try makeRegister()
        let other = dir.appendingPathComponent("other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        let establishments = other.appendingPathComponent("etablissements-extrait.csv"), units = other.appendingPathComponent("unites.csv")
        try FileManager.default.copyItem(at: dir.appendingPathComponent("StockEtablissement_utf8.csv"), to: establishments)
        try FileManager.default.copyItem(at: dir.appendingPathComponent("StockUniteLegale_utf8.csv"), to: units)
        let path = other.appendingPathComponent("r.register").path
        let report = try SireneImport.run(files: [establishments.path, units.path], registerPath: path, importedAt: "now")
        let reference = try SireneImport.run(files: [dir.appendingPathComponent("StockEtablissement_utf8.csv").path,
                                                     dir.appendingPathComponent("StockUniteLegale_utf8.csv").path],
                                             registerPath: inOrder, importedAt: "now")
        XCTAssertEqual(report.nameKeys, reference.nameKeys)
        XCTAssertGreaterThan(report.nameKeys, 0)
        let a = try SireneRegisterFile(path: path).makeReader(), b = try SireneRegisterFile(path: inOrder).makeReader()
        for key in CompanyNameKey.blockingKeys(names: ["Le Fournil Gourmand"], postalCode: "31000") {
            XCTAssertEqual(try a.candidates(forKey: key, limit: 10), try b.candidates(forKey: key, limit: 10))
        }
        XCTAssertEqual(try a.candidates(forKey: CompanyNameKey.blockingKeys(names: ["Le Fournil Gourmand"], postalCode: "31000")[0], limit: 10),
                       [UInt64(dupontSiret)!])
    }

    /// A SIRET read twice (a later extract, or a correction appended to a file): the later
    /// row is the register's, counted once.
    func test_a_later_row_for_the_same_siret_replaces_the_earlier_one() throws {
        let register = try StockFiles.register(in: dir, establishments: [
            StockFiles.establishment(acmeParis, ["state": "F", "postal": "75002", "since": "2019-01-01"]),
            StockFiles.establishment(acmeLyon, ["postal": "69003"]),
            StockFiles.establishment(acmeParis, ["postal": "75008", "street": "RUE DU FAUBOURG SAINT HONORE"]),
        ], units: [StockFiles.unit(acme, "ACME")])
        let file = try SireneRegisterFile(path: register)
        XCTAssertEqual(file.info.establishments, 2)
        let reader = try file.makeReader()
        let paris = try XCTUnwrap(try reader.establishment(UInt64(acmeParis)!))
        XCTAssertEqual(paris.postalCode, "75008")
        XCTAssertTrue(paris.isActive)
        XCTAssertEqual(try reader.establishmentState(UInt64(acmeParis)!), RegisterState(isActive: true, isPartial: false))
        XCTAssertEqual(try reader.openEstablishments(ofSiren: UInt64(acme)!).map(\.siret), [UInt64(acmeParis)!, UInt64(acmeLyon)!].sorted())
        // A later, smaller file (read at the same time, its records copied in after the
        // bigger file's): its row still wins.
        let correction = dir.appendingPathComponent("correction.csv")
        try StockFiles.csv(header: StockFiles.establishmentHeader, rows: [StockFiles.establishment(acmeLyon, ["state": "F", "postal": "69007"])])
            .write(to: correction, atomically: true, encoding: .utf8)
        let files = ["StockEtablissement_utf8.csv", "StockUniteLegale_utf8.csv"].map { dir.appendingPathComponent($0).path }
        for (order, lyonIsOpen) in [(files + [correction.path], false), ([correction.path] + files, true)] {
            try SireneImport.run(files: order, registerPath: register, importedAt: "now")
            let reader = try SireneRegisterFile(path: register).makeReader()
            XCTAssertEqual(try reader.establishment(UInt64(acmeLyon)!)?.isActive, lyonIsOpen, "\(order)")
            XCTAssertEqual(try reader.establishment(UInt64(acmeLyon)!)?.postalCode, lyonIsOpen ? "69003" : "69007")
            XCTAssertEqual(try reader.establishment(UInt64(acmeParis)!)?.postalCode, "75008", "the other records are where they were")
            XCTAssertEqual(try reader.unit(UInt64(acme)!)?.name, "ACME")
        }
    }

    /// The checks read a closed establishment's closing date from two bytes instead of its
    /// record: every date comes back as the stock file wrote it, plain or not.
    func test_closing_dates_read_from_their_section_equal_the_records() throws {
        let dates = ["1900-01-01", "2079-06-04", "2079-06-05", "1899-12-31", "2024-02-29", "2023-02-29", "", "2019-3-1",
                     "1975-07-14", "2026-10-31", "0000-00-00", "2000-02-29", "1900-02-29"]
        var establishments: [[String: String]] = []
        var units: [[String: String]] = []
        var sirets: [(siret: UInt64, date: String, open: Bool)] = []
        for (n, date) in dates.enumerated() {
            let siren = StockFiles.siren(String(format: "6%07d", n))
            units.append(StockFiles.unit(siren, "SOCIETE \(n)"))
            for (k, open) in [false, true].enumerated() {
                let siret = StockFiles.siret(siren, String(format: "%04d", k + 1))
                establishments.append(StockFiles.establishment(siret, ["state": open ? "A" : "F", "since": date, "postal": "75002"]))
                sirets.append((UInt64(siret)!, date, open))
            }
        }
        let reader = try SireneRegisterFile(path: try StockFiles.register(in: dir, establishments: establishments, units: units)).makeReader()
        for (siret, date, open) in sirets where !open {
            XCTAssertEqual(try reader.closingDate(siret), date, "SIRET \(siret)")
            XCTAssertEqual(try reader.closing(siret)?.periodStart, date, "SIRET \(siret)")
        }
        XCTAssertNil(try reader.closingDate(60_000_000_000_000), "not in the register")
    }

    func test_every_day_of_the_two_byte_range_reads_back_and_other_texts_are_left_to_the_record() {
        for code in UInt16(1)..<ClosingDate.unreadable {
            let text = ClosingDate.text(code)
            XCTAssertEqual(Array(text.utf8).withUnsafeBufferPointer { ClosingDate.code($0) }, code, text)
        }
        XCTAssertEqual(ClosingDate.text(1), "1900-01-01")
        XCTAssertEqual(ClosingDate.text(ClosingDate.unreadable - 1), "2079-06-04")
        for text in ["1899-12-31", "2079-06-05", "2023-02-29", "1900-02-29", "2024-13-01", "2024-00-10", "2024-01-32", "2024-1-01",
                     "2024/01/01", "20240101", "2024-01-0a", "+024-01-01"] {
            XCTAssertEqual(Array(text.utf8).withUnsafeBufferPointer { ClosingDate.code($0) }, ClosingDate.unreadable, text)
        }
        XCTAssertEqual([UInt8]().withUnsafeBufferPointer { ClosingDate.code($0) }, ClosingDate.none)
        XCTAssertEqual(Array("2024-02-29".utf8).withUnsafeBufferPointer { ClosingDate.code($0) },
                       UInt16(SimpleDate(year: 2024, month: 2, day: 29).dayNumber - SimpleDate(year: 1899, month: 12, day: 31).dayNumber))
    }

    /// The successor's candidates are read by comparing postal codes in place; they must be
    /// what filtering all the open establishments gives, for every SIREN and place.
    func test_successor_candidates_equal_those_filtered_from_all_open_establishments() throws {
        var establishments: [[String: String]] = []
        var units: [[String: String]] = []
        var sirens: [UInt64] = []
        for n in 0..<40 {
            let siren = StockFiles.siren(String(format: "7%07d", n))
            sirens.append(UInt64(siren)!)
            units.append(StockFiles.unit(siren, "SOCIETE \(n)"))
            for k in 0..<(n % 6) {  // 0 to 5 establishments, some closed, partial, head offices
                establishments.append(StockFiles.establishment(StockFiles.siret(siren, String(format: "%04d", k + 1)), [
                    "postal": k == 4 ? "" : ["75002", "69003", "75002"][(n + k) % 3], "street": "RUE \(k)",
                    "state": (n + k) % 4 == 0 ? "F" : "A", "diffusion": (n * k) % 7 == 3 ? "P" : "O",
                    "siege": k == n % 3 ? "true" : "false"]))
            }
        }
        let reader = try SireneRegisterFile(path: try StockFiles.register(in: dir, establishments: establishments, units: units)).makeReader()
        var compared = (here: 0, headOffice: 0, only: 0)
        for siren in sirens {
            let open = try reader.openEstablishments(ofSiren: siren)
            for place in ["75002", "69003", "13001", ""] {
                let candidates = try reader.successorCandidates(ofSiren: siren, at: place)
                XCTAssertEqual(candidates, SuccessorCandidates(open: open, at: place), "SIREN \(siren) at '\(place)'")
                compared.here += candidates.here.count
                compared.headOffice += candidates.headOffice == nil ? 0 : 1
                compared.only += candidates.only == nil ? 0 : 1
            }
        }
        // The set covers each case: establishments at the place, head offices, single ones.
        XCTAssertGreaterThan(compared.here, 20)
        XCTAssertGreaterThan(compared.headOffice, 20)
        XCTAssertGreaterThan(compared.only, 4)
    }

    /// A register cut short (a full disk, a copy interrupted), one from an earlier Tamis, or
    /// another file: a clear error naming the file, never a crash or a wrong answer.
    func test_a_damaged_or_foreign_register_is_refused_with_what_to_do() throws {
        let register = try makeRegister()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: register))
        func refusal(_ data: Data) -> String {
            let path = dir.appendingPathComponent("bad.register").path
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: data))
            do {
                _ = try SireneRegisterFile(path: path)
                return "accepted"
            } catch let error as InputError {
                XCTAssertEqual(error.file, path)
                XCTAssertNotNil(error.hint)
                return error.problem
            } catch {
                return "\(error)"
            }
        }
        XCTAssertTrue(refusal(bytes.prefix(bytes.count / 2)).contains("damaged"), refusal(bytes.prefix(bytes.count / 2)))
        XCTAssertTrue(refusal(bytes.prefix(40)).contains("not a Tamis SIRENE register"))
        XCTAssertTrue(refusal(Data("SQLite format 3\0".utf8) + Data(count: 4096)).contains("earlier version"))
        XCTAssertTrue(refusal(Data("siret,etatAdministratifEtablissement\n".utf8)).contains("not a Tamis SIRENE register"))
        var wrongVersion = bytes
        wrongVersion[8] = 9
        XCTAssertTrue(refusal(wrongVersion).contains("format 9"))
        // Every byte of the header and section table damaged in turn: refused or read, never a crash.
        for position in 8..<RegisterLayout.headerSize {
            var damaged = bytes
            damaged[position] ^= 0xA5
            let path = dir.appendingPathComponent("bad.register").path
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: damaged))
            if let file = try? SireneRegisterFile(path: path) {
                let reader = try file.makeReader()
                _ = try reader.establishment(UInt64(acmeParis)!)
                _ = try reader.openEstablishments(ofSiren: UInt64(acme)!)
                _ = try reader.unit(UInt64(acme)!)
                _ = try reader.candidates(forKey: 12345, limit: 5)
                _ = try reader.closingDate(UInt64(acmeParis)!)
            }
        }
        XCTAssertEqual(refusal(bytes), "accepted")
    }

    /// Big files are read in parts on all cores (here cut every few hundred bytes): the
    /// register holds the same answers as one read from start to end, a quoted field whose
    /// line break falls on a cut sends the file to be read again whole, and skipped rows and
    /// truncation are reported at the file's own line numbers.
    func test_files_read_in_parts_give_the_register_read_whole() throws {
        var establishments: [[String: String]] = []
        var units: [[String: String]] = []
        for n in 0..<120 {
            let siren = StockFiles.siren(String(format: "6%07d", n))
            units.append(StockFiles.unit(siren, "SOCIETE \(n)", n % 7 == 0 ? ["unit_state": "C"] : [:]))
            for nic in ["0001", "0002"] {
                establishments.append(StockFiles.establishment(StockFiles.siret(siren, nic), [
                    "postal": String(format: "%05d", 10000 + n * 10), "street": "RUE NUMERO \(n)",
                    "state": nic == "0002" && n % 3 == 0 ? "F" : "A", "sign": n % 5 == 0 ? "ENSEIGNE, \"\(n)\"" : ""]))
            }
        }
        let e = dir.appendingPathComponent("StockEtablissement_utf8.csv"), u = dir.appendingPathComponent("StockUniteLegale_utf8.csv")
        var establishmentText = StockFiles.csv(header: StockFiles.establishmentHeader, rows: establishments)
        // A sign with line breaks inside its quotes, longer than a part, in the middle of the file.
        let sign = (1...60).map { "LIGNE \($0)," }.joined(separator: "\n")
        let middle = establishmentText.index(establishmentText.startIndex, offsetBy: establishmentText.utf8.count / 2)
        let lineStart = establishmentText[..<middle].lastIndex(of: "\n")!
        establishmentText = String(establishmentText[...lineStart]) + StockFiles.csv(header: StockFiles.establishmentHeader, rows: [
            StockFiles.establishment(StockFiles.siret(StockFiles.siren("59999999"), "0001"), ["sign": sign, "postal": "75001"])
        ]).split(separator: "\n", maxSplits: 1)[1] + String(establishmentText[establishmentText.index(after: lineStart)...])
        try establishmentText.write(to: e, atomically: true, encoding: .utf8)
        try StockFiles.csv(header: StockFiles.unitHeader, rows: units).write(to: u, atomically: true, encoding: .utf8)
        let whole = dir.appendingPathComponent("whole.register").path
        let wholeReport = try SireneImport.run(files: [e.path, u.path], registerPath: whole, importedAt: "now")
        XCTAssertEqual(wholeReport.files.map(\.rows), [establishments.count + 1, units.count])
        let reference = try SireneRegisterFile(path: whole).makeReader()
        let sirets = establishments.compactMap { UInt64($0["siret"]!) } + [UInt64(StockFiles.siret(StockFiles.siren("59999999"), "0001"))!]
        // Cuts every 300 to 5,000 bytes: some fall inside the quoted sign, some do not.
        for segmentSize in [300, 777, 1_500, 5_000] {
            let path = dir.appendingPathComponent("parts-\(segmentSize).register").path
            let report = try SireneImport.run(files: [e.path, u.path], registerPath: path, importedAt: "now", segmentSize: segmentSize)
            XCTAssertEqual(report.files.map(\.rows), wholeReport.files.map(\.rows), "segment size \(segmentSize)")
            XCTAssertEqual(report.nameKeys, wholeReport.nameKeys)
            let reader = try SireneRegisterFile(path: path).makeReader()
            for siret in sirets {
                XCTAssertEqual(try reader.establishment(siret), try reference.establishment(siret), "\(siret), segment size \(segmentSize)")
                XCTAssertEqual(try reader.unit(siret / 100_000), try reference.unit(siret / 100_000))
            }
            for key in CompanyNameKey.blockingKeys(names: ["Societe 42"], postalCode: "10420") {
                XCTAssertEqual(try reader.candidates(forKey: key, limit: 10), try reference.candidates(forKey: key, limit: 10))
            }
            XCTAssertEqual(try reader.establishment(sirets.last!)?.names, [sign])
        }

        // A row with a field too many, late in the file: skipped, at its own line.
        var lines = StockFiles.csv(header: StockFiles.establishmentHeader, rows: establishments).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines[200] += ",extra"
        try lines.joined(separator: "\n").write(to: e, atomically: true, encoding: .utf8)
        for segmentSize in [0, 500] {
            let report = try SireneImport.run(files: [e.path], registerPath: dir.appendingPathComponent("s.register").path, importedAt: "now",
                                              segmentSize: segmentSize)
            XCTAssertEqual(report.files[0].skipped, 1)
            XCTAssertEqual(report.files[0].firstSkippedLine, 201, "segment size \(segmentSize)")
        }
        // Cut short in the middle of a row: reported, at the last line, whatever the parts.
        let text = lines.joined(separator: "\n")
        let truncated = String(text[..<text.index(text.startIndex, offsetBy: text.utf8.count - 40)]).replacingOccurrences(of: "\"", with: "") + "\"TRONQU"
        try truncated.write(to: e, atomically: true, encoding: .utf8)
        for segmentSize in [0, 500] {
            XCTAssertThrowsError(try SireneImport.run(files: [e.path], registerPath: whole, importedAt: "now", segmentSize: segmentSize)) { error in
                let problem = (error as? InputError)?.problem ?? "\(error)"
                XCTAssertTrue(problem.contains("ends in the middle of a row"), problem)
                XCTAssertEqual((error as? InputError)?.line, truncated.split(separator: "\n", omittingEmptySubsequences: false).count,
                               "segment size \(segmentSize)")
            }
        }
    }

    func test_a_file_that_is_not_a_stock_is_refused_with_the_columns_it_lacks() throws {
        let file = dir.appendingPathComponent("contacts.csv")
        try "siret,raison_sociale\n73282932000074,ACME\n".write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SireneImport.run(files: [file.path], registerPath: dir.appendingPathComponent("r.register").path, importedAt: "now")) { error in
            XCTAssertTrue("\(error)".contains("etatAdministratifEtablissement"), "\(error)")
        }
        try "nom,prenom\nA,B\n".write(to: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SireneImport.run(files: [file.path], registerPath: dir.appendingPathComponent("r.register").path, importedAt: "now")) { error in
            XCTAssertTrue("\(error)".contains("not a SIRENE stock file"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("r.register").path))
    }

    func test_a_truncated_zip_or_csv_is_reported_and_the_previous_register_stays() throws {
        let register = try makeRegister()
        let before = try Data(contentsOf: URL(fileURLWithPath: register))
        // Many rows, so the cut falls well inside the deflated data.
        let rows = (0..<3000).map { n in StockFiles.establishment(StockFiles.siret(StockFiles.siren(String(format: "7%07d", n)), "0001"), ["postal": "75002", "street": "RUE NUMERO \(n)"]) }
        let csv = Data(StockFiles.csv(header: StockFiles.establishmentHeader, rows: rows).utf8)
        let zip = try StockFiles.zip(name: "StockEtablissement_utf8.csv", content: csv)
        let truncatedZip = dir.appendingPathComponent("cut.zip")
        try zip.prefix(zip.count / 2).write(to: truncatedZip)
        XCTAssertThrowsError(try SireneImport.run(files: [truncatedZip.path], registerPath: register, importedAt: "now")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("truncated"), text)
            XCTAssertTrue(text.contains("rows read"), text)
        }
        let truncatedCSV = dir.appendingPathComponent("cut.csv")
        try csv.prefix(csv.count / 2).write(to: truncatedCSV)
        XCTAssertThrowsError(try SireneImport.run(files: [truncatedCSV.path], registerPath: register, importedAt: "now")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("ends in the middle of a row"), text)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: register)), before, "the previous register is left in place")
        XCTAssertEqual(try SireneRegisterFile(path: register).info.establishments, 10)
        XCTAssertFalse(FileManager.default.fileExists(atPath: register + ".importing"))
    }
}
