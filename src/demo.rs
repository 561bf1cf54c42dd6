//! Deterministic demo data: realistic parties, invoices and payments for `paytrack demo`,
//! `paytrack demo --seed-only`, benchmarks and tests.
//!
//! The same [`DemoConfig`] produces identical data on every machine and every run: the
//! generator uses its own xoshiro256** stream seeded through SplitMix64, integer arithmetic
//! only (no floating point), and never lets hash-map iteration order reach the output.
//!
//! What the data contains, relative to `today`:
//! - parties (about one per 300 payments, 25 to 5,000) from nine regions with matching
//!   currencies (EUR mostly, GBP, USD, a few JPY) and names such as "Müller GmbH",
//!   "Ørsted Supplies" or "Café Lumière SARL"; customers, partners and a few that are both;
//!   payment terms of 14, 30, 45 or 60 days; emails on the reserved `.example` domain, so a
//!   reminder sent from the demo can never reach a real mailbox;
//! - about 0.8 invoices per payment over the three years up to `today`, more recent years
//!   busier; receivables numbered `INV-2024-000123`, bills from partners `B-<party>-<n>`;
//! - customers who pay on time, customers habitually 5–60 days late, payment runs that settle
//!   2–4 invoices at once (splits), instalments (partial payments), short payments (bank fee
//!   deducted), overpayments (small credit), payments not yet matched to their invoice,
//!   independent payments (advances, deposits), bad debts, void invoices, and recent invoices
//!   still open, due soon or overdue as of `today`.
//!
//! Every record obeys the domain rules, ids are dense from 1, and payments are recorded in
//! date order.

use std::collections::HashSet;
use std::fmt::Write as _;

use rust_decimal::Decimal;
use time::Date;

use crate::domain::ledger::{name_key, Ledger};
use crate::domain::{
    Allocation, Currency, Direction, IdSeq, Invoice, InvoiceId, InvoiceKind, Method, Party,
    PartyId, PartyRole, Payment, PaymentId,
};

/// The seed `paytrack demo` uses unless told otherwise.
pub const DEFAULT_SEED: u64 = 20_240_601;

/// The number of payments `paytrack demo` generates unless told otherwise.
pub const DEFAULT_PAYMENTS: usize = 20_000;

/// What to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoConfig {
    /// Seed of the random stream; the same seed gives the same data.
    pub seed: u64,
    /// Exact number of payments to generate.
    pub payments: usize,
    /// The last day of the generated history: no payment and no invoice is dated later.
    pub today: Date,
}

/// Generated records, ready to be written to a fresh store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoData {
    /// Parties, ids 1..=n.
    pub parties: Vec<Party>,
    /// Invoices in issue-date order, ids 1..=n.
    pub invoices: Vec<Invoice>,
    /// Payments in date order, ids 1..=n.
    pub payments: Vec<Payment>,
    /// The id counters after the last generated id.
    pub ids: IdSeq,
}

impl DemoData {
    /// One change set that stores every generated record (with the id counters).
    pub fn into_change_set(self) -> crate::domain::ChangeSet {
        use crate::domain::Change;
        let mut set = crate::domain::ChangeSet::new();
        set.changes
            .reserve(self.parties.len() + self.invoices.len() + self.payments.len());
        set.changes
            .extend(self.parties.into_iter().map(Change::PutParty));
        set.changes
            .extend(self.invoices.into_iter().map(Change::PutInvoice));
        set.changes
            .extend(self.payments.into_iter().map(Change::PutPayment));
        set.ids = Some(self.ids);
        set
    }

    /// Builds the in-memory ledger from the data, with the id counters to continue from.
    pub fn into_ledger(self) -> (Ledger, IdSeq) {
        let ids = self.ids;
        (
            Ledger::from_records(self.parties, self.invoices, self.payments),
            ids,
        )
    }
}

/// How many parties are generated for `payments` payments: about one per 300, 25 to 5,000.
pub fn party_count(payments: usize) -> usize {
    (payments / 300).clamp(25, 5000)
}

/// How many invoices are generated for `payments` payments: four for every five.
pub fn invoice_count(payments: usize) -> usize {
    payments / 5 * 4 + payments % 5 * 4 / 5
}

/// Generates the demo data described in the module documentation.
pub fn generate(cfg: &DemoConfig) -> DemoData {
    Generator::new(cfg).run()
}

// ---------------------------------------------------------------------------------------
// Random numbers

/// xoshiro256** seeded with SplitMix64: small, fast and identical everywhere.
struct Rng {
    s: [u64; 4],
}

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut sm = seed;
        let mut next = || {
            sm = sm.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = sm;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `permille` / 1000.
    fn chance(&mut self, permille: u64) -> bool {
        self.below(1000) < permille
    }

    fn pick(&mut self, words: &[&'static str]) -> &'static str {
        words[self.below(words.len() as u64) as usize]
    }

    /// An index into `weights`, chosen in proportion to them.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut x = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if x < u64::from(w) {
                return i;
            }
            x -= u64::from(w);
        }
        weights.len() - 1
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            v.swap(i, j);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Word lists

/// A region: the names, legal forms and currency of companies from there.
struct Region {
    currency: usize,
    surnames: &'static [&'static str],
    trades: &'static [&'static str],
    places: &'static [&'static str],
    forms: &'static [&'static str],
    /// The trade word comes first ("Transports Dubois SARL").
    trade_first: bool,
    mailboxes: &'static [&'static str],
}

/// Currencies by index, with the factor (numerator, denominator) that turns euro cents into
/// the currency's minor units.
const CURRENCIES: [(Currency, i64, i64); 4] = [
    (Currency::EUR, 1, 1),
    (Currency::USD, 11, 10),
    (Currency::GBP, 85, 100),
    (Currency::JPY, 160, 100),
];
const EUR: usize = 0;
const USD: usize = 1;
const GBP: usize = 2;
const JPY: usize = 3;

const DE: usize = 0;
const FR: usize = 1;
const NL: usize = 2;
const NORDIC: usize = 3;
const ES: usize = 4;
const IT: usize = 5;
const UK: usize = 6;
const US: usize = 7;
const JP: usize = 8;

