//! The population register extract: one checked row per citizen, parsed from the CSV an
//! authority uploads, or generated as a realistic synthetic population for demos and
//! load tests.

use chrono::{Datelike, NaiveDate};
use identity::Cpr;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::municipality::{all as municipalities, MunicipalityCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigitalPost {
    Digital,
    /// Exempt from Digital Post: letters go on paper.
    Exempt,
}

impl DigitalPost {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Digital => "digital",
            Self::Exempt => "exempt",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenRecord {
    pub cpr: Cpr,
    pub given_name: String,
    pub family_name: String,
    pub address: String,
    pub postcode: String,
    pub city: String,
    pub municipality: MunicipalityCode,
    pub digital_post: DigitalPost,
    pub nemsms: bool,
    /// `da` or `en`.
    pub language: &'static str,
    pub priority_groups: Vec<String>,
}

/// The CSV columns, in order; the first line must name them.
pub const CSV_HEADER: [&str; 11] = [
    "cpr",
    "given_name",
    "family_name",
    "address",
    "postcode",
    "city",
    "municipality_code",
    "digital_post",
    "nemsms",
    "language",
    "priority_groups",
];

fn text(field: &str, value: &str, max: usize) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        Err(format!("{field} must be 1-{max} printable characters"))
    } else {
        Ok(v.to_owned())
    }
}

impl CitizenRecord {
    /// Parses one CSV record (already split into fields). Errors never echo a CPR.
    pub fn from_fields(f: &[&str]) -> Result<Self, String> {
        if f.len() != CSV_HEADER.len() {
            return Err(format!(
                "expected {} fields, got {}",
                CSV_HEADER.len(),
                f.len()
            ));
        }
        let cpr = Cpr::parse(f[0]).map_err(|e| format!("cpr: {e}"))?;
        let postcode = f[4].trim();
        if postcode.len() != 4 || !postcode.bytes().all(|b| b.is_ascii_digit()) {
            return Err("postcode must be four digits".into());
        }
        let municipality = f[6]
            .trim()
            .parse::<u16>()
            .ok()
            .and_then(|c| MunicipalityCode::new(c).ok())
            .ok_or("municipality_code is not a Danish municipality code")?;
        let digital_post = match f[7].trim() {
            "digital" => DigitalPost::Digital,
            "exempt" => DigitalPost::Exempt,
            _ => return Err("digital_post must be digital or exempt".into()),
        };
        let nemsms = match f[8].trim() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" | "" => false,
            _ => return Err("nemsms must be true or false".into()),
        };
        let language = match f[9].trim() {
            "da" | "" => "da",
            "en" => "en",
            _ => return Err("language must be da or en".into()),
        };
        let mut priority_groups = Vec::new();
        for g in f[10].split(';').map(str::trim).filter(|g| !g.is_empty()) {
            let ok = g.len() <= 64
                && g.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !ok {
                return Err("priority_groups are ';'-separated names of a-z, 0-9 and '-'".into());
            }
            priority_groups.push(g.to_owned());
        }
        Ok(Self {
            cpr,
            given_name: text("given_name", f[1], 100)?,
            family_name: text("family_name", f[2], 100)?,
            address: text("address", f[3], 200)?,
            postcode: postcode.to_owned(),
            city: f[5].trim().chars().take(100).collect(),
            municipality,
            digital_post,
            nemsms,
            language,
            priority_groups,
        })
    }
}

const GIVEN: [&str; 24] = [
    "Anne", "Kirsten", "Mette", "Hanne", "Anna", "Helle", "Susanne", "Lene", "Maria", "Marianne",
    "Søren", "Jørgen", "Peter", "Jens", "Lars", "Michael", "Henrik", "Thomas", "Søs", "Åse",
    "Bjørn", "Ærø", "Mads", "Frederik",
];
const FAMILY: [&str; 20] = [
    "Nielsen",
    "Jensen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Petersen",
    "Madsen",
    "Kristensen",
    "Olsen",
    "Thomsen",
    "Mølgaard",
    "Østergaard",
    "Bækgaard",
    "Aagaard",
    "Holm",
];
const STREETS: [&str; 10] = [
    "Vestergade",
    "Østergade",
    "Nørregade",
    "Søndergade",
    "Algade",
    "Skolevej",
    "Kirkevej",
    "Møllevej",
    "Åboulevarden",
    "Strandvejen",
];

/// Share of the population per five-year age band, 0-4 .. 100-104 (Denmark, about 2021).
const AGE_BANDS: [f64; 21] = [
    5.3, 5.4, 5.7, 5.9, 6.6, 7.0, 6.4, 5.8, 6.3, 6.9, 7.0, 6.6, 5.9, 5.6, 5.3, 4.1, 2.7, 1.7, 0.8,
    0.2, 0.03,
];

/// A reproducible synthetic population: ages from the Danish age pyramid, municipalities
/// weighted by population, about 6% exempt from Digital Post (more among the oldest).
pub struct Generator {
    rng: StdRng,
    reference: NaiveDate,
    serials: std::collections::HashMap<NaiveDate, u16>,
    weights: Vec<(MunicipalityCode, f64)>,
    total_weight: f64,
}

impl Generator {
    pub fn new(seed: u64, reference: NaiveDate) -> Self {
        let weights: Vec<(MunicipalityCode, f64)> = municipalities()
            .iter()
            .filter_map(|m| {
                MunicipalityCode::new(m.code)
                    .ok()
                    .map(|c| (c, f64::from(m.population)))
            })
            .collect();
        let total_weight = weights.iter().map(|w| w.1).sum();
        Self {
            rng: StdRng::seed_from_u64(seed),
            reference,
            serials: std::collections::HashMap::new(),
            weights,
            total_weight,
        }
    }

