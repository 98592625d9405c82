import Foundation
import TamisCore
import TamisIO

/// Column layouts and file conventions of the places marketers send lists to.
public struct ExportPreset: Sendable {
    public var name: String
    public var delimiter: UInt8
    public var bom: Bool
    /// Header → field (canonical name, or `golden_id`, `segments`, `sources`).
    public var columns: [(header: String, field: String)]

    /// Excel in French locale: UTF-8 with BOM, `;`, every field under its own name.
    public static let excel = ExportPreset(name: "excel", delimiter: UInt8(ascii: ";"), bom: true,
                                           columns: defaultColumns.map { ($0, $0) })
    /// Plain CSV: UTF-8, `,`.
    public static let csv = ExportPreset(name: "csv", delimiter: UInt8(ascii: ","), bom: false,
                                         columns: defaultColumns.map { ($0, $0) })
    /// HubSpot contact import (UTF-8, E.164 phones).
    public static let hubspot = ExportPreset(name: "hubspot", delimiter: UInt8(ascii: ","), bom: false, columns: [
        ("First Name", "first_name"), ("Last Name", "last_name"), ("Email", "email"), ("Phone Number", "phone"),
        ("Mobile Phone Number", "mobile"), ("Company Name", "company_name"), ("Job Title", "job_title"),
        ("Street Address", "address_line1"), ("Postal Code", "postal_code"), ("City", "city"),
        ("Country/Region", "country"), ("Website URL", "website"), ("Record ID (Tamis)", "golden_id"),
    ])
    /// Salesforce lead import (Data Import Wizard field names).
    public static let salesforce = ExportPreset(name: "salesforce", delimiter: UInt8(ascii: ","), bom: false, columns: [
        ("Salutation", "civility"), ("First Name", "first_name"), ("Last Name", "last_name"), ("Title", "job_title"),
        ("Company", "company_name"), ("Email", "email"), ("Phone", "phone"), ("Mobile", "mobile"),
        ("Street", "address_line1"), ("Zip/Postal Code", "postal_code"), ("City", "city"), ("Country", "country"),
        ("Website", "website"), ("Industry", "naf_label"), ("Tamis ID", "golden_id"),
    ])
    /// Brevo (ex-Sendinblue) contact import: its standard attribute names, SMS in E.164.
    public static let brevo = ExportPreset(name: "brevo", delimiter: UInt8(ascii: ";"), bom: false, columns: [
        ("EMAIL", "email"), ("FIRSTNAME", "first_name"), ("LASTNAME", "last_name"), ("SMS", "mobile"),
        ("COMPANY", "company_name"), ("JOB_TITLE", "job_title"), ("PHONE", "phone"), ("POSTAL_CODE", "postal_code"),
        ("CITY", "city"), ("EXT_ID", "golden_id"),
    ])

    public static let all: [ExportPreset] = [excel, csv, hubspot, salesforce, brevo]

    public static let defaultColumns = ["golden_id"] + CanonicalField.allCases.map(\.name) + ["segments", "sources"]

    public static func named(_ name: String) -> ExportPreset? { all.first { $0.name == name.lowercased() } }
}

/// Selects golden records from the base and writes them for a marketer.
public enum MarketerExport {
    public struct Selection {
        public var segment: String?
        public var expression: SegmentExpression?

        public init(segment: String? = nil, expression: SegmentExpression? = nil) {
            self.segment = segment
            self.expression = expression
        }
    }

    /// The golden rows of the selection, sorted by `sortField` then golden id (deterministic).
    /// Only golden records are ever read: excluded, suppressed and purged records are not in
    /// that table.
    public static func select(from base: ProspectBase, _ selection: Selection, sortField: String? = nil) throws -> [[String: String]] {
        var rows = try base.goldenRows().filter { row in
            if let segment = selection.segment {
                guard (row["segments"] ?? "").split(separator: "|").contains(Substring(segment)) else { return false }
            }
            if let expression = selection.expression {
                let sources = (row["sources"] ?? "").split(separator: "|").map(String.init)
                return expression.evaluate { name in
                    SegmentFields.lookup(name, value: { row[$0.name] }, sources: sources)
                }
            }
            return true
        }
        rows.sort { a, b in
            if let sortField, a[sortField] != b[sortField] { return (a[sortField] ?? "") < (b[sortField] ?? "") }
            return (a["golden_id"] ?? "") < (b["golden_id"] ?? "")
        }
        return rows
    }

    /// Writes `rows` with the preset's layout; `columns` narrows or reorders the fields.
    /// Cells that a spreadsheet would run as formulas are neutralised by `CSVWriter`. The file
    /// appears complete or not at all (written aside, then renamed).
    public static func write(_ rows: [[String: String]], preset: ExportPreset, columns: [String]?, to path: String,
                             fileMode: mode_t = 0o600) throws {
        let layout: [(header: String, field: String)] = columns.map { $0.map { ($0, $0) } } ?? preset.columns
        let file = try OutputFile(path: path + ".partial", mode: fileMode)
        let writer = CSVWriter(file: file, delimiter: preset.delimiter, bom: preset.bom)
        try writer.writeRow(layout.map(\.header))
        for row in rows { try writer.writeRow(layout.map { row[$0.field] ?? "" }) }
        try writer.flush()
        try file.close()
        guard rename(path + ".partial", path) == 0 else {
            throw InputError(file: path, problem: "cannot move the export into place")
        }
    }
}