#[rustfmt::skip]
static REGIONS: [Region; 9] = [
    Region {
        currency: EUR,
        surnames: &[
            "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
            "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf",
            "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann",
            "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Meier", "Lehmann", "Köhler",
            "Maier", "Vogel", "Jäger", "Günther", "Frank", "Berger", "Kaiser", "Fuchs", "Peters",
        ],
        trades: &[
            "Maschinenbau", "Logistik", "Elektrotechnik", "Bauwerk", "Druckerei", "Software",
            "Medientechnik", "Holzbau", "Metallbau", "Handelshaus", "Feinkost", "Werkzeugbau",
            "Gebäudetechnik", "Kältetechnik", "Verpackung", "Umwelttechnik", "Optik",
            "Präzisionsteile", "Beratung", "Systemhaus",
        ],
        places: &[
            "Nordwerk", "Rhein", "Alpen", "Elbe", "Isar", "Main", "Hansa", "Bayern", "Schwaben",
            "Harz", "Taunus", "Spree", "Weser", "Bodensee", "Nordlicht", "Südstern",
        ],
        forms: &["GmbH", "GmbH", "AG", "KG", "GmbH & Co. KG", "OHG", "e.K."],
        trade_first: false,
        mailboxes: &["buchhaltung", "rechnung", "accounts", "info"],
    },
    Region {
        currency: EUR,
        surnames: &[
            "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
            "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "David", "Bertrand",
            "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont",
            "Lambert", "Bonnet", "François", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc",
            "Guérin", "Henry", "Roussel", "Perrin", "Chevalier", "Gauthier", "Clément", "Barbier",
        ],
        trades: &[
            "Conseil", "Logistique", "Informatique", "Bâtiment", "Imprimerie", "Transports",
            "Ingénierie", "Distribution", "Électricité", "Menuiserie", "Études", "Services",
            "Énergie", "Médias", "Solutions", "Atelier", "Café", "Maison", "Verrerie", "Éditions",
        ],
        places: &[
            "Lumière", "Azur", "Atlantique", "Provence", "Horizon", "Étoile", "Loire", "Rhône",
            "Alpine", "Bretagne", "Océane", "Mistral", "Lutèce", "Garonne", "Vendôme", "Belleville",
        ],
        forms: &["SARL", "SAS", "SA", "EURL"],
        trade_first: true,
        mailboxes: &["comptabilite", "facturation", "compta", "contact"],
    },
    Region {
        currency: EUR,
        surnames: &[
            "de Vries", "Jansen", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "de Boer",
            "Mulder", "de Groot", "Bos", "Vos", "Hendriks", "van Dijk", "Dekker", "Brouwer",
            "de Wit", "Dijkstra", "Smits", "van Leeuwen", "Kok", "Maes", "Claes", "Willems",
            "Peeters", "Janssens", "Wouters", "Verhoeven", "van der Linden", "Goossens",
        ],
        trades: &[
            "Techniek", "Logistiek", "Installatie", "Bouw", "Handel", "Advies", "Media",
            "Transport", "Automatisering", "Vastgoed", "Metaal", "Groothandel", "Drukwerk",
            "Energie", "Design",
        ],
        places: &[
            "Noordzee", "Delta", "Polder", "Oranje", "Tulp", "Maas", "Schelde", "Zuiderzee",
            "Waal", "Kempen", "Veluwe", "Hanze",
        ],
        forms: &["B.V.", "B.V.", "N.V.", "VOF", "BVBA"],
        trade_first: false,
        mailboxes: &["administratie", "facturen", "boekhouding", "info"],
    },
    Region {
        currency: EUR,
        surnames: &[
            "Ørsted", "Nielsen", "Jensen", "Hansen", "Pedersen", "Andersen", "Larsen",
            "Sørensen", "Rasmussen", "Jørgensen", "Christensen", "Johansson", "Andersson",
            "Karlsson", "Nilsson", "Eriksson", "Lindqvist", "Åkesson", "Björk", "Lindström",
            "Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Hämäläinen", "Håkansson", "Strøm",
            "Dahl", "Løvgren", "Sjöberg",
        ],
        trades: &[
            "Supplies", "Systems", "Trading", "Marine", "Design", "Engineering", "Robotics",
            "Foods", "Logistics", "Timber", "Wind", "Analytics", "Instruments", "Textiles",
        ],
        places: &[
            "Nordic", "Fjord", "Baltic", "Aurora", "Skagen", "Øresund", "Lapland", "Gotland",
            "Saimaa", "Jylland", "Vänern", "Polar",
        ],
        forms: &["A/S", "ApS", "AB", "Oy", "AS"],
        trade_first: false,
        mailboxes: &["invoice", "accounts", "ekonomi", "faktura"],
    },
    Region {
        currency: EUR,
        surnames: &[
            "García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez",
            "Pérez", "Gómez", "Núñez", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno",
            "Muñoz", "Álvarez", "Romero", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos",
            "Gil", "Serrano", "Castillo", "Ortega", "Rubio", "Molina", "Delgado",
        ],
        trades: &[
            "Construcciones", "Logística", "Ingeniería", "Distribuciones", "Transportes",
            "Consultores", "Suministros", "Instalaciones", "Alimentación", "Diseño",
            "Servicios", "Tecnología",
        ],
        places: &[
            "Ibérica", "Levante", "Cantábrico", "Mediterráneo", "Castilla", "Andalucía",
            "Galicia", "Aragón", "Sierra", "Costa",
        ],
        forms: &["S.L.", "S.L.", "S.A.", "S.L.U."],
        trade_first: true,
        mailboxes: &["contabilidad", "facturas", "administracion", "info"],
    },
    Region {
        currency: EUR,
        surnames: &[
            "Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
            "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa",
            "Giordano", "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro",
            "Mariani", "Rinaldi", "Caruso", "Ferrara", "Galli", "Martini", "Leone",
        ],
        trades: &[
            "Costruzioni", "Trasporti", "Servizi", "Tecnologie", "Alimentari", "Impianti",
            "Forniture", "Meccanica", "Arredamenti", "Tessuti", "Ingegneria", "Logistica",
        ],
        places: &[
            "Adriatica", "Tirrena", "Padana", "Toscana", "Lombarda", "Dolomiti", "Etrusca",
            "Sabina", "Ligure", "Veneta",
        ],
        forms: &["S.r.l.", "S.r.l.", "S.p.A.", "S.n.c."],
        trade_first: true,
        mailboxes: &["amministrazione", "fatture", "contabilita", "info"],
    },
    Region {
        currency: GBP,
        surnames: &[
            "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
            "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green",
            "Hall", "Wood", "Jackson", "Clarke", "Patel", "Hughes", "Edwards", "Harris", "Lewis",
            "Baker", "Hale", "Turner", "Cooper", "Ward", "Morgan", "Price", "Bennett", "Gray",
            "Fletcher", "Ashworth", "Pemberton", "O'Brien", "McAllister", "Fitzgerald",
        ],
        trades: &[
            "Consulting", "Logistics", "Engineering", "Joinery", "Print", "Digital", "Foods",
            "Textiles", "Surveyors", "Electrical", "Plumbing", "Haulage", "Design", "Analytics",
            "Partners", "Brewing",
        ],
        places: &[
            "Thames", "Pennine", "Highland", "Cotswold", "Northgate", "Kingsway", "Albion",
            "Bramble", "Oakridge", "Harbour", "Meridian", "Saxon", "Wessex", "Mersey", "Clyde",
        ],
        forms: &["Ltd", "Ltd", "Limited", "LLP", "plc"],
        trade_first: false,
        mailboxes: &["accounts", "finance", "payables", "hello"],
    },
    Region {
        currency: USD,
        surnames: &[
            "Miller", "Davis", "Anderson", "Moore", "Thomas", "Jackson", "Harris", "Clark",
            "Young", "Allen", "King", "Scott", "Carter", "Mitchell", "Perez", "Roberts",
            "Campbell", "Parker", "Collins", "Stewart", "Morris", "Rogers", "Reed", "Cook",
            "Bell", "Murphy", "Rivera", "Hayes", "Brooks", "Sullivan",
        ],
        trades: &[
            "Industries", "Logistics", "Software", "Holdings", "Manufacturing", "Analytics",
            "Supply", "Labs", "Media", "Robotics", "Solar", "Foods", "Freight", "Systems",
            "Health",
        ],
        places: &[
            "Pacific", "Atlantic", "Summit", "Liberty", "Frontier", "Evergreen", "Redwood",
            "Granite", "Silverline", "Blue Ridge", "Lakeshore", "Prairie", "Cascade",
            "Keystone", "Lone Star",
        ],
        forms: &["Inc.", "Inc.", "LLC", "Corp.", "Co."],
        trade_first: false,
        mailboxes: &["ap", "billing", "accounting", "finance"],
    },
    Region {
        currency: JPY,
        surnames: &[
            "Tanaka", "Suzuki", "Satō", "Takahashi", "Watanabe", "Itō", "Yamamoto", "Nakamura",
            "Kobayashi", "Katō", "Yoshida", "Yamada", "Sasaki", "Matsumoto", "Inoue", "Kimura",
            "Hayashi", "Shimizu",
        ],
        trades: &[
            "Shōji", "Kōgyō", "Seisakusho", "Denki", "Sangyō", "Trading", "Logistics", "Seiki",
        ],
        places: &[
            "Sakura", "Fuji", "Hikari", "Midori", "Asahi", "Kaede", "Hoshi", "Tsubasa",
        ],
        forms: &["KK", "Co., Ltd.", "K.K."],
        trade_first: false,
        mailboxes: &["keiri", "accounts", "info"],
    },
];