    fn municipality(&mut self) -> MunicipalityCode {
        let mut pick = self.rng.gen_range(0.0..self.total_weight);
        for (code, w) in &self.weights {
            if pick < *w {
                return *code;
            }
            pick -= w;
        }
        self.weights[0].0
    }

    fn birth_date(&mut self) -> NaiveDate {
        let total: f64 = AGE_BANDS.iter().sum();
        let mut pick = self.rng.gen_range(0.0..total);
        let mut band = 0;
        for (i, share) in AGE_BANDS.iter().enumerate() {
            if pick < *share {
                band = i;
                break;
            }
            pick -= share;
        }
        let age_days = self.rng.gen_range(0..(5 * 365)) + band as i64 * 5 * 365;
        self.reference - chrono::Duration::days(age_days + 1)
    }

    /// A CPR number for a birth date, unique within this generator. The 7th digit
    /// follows the century rule: 0-3 for 1900-1999, 4-9 for 2000-2036.
    fn cpr(&mut self, born: NaiveDate) -> Option<Cpr> {
        let n = self.serials.entry(born).or_insert(0);
        let (base, room) = if born.year() < 2000 {
            (0, 4000)
        } else {
            (4000, 6000)
        };
        if *n >= room {
            return None;
        }
        let serial = base + *n;
        *n += 1;
        let s = format!(
            "{:02}{:02}{:02}{:04}",
            born.day(),
            born.month(),
            born.year() % 100,
            serial
        );
        Cpr::parse(&s).ok()
    }

    pub fn next_citizen(&mut self) -> CitizenRecord {
        loop {
            let born = self.birth_date();
            let Some(cpr) = self.cpr(born) else { continue };
            let age = cpr.age_on(self.reference);
            let municipality = self.municipality();
            let info = municipality.info();
            let exempt_share = if age >= 85 {
                0.30
            } else if age >= 75 {
                0.12
            } else {
                0.035
            };
            let mut groups = Vec::new();
            if age >= 80 && self.rng.gen_bool(0.08) {
                groups.push("care-home".to_owned());
            }
            if (20..67).contains(&age) && self.rng.gen_bool(0.05) {
                groups.push("health-worker".to_owned());
            }
            if self.rng.gen_bool(0.06) {
                groups.push("chronic-illness".to_owned());
            }
            let given = GIVEN[self.rng.gen_range(0..GIVEN.len())];
            let family = FAMILY[self.rng.gen_range(0..FAMILY.len())];
            let street = STREETS[self.rng.gen_range(0..STREETS.len())];
            return CitizenRecord {
                cpr,
                given_name: given.to_owned(),
                family_name: family.to_owned(),
                address: format!("{street} {}", self.rng.gen_range(1..200)),
                postcode: format!("{:04}", 1000 + (info.code as u32 * 37) % 8990),
                city: info.name.to_owned(),
                municipality,
                digital_post: if self.rng.gen_bool(exempt_share) {
                    DigitalPost::Exempt
                } else {
                    DigitalPost::Digital
                },
                nemsms: self.rng.gen_bool(0.3),
                language: if self.rng.gen_bool(0.03) { "en" } else { "da" },
                priority_groups: groups,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_good_row_and_refuses_bad_ones() {
        let good = [
            "0101451234",
            "Åse",
            "Mølgaard",
            "Vestergade 1",
            "8000",
            "Aarhus",
            "751",
            "exempt",
            "true",
            "da",
            "care-home;chronic-illness",
        ];
        let c = CitizenRecord::from_fields(&good).unwrap();
        assert_eq!(c.digital_post, DigitalPost::Exempt);
        assert_eq!(c.priority_groups.len(), 2);
        let mut bad = good;
        bad[6] = "999";
        assert!(CitizenRecord::from_fields(&bad).is_err());
        let mut bad = good;
        bad[0] = "3201451234";
        let e = CitizenRecord::from_fields(&bad).unwrap_err();
        assert!(!e.contains("3201451234"), "the CPR is not echoed");
        let mut bad = good;
        bad[7] = "paper";
        assert!(CitizenRecord::from_fields(&bad).is_err());
        assert!(CitizenRecord::from_fields(&good[..5]).is_err());
    }

    #[test]
    fn generated_population_is_plausible_and_unique() {
        let mut g = Generator::new(7, "2026-12-01".parse().unwrap());
        let people: Vec<_> = (0..20_000).map(|_| g.next_citizen()).collect();
        let unique: std::collections::HashSet<_> =
            people.iter().map(|p| p.cpr.as_str().to_owned()).collect();
        assert_eq!(unique.len(), people.len());
        let exempt = people
            .iter()
            .filter(|p| p.digital_post == DigitalPost::Exempt)
            .count() as f64
            / people.len() as f64;
        assert!((0.03..0.09).contains(&exempt), "{exempt}");
        let elderly = people
            .iter()
            .filter(|p| p.cpr.age_on("2026-12-01".parse().unwrap()) >= 65)
            .count() as f64
            / people.len() as f64;
        assert!((0.15..0.25).contains(&elderly), "{elderly}");
        let municipalities: std::collections::HashSet<_> =
            people.iter().map(|p| p.municipality).collect();
        assert!(municipalities.len() > 90);
    }
}
