/// Column headers seen in French and English exports (Excel, CRMs, purchased files), folded
/// with `AccentFolding.key` (lower case, no accents, punctuation as single spaces).
enum HeaderSynonyms {
    static let table: [CanonicalField: [String]] = [
        .civility: ["civilite", "civ", "salutation", "genre", "mr mme", "m mme", "titre de civilite", "civilite contact"],
        .firstName: ["prenom", "first name", "firstname", "given name", "forename", "prenom contact", "prenom du contact"],
        .lastName: ["nom", "last name", "lastname", "surname", "family name", "nom de famille", "nom contact",
                    "nom du contact", "patronyme"],
        .jobTitle: ["fonction", "poste", "job title", "jobtitle", "title", "titre", "intitule de poste",
                    "intitule du poste", "role", "position", "titre du poste", "fonction contact"],
        .email: ["email", "e mail", "mail", "courriel", "adresse email", "adresse e mail", "adresse mail",
                 "email address", "e mail address", "mel", "adresse electronique", "email professionnel",
                 "e mail professionnel", "mail pro", "email pro", "work email", "business email"],
        .phone: ["telephone", "tel", "phone", "telephone fixe", "tel fixe", "tel standard", "standard",
                 "phone number", "business phone", "numero de telephone", "ligne directe", "tel pro",
                 "telephone professionnel", "telephone bureau", "tel bureau", "work phone", "office phone", "fixe"],
        .mobile: ["portable", "mobile", "tel portable", "telephone portable", "tel mobile", "telephone mobile",
                  "gsm", "cellulaire", "mobile phone", "cell phone", "cell", "mobile number", "numero portable"],
        .companyName: ["raison sociale", "societe", "entreprise", "company", "company name", "organisation",
                       "organization", "account name", "nom entreprise", "nom de l entreprise", "nom societe",
                       "nom de la societe", "denomination", "denomination sociale", "etablissement", "compte",
                       "nom du compte", "client", "structure", "employeur", "employer", "account"],
        .siret: ["siret", "n siret", "no siret", "num siret", "numero siret", "siret number", "code siret",
                 "numero de siret", "siret etablissement"],
        .siren: ["siren", "n siren", "no siren", "num siren", "numero siren", "numero de siren", "siren number"],
        .naf: ["naf", "ape", "code ape", "code naf", "naf code", "ape code", "code naf ape", "code ape naf",
               "naf ape", "ape naf", "activite principale", "code activite", "secteur naf", "naf rev 2", "nace"],
        .headcountBand: ["tranche effectif", "tranche effectifs", "tranche d effectif", "tranche d effectifs",
                         "effectif", "effectifs", "headcount", "employees", "number of employees", "nb salaries",
                         "nombre de salaries", "taille entreprise", "tranche de salaries", "company size", "size"],
        .legalForm: ["forme juridique", "legal form", "statut juridique", "forme", "categorie juridique", "legal status"],
        .address1: ["adresse", "adresse 1", "adresse ligne 1", "address", "address 1", "address line 1", "street",
                    "rue", "voie", "numero et voie", "adresse postale", "street address", "billing street", "adresse1"],
        .address2: ["adresse 2", "complement d adresse", "complement adresse", "address 2", "address line 2",
                    "adresse ligne 2", "complement", "adresse2"],
        .address3: ["adresse 3", "address 3", "address line 3", "adresse ligne 3", "lieu dit", "boite postale",
                    "bp", "adresse3"],
        .postalCode: ["cp", "code postal", "postal code", "zip", "zip code", "postcode", "code post", "zipcode",
                      "billing zip postal code", "billing postal code", "c p"],
        .city: ["ville", "commune", "city", "localite", "town", "bureau distributeur", "billing city", "nom commune"],
        .country: ["pays", "country", "billing country", "code pays", "country code"],
        .website: ["site web", "site internet", "site", "website", "web", "url", "web site", "site url", "domaine",
                   "domain", "company domain name"],
        .capturedAt: ["date", "date de creation", "date creation", "created", "created at", "create date",
                      "date de collecte", "date capture", "date inscription", "date d inscription", "captured at",
                      "date d entree", "date de saisie", "created date", "date ajout", "date d ajout"],
    ]

    /// Folded synonym → field.
    static let lookup: [String: CanonicalField] = {
        var table: [String: CanonicalField] = [:]
        for (field, names) in HeaderSynonyms.table {
            for name in names {
                precondition(table[name] == nil, "duplicate header synonym \(name)")
                table[name] = field
            }
            table[field.name.replacingUnderscores()] = table[field.name.replacingUnderscores()] ?? field
        }
        return table
    }()
}

extension String {
    func replacingUnderscores() -> String {
        String(decoding: utf8.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
    }
}