/// Regions in proportion (out of 40): EUR 29, GBP 6, USD 4, JPY 1.
const REGION_WEIGHTS: [u32; 9] = [10, 6, 4, 3, 3, 3, 6, 4, 1];

/// Fixed names that always open the party list, with their region.
const SHOWCASE: [(&str, &str, usize); 3] = [
    ("Müller GmbH", "Müller", DE),
    ("Ørsted Supplies", "Ørsted Supplies", NORDIC),
    ("Café Lumière SARL", "Café Lumière", FR),
];

const TERMS: [u32; 4] = [14, 30, 45, 60];
const TERMS_WEIGHTS: [u32; 4] = [20, 50, 15, 15];

/// Favourite payment methods of parties, in `Method::ALL` order.
const METHOD_WEIGHTS: [u32; 7] = [62, 9, 3, 6, 7, 9, 4];

const PARTY_NOTES: &[&str] = &[
    "Key account",
    "Prefers reminders by email",
    "Net terms agreed in the framework contract",
    "Contact: accounts payable team",
    "VAT reverse charge applies",
    "Send invoices as PDF only",
    "Purchase order number required on every invoice",
    "Ask for Ms. Lindqvist in accounting",
];

const RECEIVABLE_NOTES: &[&str] = &[
    "Consulting hours",
    "Project milestone 2",
    "Monthly retainer",
    "Licence renewal",
    "Support contract",
    "Hardware delivery",
    "Travel expenses",
    "Workshop, two days",
    "Maintenance Q3",
    "Rush order",
];

const PAYABLE_NOTES: &[&str] = &[
    "Office supplies",
    "Cloud hosting",
    "Freight",
    "Subcontracting",
    "Electricity",
    "Office rent",
    "Software licences",
    "Raw materials",
    "Legal advice",
];

const VOID_NOTES: &[&str] = &[
    "Cancelled at the customer's request",
    "Issued in error",
    "Duplicate",
    "Replaced by a corrected invoice",
];

const PAYMENT_NOTES: &[&str] = &[
    "Paid after reminder",
    "Thanks!",
    "See remittance advice",
    "Booked by accounting",
    "Value date per bank statement",
];

const INDEPENDENT_NOTES: &[&str] = &[
    "Advance payment",
    "Deposit for the next project",
    "Retainer",
    "Payment on account",
    "Prepayment",
];

// ---------------------------------------------------------------------------------------
// Generator state

#[derive(Clone, Copy, PartialEq, Eq)]
enum Profile {
    /// Pays on or before the due date, rarely a few days late.
    Punctual,
    /// Usually on time, sometimes up to a few weeks late.
    Mostly,
    /// Habitually 5–60 days late.
    Late,
    /// Settles several invoices at once in payment runs.
    Batch,
}

struct PartyGen {
    currency: usize,
    secondary: usize,
    terms: u32,
    profile: Profile,
    method: usize,
    role: PartyRole,
    weight: u32,
    next_bill: u64,
}

/// What a payment is, for its notes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    Normal,
    Late,
    Instalment,
    ShortPaid,
    Overpaid,
    Split,
    Unmatched,
    Independent,
}

/// A payment before it gets its id and its strings.
struct Ev {
    day: u32,
    amount: i64,
    party: u32,
    alloc_start: u32,
    /// Invoice index + 1 the payment refers to (0: none).
    hint: u32,
    alloc_len: u8,
    currency: u8,
    out: bool,
    method: u8,
    tag: Tag,
    /// Instalment number and count, high and low nibble.
    inst: u8,
}

/// Invoices of one party, kind and currency waiting for the next payment run.
#[derive(Clone, Copy, Default)]
struct Group {
    invoices: [u32; 4],
    len: u8,
    target: u8,
    first_issue: u32,
}

struct Generator {
    rng: Rng,
    payments: usize,
    /// Days from the first day of the history to `today`.
    span: u32,
    /// Date of each day offset, up to a little past `today` (for due dates).
    dates: Vec<Date>,
    /// Day of week per offset, 0 = Monday.
    weekdays: Vec<u8>,
    parties: Vec<PartyGen>,
    receivable_table: Vec<(u64, u32)>,
    payable_table: Vec<(u64, u32)>,
    events: Vec<Ev>,
    allocs: Vec<(u32, i64)>,
    scratch: String,
}

/// Payments planned for one invoice, before they become events.
type Plan = Vec<(u32, i64, i64, Tag, u8)>;

impl Generator {
    fn new(cfg: &DemoConfig) -> Generator {
        let today = cfg.today;
        let start = today
            .replace_year(today.year() - 3)
            .or_else(|_| {
                today
                    .replace_day(28)
                    .and_then(|d| d.replace_year(d.year() - 3))
            })
            .unwrap_or(today);
        let span = u32::try_from((today - start).whole_days().max(0)).unwrap_or(0);
        let start_jd = start.to_julian_day();
        let mut dates = Vec::with_capacity(span as usize + 200);
        let mut weekdays = Vec::with_capacity(span as usize + 200);
        for i in 0..span as i32 + 200 {
            let d = Date::from_julian_day(start_jd.saturating_add(i)).unwrap_or(Date::MAX);
            dates.push(d);
            weekdays.push(d.weekday().number_days_from_monday());
        }
        Generator {
            rng: Rng::new(cfg.seed),
            payments: cfg.payments,
            span,
            dates,
            weekdays,
            parties: Vec::new(),
            receivable_table: Vec::new(),
            payable_table: Vec::new(),
            events: Vec::new(),
            allocs: Vec::new(),
            scratch: String::with_capacity(64),
        }
    }

    fn run(mut self) -> DemoData {
        let parties = self.make_parties(party_count(self.payments));
        let invoices = self.make_invoices(invoice_count(self.payments), &parties);
        self.fill_independent();
        let payments = self.make_payments(&parties, &invoices);
        let ids = IdSeq {
            party: parties.len() as u64 + 1,
            invoice: invoices.len() as u64 + 1,
            payment: payments.len() as u64 + 1,
        };
        DemoData {
            parties,
            invoices,
            payments,
            ids,
        }
    }

    // ----- parties

    fn make_parties(&mut self, n: usize) -> Vec<Party> {
        let rng = &mut self.rng;
        // Roles and profiles come from shuffled blocks, so that even the smallest data set
        // has every kind of party: per 16, 10 customers, 5 partners, 1 both; per 20, 8
        // punctual, 5 mostly punctual, 4 late and 3 payment-run payers.
        let mut roles = Vec::with_capacity(n + 16);
        while roles.len() < n {
            let mut block = [PartyRole::Customer; 16];
            block[10..15].fill(PartyRole::Partner);
            block[15] = PartyRole::Both;
            rng.shuffle(&mut block);
            roles.extend_from_slice(&block);
        }
        let mut profiles = Vec::with_capacity(n + 20);
        while profiles.len() < n {
            let mut block = [Profile::Punctual; 20];
            block[8..13].fill(Profile::Mostly);
            block[13..17].fill(Profile::Late);
            block[17..20].fill(Profile::Batch);
            rng.shuffle(&mut block);
            profiles.extend_from_slice(&block);
        }
        // The first parties cover every region; the rest follow the region weights.
        let cover = [DE, NORDIC, FR, UK, US, JP, NL, ES, IT];

        let mut taken: HashSet<String> = HashSet::with_capacity(n * 2);
        let mut out = Vec::with_capacity(n);
        let mut gens = Vec::with_capacity(n);
        for i in 0..n {
            let region = if let Some(&(_, _, r)) = SHOWCASE.get(i) {
                r
            } else if i < cover.len() {
                cover[i]
            } else {
                rng.weighted(&REGION_WEIGHTS)
            };
            let (name, base) = match SHOWCASE.get(i) {
                Some(&(name, base, _)) => {
                    taken.insert(name_key(name));
                    (name.to_string(), base.to_string())
                }
                None => unique_name(rng, region, &mut taken),
            };
            let reg = &REGIONS[region];
            let currency = reg.currency;
            let secondary = if currency == EUR {
                if rng.chance(600) {
                    USD
                } else {
                    GBP
                }
            } else {
                EUR
            };
            let terms = if region == US && rng.chance(600) {
                30
            } else {
                TERMS[rng.weighted(&TERMS_WEIGHTS)]
            };
            let profile = profiles[i];
            let mut method = rng.weighted(&METHOD_WEIGHTS);
            if region == US && rng.chance(250) {
                method = 3; // cheques are still common in the US
            }
            let r = rng.below(1000);
            let mut weight = 2 + (r * r * r / 10_000_000) as u32;
            if profile == Profile::Batch {
                // payment runs are what large customers do
                weight = weight.max(20);
            }
            let email = if rng.chance(50) {
                String::new()
            } else {
                let mut e = String::with_capacity(40);
                e.push_str(rng.pick(reg.mailboxes));
                e.push('@');
                slug_into(&base, &mut e);
                e.push_str(".example");
                e
            };
            let notes = if rng.chance(80) {
                rng.pick(PARTY_NOTES).to_string()
            } else {
                String::new()
            };
            out.push(Party {
                id: PartyId(i as u64 + 1),
                name,
                role: roles[i],
                email,
                terms_days: Some(terms),
                notes,
            });
            gens.push(PartyGen {
                currency,
                secondary,
                terms,
                profile,
                method,
                role: roles[i],
                weight,
                next_bill: rng.range(100, 9000),
            });
        }
        let mut acc = [0u64; 2];
        for (i, g) in gens.iter().enumerate() {
            let w = u64::from(g.weight);
            if g.role != PartyRole::Partner {
                acc[0] += w;
                self.receivable_table.push((acc[0], i as u32));
            }
            if g.role != PartyRole::Customer {
                acc[1] += w;
                self.payable_table.push((acc[1], i as u32));
            }
        }
        self.parties = gens;
        out
    }

    // ----- invoices and the payments that settle them

    /// A day offset in `0..=span`, later days up to 1.6 times as likely as the first.
    fn busy_day(&mut self) -> u32 {
        // integer-only rejection sampling of a linearly rising density
        let span = u64::from(self.span);
        if span == 0 {
            return 0;
        }
        loop {
            let d = self.rng.below(span + 1);
            if self.rng.below(16 * span) < 10 * span + 6 * d {
                return d as u32;
            }
        }
    }

    /// `n` busy days in ascending order (counted per day, then laid out), moved from
    /// weekends to the Friday before when `working`.
    fn sorted_busy_days(&mut self, n: usize, working: bool) -> Vec<u32> {
        let mut per_day = vec![0u32; self.span as usize + 1];
        for _ in 0..n {
            let mut d = self.busy_day();
            if working {
                match self.weekdays[d as usize] {
                    5 => d = d.saturating_sub(1),
                    6 => d = d.saturating_sub(2),
                    _ => {}
                }
            }
            per_day[d as usize] += 1;
        }
        let mut days = Vec::with_capacity(n);
        for (d, &c) in per_day.iter().enumerate() {
            days.extend(std::iter::repeat_n(d as u32, c as usize));
        }
        days
    }

    fn pick_party(rng: &mut Rng, table: &[(u64, u32)]) -> usize {
        let total = table.last().map_or(0, |t| t.0);
        let x = rng.below(total);
        let at = table.partition_point(|t| t.0 <= x);
        table[at.min(table.len() - 1)].1 as usize
    }

    /// A typical invoice amount in euro cents.
    fn eur_cents(rng: &mut Rng) -> i64 {
        const C: u64 = 100; // cents per euro
        const BANDS: [(u64, u64); 5] = [
            (40 * C, 400 * C),
            (400 * C, 2_500 * C),
            (2_500 * C, 10_000 * C),
            (10_000 * C, 50_000 * C),
            (50_000 * C, 150_000 * C),
        ];
        let (lo, hi) = BANDS[rng.weighted(&[25, 40, 25, 8, 2])];
        rng.range(lo, hi) as i64
    }

    /// `eur_cents` converted to `currency`'s minor units, often a round figure.
    fn amount_in(rng: &mut Rng, currency: usize, eur_cents: i64, round_permille: u64) -> i64 {
        let (_, num, den) = CURRENCIES[currency];
        let mut v = (eur_cents * num / den).max(1);
        if currency == JPY {
            v = (v / 10).max(1) * 10;
        }
        if rng.chance(round_permille) {
            let unit = round_unit(currency, v) * 10;
            v = (v / unit).max(1) * unit;
        }
        v
    }

    fn make_invoices(&mut self, n: usize, parties: &[Party]) -> Vec<Invoice> {
        let span = self.span;
        // invoices go out on working days
        let days = self.sorted_busy_days(n, true);

        let first_year = self.dates[0].year();
        let mut per_year = [0u32; 5];
        let mut groups = vec![Group::default(); parties.len() * 4];
        let mut invoices = Vec::with_capacity(n);
        self.events.reserve(self.payments + self.payments / 8);
        self.allocs.reserve(n + n / 8);
        let mut plan: Plan = Vec::with_capacity(4);

        for (idx, &issue) in days.iter().enumerate() {
            let rng = &mut self.rng;
            let kind = if rng.chance(700) {
                InvoiceKind::Receivable
            } else {
                InvoiceKind::Payable
            };
            let table = match kind {
                InvoiceKind::Receivable => &self.receivable_table,
                InvoiceKind::Payable => &self.payable_table,
            };
            let pi = Self::pick_party(rng, table);
            let pg = &mut self.parties[pi];
            let secondary = rng.chance(50);
            let currency = if secondary { pg.secondary } else { pg.currency };
            let terms = if rng.chance(100) {
                TERMS[rng.weighted(&TERMS_WEIGHTS)]
            } else {
                pg.terms
            };
            let due = issue + terms;
            let eur = Self::eur_cents(rng);
            let amount = Self::amount_in(rng, currency, eur, 300);

            let date = self.dates[issue as usize];
            let mut number = String::with_capacity(16);
            match kind {
                InvoiceKind::Receivable => {
                    let y = (date.year() - first_year).clamp(0, 4) as usize;
                    per_year[y] += 1;
                    number.push_str("INV-");
                    push_num(&mut number, date.year().max(0) as u64, 4);
                    number.push('-');
                    push_num(&mut number, u64::from(per_year[y]), 6);
                }
                InvoiceKind::Payable => {
                    number.push_str("B-");
                    push_num(&mut number, pi as u64 + 1, 1);
                    number.push('-');
                    push_num(&mut number, pg.next_bill, 1);
                    pg.next_bill += 1;
                }
            }
            let profile = pg.profile;

            // what happens to this invoice
            let roll = rng.below(1000);
            let void = roll < 12;
            let notes = if void {
                rng.pick(VOID_NOTES).to_string()
            } else if rng.chance(70) {
                match kind {
                    InvoiceKind::Receivable => rng.pick(RECEIVABLE_NOTES).to_string(),
                    InvoiceKind::Payable => rng.pick(PAYABLE_NOTES).to_string(),
                }
            } else {
                String::new()
            };
            let inv_index = idx as u32;
            let out = kind == InvoiceKind::Payable;
            let cur = currency as u8;
            invoices.push(Invoice {
                id: InvoiceId(idx as u64 + 1),
                number,
                party: PartyId(pi as u64 + 1),
                kind,
                issue_date: date,
                due_date: self.dates[(due as usize).min(self.dates.len() - 1)],
                amount: Decimal::new(amount, minor_units(currency)),
                currency: CURRENCIES[currency].0,
                notes,
                void,
            });
            if void || roll < 27 {
                // void, or a bad debt that is never paid
                continue;
            }

            plan.clear();
            let rng = &mut self.rng;
            if profile == Profile::Batch && roll >= 60 {
                let g = &mut groups[pi * 4 + usize::from(out) * 2 + usize::from(secondary)];
                if g.len > 0 && issue > g.first_issue + 35 {
                    let taken = *g;
                    g.len = 0;
                    self.flush_group(&taken, &invoices, pi, out);
                }
                let rng = &mut self.rng;
                let g = &mut groups[pi * 4 + usize::from(out) * 2 + usize::from(secondary)];
                if g.len == 0 {
                    g.target = rng.range(2, 4) as u8;
                    g.first_issue = issue;
                }
                g.invoices[usize::from(g.len)] = inv_index;
                g.len += 1;
                if g.len >= g.target {
                    let taken = *g;
                    g.len = 0;
                    self.flush_group(&taken, &invoices, pi, out);
                }
                continue;
            }

            let pay_day = Self::pay_day(rng, profile, issue, due);
            let late = pay_day > due;
            if roll < 47 {
                // overpaid: rounded up or with a little extra
                let extra = if currency == JPY {
                    rng.range(1, 500) as i64
                } else if rng.chance(500) {
                    // rounded up to the next step
                    let unit = round_unit(currency, amount);
                    (amount / unit + 1) * unit - amount
                } else {
                    rng.range(1, 2500) as i64
                };
                let paid = amount + extra;
                // half allocate the whole payment (an overpayment of the invoice), half
                // leave the extra unallocated
                let alloc = if rng.chance(500) { paid } else { amount };
                plan.push((pay_day, paid, alloc, Tag::Overpaid, 0));
            } else if roll < 57 && amount > 6000 && currency != JPY {
                // the customer's bank deducted a fee: a few euros stay open
                let fee = rng.range(5, 35) as i64 * 100;
                plan.push((pay_day, amount - fee, amount - fee, Tag::ShortPaid, 0));
            } else if roll < 257 && amount >= 3 * round_unit(currency, amount) {
                // instalments
                let count = [2, 2, 2, 3, 3, 4][rng.below(6) as usize];
                let stop = if rng.chance(80) {
                    rng.range(1, u64::from(count) - 1) as u8
                } else {
                    count
                };
                let mut left = amount;
                let mut day = pay_day;
                for k in 1..=count {
                    let part = if k == count {
                        left
                    } else {
                        let unit = round_unit(currency, left);
                        let share = left * rng.range(25, 60) as i64 / 100;
                        (share / unit).max(1) * unit
                    };
                    if part <= 0 || (part >= left && k < count) {
                        break;
                    }
                    if k <= stop {
                        plan.push((day, part, part, Tag::Instalment, (k << 4) | count));
                    }
                    left -= part;
                    day += rng.range(14, 45) as u32;
                }
            } else if pay_day <= span && span - pay_day <= 45 && rng.chance(200) {
                // a recent payment that nobody has matched to its invoice yet
                plan.push((pay_day, amount, 0, Tag::Unmatched, 0));
            } else {
                let tag = if late { Tag::Late } else { Tag::Normal };
                plan.push((pay_day, amount, amount, tag, 0));
            }

            for &(day, paid, alloc, tag, inst) in &plan {
                if day > span {
                    break;
                }
                let allocs: &[(u32, i64)] = if alloc > 0 {
                    &[(inv_index, alloc)]
                } else {
                    &[]
                };
                let hint = if tag == Tag::Unmatched {
                    inv_index + 1
                } else {
                    0
                };
                self.emit(day, pi, cur, out, paid, allocs, hint, tag, inst);
            }
        }

        // payment runs still waiting at the end of the history
        for (gi, g) in groups.iter().enumerate() {
            if g.len > 0 {
                let g = *g;
                self.flush_group(&g, &invoices, gi / 4, gi % 4 >= 2);
            }
        }
        invoices
    }

    /// When a party of `profile` pays an invoice issued on `issue`, due on `due`.
    fn pay_day(rng: &mut Rng, profile: Profile, issue: u32, due: u32) -> u32 {
        let late_by = match profile {
            Profile::Punctual | Profile::Batch => {
                if rng.chance(50) {
                    rng.range(1, 7)
                } else {
                    0
                }
            }
            Profile::Mostly => {
                if rng.chance(200) {
                    rng.range(1, 25)
                } else {
                    0
                }
            }
            Profile::Late => {
                if rng.chance(100) {
                    0
                } else {
                    rng.range(5, 60)
                }
            }
        };
        if late_by > 0 {
            return due + late_by as u32;
        }
        let early = if rng.chance(60) {
            u64::from(due - issue)
        } else {
            rng.below(u64::from((due - issue).min(10)) + 1)
        };
        (due - early as u32).max(issue)
    }

    /// Pays the invoices of a payment run with one payment, if its day has come.
    fn flush_group(&mut self, g: &Group, invoices: &[Invoice], pi: usize, out: bool) {
        let members = &g.invoices[..usize::from(g.len)];
        let first = &invoices[members[0] as usize];
        let cur = CURRENCIES
            .iter()
            .position(|c| c.0 == first.currency)
            .unwrap_or(EUR) as u8;
        let start = self.dates[0];
        let offset = |d: Date| (d - start).whole_days().max(0) as u32;
        let last_issue = members
            .iter()
            .map(|&i| offset(invoices[i as usize].issue_date))
            .max()
            .unwrap_or(0);
        let first_due = members
            .iter()
            .map(|&i| offset(invoices[i as usize].due_date))
            .min()
            .unwrap_or(0);
        let base = last_issue.max(first_due.saturating_sub(7));
        let day = base + self.rng.range(0, 14) as u32;
        if day > self.span {
            return;
        }
        let mut allocs = [(0u32, 0i64); 4];
        let mut total = 0i64;
        for (slot, &i) in allocs.iter_mut().zip(members) {
            let inv = &invoices[i as usize];
            let a = decimal_minor(inv.amount, minor_units(usize::from(cur)));
            *slot = (i, a);
            total += a;
        }
        let tag = if members.len() > 1 {
            Tag::Split
        } else {
            Tag::Normal
        };
        let allocs = &allocs[..members.len()];
        self.emit(day, pi, cur, out, total, allocs, 0, tag, 0);
    }

    #[allow(clippy::too_many_arguments)]
    fn emit(
        &mut self,
        day: u32,
        party: usize,
        currency: u8,
        out: bool,
        amount: i64,
        allocs: &[(u32, i64)],
        hint: u32,
        tag: Tag,
        inst: u8,
    ) {
        let rng = &mut self.rng;
        let fav = self.parties[party].method;
        let mut method = if rng.chance(850) {
            fav
        } else {
            rng.weighted(&METHOD_WEIGHTS)
        };
        // nobody pays five figures in cash or by card: large sums go by bank
        let (_, num, den) = CURRENCIES[usize::from(currency)];
        let eur_cents = amount.saturating_mul(den) / num;
        let limit = match Method::ALL[method] {
            Method::Cash => 1_500 * 100,
            Method::Card | Method::Paypal | Method::Other => 15_000 * 100,
            _ => i64::MAX,
        };
        if eur_cents > limit {
            method = 0;
        }
        let mut day = day.min(self.span);
        // banks book on working days; cards and PayPal do not care
        if !matches!(Method::ALL[method], Method::Card | Method::Paypal) {
            let back = match self.weekdays[day as usize] {
                5 => 1,
                6 => 2,
                _ => 0,
            };
            if back > 0 {
                let fwd = 3 - back;
                day = if day + fwd <= self.span {
                    day + fwd
                } else {
                    day.saturating_sub(back)
                };
            }
        }
        let alloc_start = self.allocs.len() as u32;
        self.allocs.extend_from_slice(allocs);
        self.events.push(Ev {
            day,
            amount,
            party: party as u32,
            alloc_start,
            hint,
            alloc_len: allocs.len() as u8,
            currency,
            out,
            method: method as u8,
            tag,
            inst,
        });
    }

    // ----- payments

    /// Tops the planned payments up to the requested count with independent payments.
    fn fill_independent(&mut self) {
        let missing = self.payments.saturating_sub(self.events.len());
        // planned in date order, which keeps the later pass over them cache friendly
        let days = self.sorted_busy_days(missing, false);
        for day in days {
            let rng = &mut self.rng;
            // a little more than half are expenses paid without a bill (subscriptions,
            // travel, card purchases), the rest advances and deposits from customers
            let out = rng.chance(550);
            let table = if out {
                &self.payable_table
            } else {
                &self.receivable_table
            };
            let pi = Self::pick_party(rng, table);
            let pg = &self.parties[pi];
            let currency = if rng.chance(50) {
                pg.secondary
            } else {
                pg.currency
            };
            let eur = Self::eur_cents(rng) / 2;
            let amount = Self::amount_in(rng, currency, eur, 700);
            self.emit(
                day,
                pi,
                currency as u8,
                out,
                amount,
                &[],
                0,
                Tag::Independent,
                0,
            );
        }
    }

    fn make_payments(&mut self, parties: &[Party], invoices: &[Invoice]) -> Vec<Payment> {
        let events = std::mem::take(&mut self.events);
        // Payments are recorded in date order, then in the order they were planned: a
        // counting sort by day (stable, so planning order holds within a day).
        let mut starts = vec![0u32; self.span as usize + 2];
        for ev in &events {
            starts[ev.day as usize + 1] += 1;
        }
        for d in 1..starts.len() {
            starts[d] += starts[d - 1];
        }
        let mut order = vec![0u32; events.len()];
        for (i, ev) in events.iter().enumerate() {
            let slot = &mut starts[ev.day as usize];
            order[*slot as usize] = i as u32;
            *slot += 1;
        }
        // more planned than asked for (tiny data sets): the most recent ones did not happen
        order.truncate(self.payments);
        let mut payments = Vec::with_capacity(order.len());
        for (i, &at) in order.iter().enumerate() {
            let ev = &events[at as usize];
            let day = ev.day as usize;
            let date = self.dates[day];
            let currency = usize::from(ev.currency);
            let scale = minor_units(currency);
            let allocs = &self.allocs
                [ev.alloc_start as usize..ev.alloc_start as usize + usize::from(ev.alloc_len)];
            let allocations: Vec<Allocation> = allocs
                .iter()
                .map(|&(inv, a)| Allocation {
                    invoice: InvoiceId(u64::from(inv) + 1),
                    amount: Decimal::new(a, scale),
                })
                .collect();
            let method = Method::ALL[usize::from(ev.method)];
            let about = allocs.first().map(|a| a.0).or(ev.hint.checked_sub(1));
            let reference = self.reference(ev, date, about, invoices);
            let notes = self.payment_notes(ev.tag, ev.inst);
            payments.push(Payment {
                id: PaymentId(i as u64 + 1),
                party: parties[ev.party as usize].id,
                direction: if ev.out {
                    Direction::Out
                } else {
                    Direction::In
                },
                amount: Decimal::new(ev.amount, scale),
                currency: CURRENCIES[currency].0,
                date,
                method,
                reference,
                notes,
                allocations,
                source: None,
            });
        }
        payments
    }

    fn payment_notes(&mut self, tag: Tag, inst: u8) -> String {
        let rng = &mut self.rng;
        match tag {
            Tag::Instalment if rng.chance(50) => {
                format!("Instalment {} of {}", inst >> 4, inst & 15)
            }
            Tag::ShortPaid if rng.chance(400) => "Bank fee deducted by sender".to_string(),
            Tag::Overpaid if rng.chance(250) => "Rounded up".to_string(),
            Tag::Late if rng.chance(40) => "Paid after reminder".to_string(),
            Tag::Split if rng.chance(100) => "Payment run".to_string(),
            Tag::Unmatched if rng.chance(200) => "Remittance advice to follow".to_string(),
            Tag::Independent if rng.chance(80) => rng.pick(INDEPENDENT_NOTES).to_string(),
            _ if rng.chance(10) => rng.pick(PAYMENT_NOTES).to_string(),
            _ => String::new(),
        }
    }

    /// A bank- or provider-style reference for a payment.
    ///
    /// `about` is the index of the invoice the payment pays or refers to.
    fn reference(
        &mut self,
        ev: &Ev,
        date: Date,
        about: Option<u32>,
        invoices: &[Invoice],
    ) -> String {
        let (method, currency, party, tag) = (
            Method::ALL[usize::from(ev.method)],
            usize::from(ev.currency),
            ev.party,
            ev.tag,
        );
        let rng = &mut self.rng;
        // built in a reused buffer, then copied into an exactly sized string
        let s = &mut self.scratch;
        s.clear();
        match method {
            Method::BankTransfer => {
                let cite = match tag {
                    Tag::Unmatched => 900,
                    _ => 400,
                };
                match about {
                    Some(i) if rng.chance(cite) => s.push_str(&invoices[i as usize].number),
                    _ => match currency {
                        GBP => {
                            s.push_str("FPS ");
                            push_alnum(rng, s, 10, UPPER_DIGITS);
                        }
                        USD => {
                            s.push_str(if rng.chance(700) { "ACH " } else { "WIRE " });
                            push_num(s, rng.below(1_000_000_000_000), 12);
                        }
                        JPY => {
                            s.push_str("ZENGIN ");
                            push_num(s, rng.below(10_000_000), 7);
                        }
                        _ if rng.chance(500) => creditor_reference(rng.below(1_000_000_000_000), s),
                        _ => {
                            s.push_str("SEPA-");
                            push_date(s, date);
                            s.push('-');
                            push_num(s, rng.below(1_000_000), 6);
                        }
                    },
                }
            }
            Method::Card => {
                s.push_str("ch_3");
                push_alnum(rng, s, 23, BASE62);
            }
            Method::Paypal => push_alnum(rng, s, 17, UPPER_DIGITS),
            Method::DirectDebit => {
                s.push_str(if currency == GBP {
                    "BACS DD-"
                } else {
                    "SEPA-DD-"
                });
                push_num(s, u64::from(party) + 1, 5);
                s.push('-');
                push_num(s, date.year().max(0) as u64, 4);
                push_num(s, u64::from(u8::from(date.month())), 2);
            }
            Method::Check => {
                s.push_str("CHQ ");
                push_num(s, rng.range(1000, 999_999), 6);
            }
            Method::Cash => {
                if rng.chance(600) {
                    s.push_str("Receipt R-");
                    push_num(s, rng.range(1, 99_999), 5);
                }
            }
            Method::Other => match rng.below(3) {
                0 => {
                    s.push_str("Wise ");
                    push_num(s, rng.range(100_000_000, 999_999_999), 9);
                }
                1 => {
                    s.push_str("Revolut ");
                    push_alnum(rng, s, 8, HEX_UPPER);
                }
                _ => s.push_str("Netting agreement"),
            },
        }
        s.as_str().to_owned()
    }
}

// ---------------------------------------------------------------------------------------
// Small helpers

fn minor_units(currency: usize) -> u32 {
    CURRENCIES[currency].0.minor_units()
}

/// The amount in minor units (the demo only creates amounts with exact minor units).
fn decimal_minor(d: Decimal, scale: u32) -> i64 {
    let mut d = d;
    d.rescale(scale);
    i64::try_from(d.mantissa()).unwrap_or(i64::MAX)
}

/// A "nice" step for instalments of `amount` (minor units): whole units, tens or fifties.
fn round_unit(currency: usize, amount: i64) -> i64 {
    // yen amounts are about a hundred times euro amounts; their smallest step is 100 yen
    let (units, big, mid) = if currency == JPY {
        (amount, 500_000, 50_000)
    } else {
        (amount / 100, 5_000, 500)
    };
    let step = if units >= big {
        50
    } else if units >= mid {
        10
    } else {
        1
    };
    step * 100
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const UPPER_DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const HEX_UPPER: &[u8] = b"0123456789ABCDEF";

fn push_alnum(rng: &mut Rng, s: &mut String, n: usize, alphabet: &[u8]) {
    for _ in 0..n {
        s.push(char::from(
            alphabet[rng.below(alphabet.len() as u64) as usize],
        ));
    }
}

/// Appends `v` in decimal, zero-padded to `width` digits.
fn push_num(s: &mut String, mut v: u64, width: usize) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for _ in (buf.len() - i)..width {
        s.push('0');
    }
    for &b in &buf[i..] {
        s.push(char::from(b));
    }
}

fn push_date(s: &mut String, d: Date) {
    push_num(s, d.year().max(0) as u64, 4);
    push_num(s, u64::from(u8::from(d.month())), 2);
    push_num(s, u64::from(d.day()), 2);
}

/// An ISO 11649 creditor reference (`RF18 5390 0754 7034`) for a 12-digit body.
fn creditor_reference(body: u64, s: &mut String) {
    // check digits: body followed by "RF00" as digits (R = 27, F = 15), mod 97
    let check = 98 - (body * 1_000_000 + 271_500) % 97;
    let mut raw = String::with_capacity(16);
    raw.push_str("RF");
    push_num(&mut raw, check, 2);
    push_num(&mut raw, body, 12);
    for (i, c) in raw.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            s.push(' ');
        }
        s.push(c);
    }
}

/// A company name that is not taken yet (case-insensitively), with its name minus the legal
/// form (for the email domain).
fn unique_name(rng: &mut Rng, region: usize, taken: &mut HashSet<String>) -> (String, String) {
    let mut region = region;
    for attempt in 0..400 {
        if attempt > 0 && attempt % 100 == 0 {
            region = rng.below(REGIONS.len() as u64) as usize;
        }
        let r = &REGIONS[region];
        let mut base = String::with_capacity(40);
        let form = match rng.weighted(&[20, 25, 25, 25, 5]) {
            0 => {
                base.push_str(rng.pick(r.surnames));
                true
            }
            1 => {
                let a = rng.pick(r.surnames);
                let b = rng.pick(r.surnames);
                if a == b {
                    continue;
                }
                base.push_str(a);
                base.push_str(" & ");
                base.push_str(b);
                true
            }
            2 => {
                let (s, t) = (rng.pick(r.surnames), rng.pick(r.trades));
                if r.trade_first {
                    let _ = write!(base, "{t} {s}");
                } else {
                    let _ = write!(base, "{s} {t}");
                }
                true
            }
            3 => {
                let (p, t) = (rng.pick(r.places), rng.pick(r.trades));
                if r.trade_first {
                    let _ = write!(base, "{t} {p}");
                } else {
                    let _ = write!(base, "{p} {t}");
                }
                true
            }
            _ => {
                let (s, t) = (rng.pick(r.surnames), rng.pick(r.trades));
                let _ = write!(base, "{s} {t}");
                false
            }
        };
        let name = if form {
            format!("{base} {}", rng.pick(r.forms))
        } else {
            base.clone()
        };
        if taken.insert(name_key(&name)) {
            return (name, base);
        }
    }
    // every combination tried is taken: number the name
    let r = &REGIONS[region];
    let base = rng.pick(r.surnames).to_string();
    let mut k = 2u32;
    loop {
        let name = format!("{base} {} {k}", rng.pick(r.forms));
        if taken.insert(name_key(&name)) {
            return (name, base);
        }
        k += 1;
    }
}

/// Appends an ASCII domain label for `name`: `Müller & Söhne` → `mueller-soehne`.
fn slug_into(name: &str, out: &mut String) {
    let mut dash = false;
    let mut any = false;
    for c in name.chars().flat_map(char::to_lowercase) {
        let folded: &str = match c {
            'a'..='z' | '0'..='9' => {
                if dash && any {
                    out.push('-');
                }
                dash = false;
                any = true;
                out.push(c);
                continue;
            }
            'ä' | 'æ' => "ae",
            'ö' | 'ø' => "oe",
            'ü' => "ue",
            'ß' => "ss",
            'å' | 'à' | 'á' | 'â' | 'ã' => "a",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'í' | 'ì' | 'î' | 'ï' => "i",
            'ó' | 'ò' | 'ô' | 'ō' | 'õ' => "o",
            'ú' | 'ù' | 'û' | 'ū' => "u",
            'ç' => "c",
            'ñ' => "n",
            '\'' => continue,
            _ => {
                dash = true;
                continue;
            }
        };
        if dash && any {
            out.push('-');
        }
        dash = false;
        any = true;
        out.push_str(folded);
    }
    if !any {
        out.push_str("company");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creditor_reference_has_valid_check_digits() {
        let mut s = String::new();
        creditor_reference(539_007_547_034, &mut s);
        assert_eq!(s, "RF18 5390 0754 7034");
        // ISO 11649: move the first four characters to the end, letters to numbers, mod 97 = 1
        for body in [0u64, 1, 123_456_789_012, 999_999_999_999] {
            let mut s = String::new();
            creditor_reference(body, &mut s);
            let compact: String = s.chars().filter(|c| *c != ' ').collect();
            let moved = format!("{}{}", &compact[4..], &compact[..4]);
            let rem = moved.chars().fold(0u64, |acc, c| {
                let v = c.to_digit(36).unwrap() as u64;
                if v >= 10 {
                    (acc * 100 + v) % 97
                } else {
                    (acc * 10 + v) % 97
                }
            });
            assert_eq!(rem, 1, "{s}");
        }
    }

    #[test]
    fn slugs_are_ascii_domain_labels() {
        let mut s = String::new();
        slug_into("Müller & Söhne", &mut s);
        assert_eq!(s, "mueller-soehne");
        s.clear();
        slug_into("Café Lumière", &mut s);
        assert_eq!(s, "cafe-lumiere");
        s.clear();
        slug_into("O'Brien & Hale", &mut s);
        assert_eq!(s, "obrien-hale");
        s.clear();
        slug_into("Ørsted Supplies", &mut s);
        assert_eq!(s, "oersted-supplies");
    }

    #[test]
    fn numbers_are_zero_padded() {
        let mut s = String::new();
        push_num(&mut s, 123, 6);
        push_num(&mut s, 0, 1);
        push_num(&mut s, 1_234_567, 2);
        assert_eq!(s, "00012301234567");
    }

    #[test]
    fn method_indexes_match_the_domain() {
        assert_eq!(Method::ALL.len(), METHOD_WEIGHTS.len());
        assert_eq!(Method::ALL[0], Method::BankTransfer);
        assert_eq!(Method::ALL[3], Method::Check);
    }

    #[test]
    fn thousands_of_distinct_names() {
        let mut g = Generator::new(&DemoConfig {
            seed: 11,
            payments: 0,
            today: time::macros::date!(2025 - 01 - 15),
        });
        let parties = g.make_parties(5000);
        let keys: HashSet<String> = parties.iter().map(|p| name_key(&p.name)).collect();
        assert_eq!(keys.len(), 5000);
        // the word lists are large enough that no name needed a number
        assert!(parties
            .iter()
            .all(|p| !p.name.ends_with(|c: char| c.is_ascii_digit())));
        let non_ascii = parties.iter().filter(|p| !p.name.is_ascii()).count();
        assert!(non_ascii > 500, "{non_ascii}");
    }

    #[test]
    fn rng_is_the_reference_stream() {
        // Known answers for SplitMix64(0) seeding xoshiro256**: if these change, every
        // saved benchmark store and snapshot made from demo data changes with them.
        let r = Rng::new(0);
        assert_eq!(
            r.s,
            [
                0xe220_a839_7b1d_cdaf,
                0x6e78_9e6a_a1b9_65f4,
                0x06c4_5d18_8009_454f,
                0xf88b_b8a8_724c_81ec
            ]
        );
        let mut r = r;
        let first: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        assert_eq!(
            first,
            [
                0x99ec_5f36_cb75_f2b4,
                0xbf6e_1f78_4956_452a,
                0x1a5f_849d_4933_e6e0
            ]
        );
        for n in [1u64, 2, 7, 1000] {
            assert!((0..200).all(|_| r.below(n) < n));
        }
        assert_eq!(r.below(0), 0);
    }
}
