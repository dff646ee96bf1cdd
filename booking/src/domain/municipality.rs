//! Reference data for Denmark's 98 municipalities (kommuner) and 5 regions.
//!
//! Municipality and region codes are the official codes published by
//! Danmarks Statistik and used in the CPR register (kommunekoder), valid
//! since the 2007 structural reform. Christiansø (411) is administered by
//! the state and is not a municipality, so it is deliberately absent.
//!
//! The data is used to validate municipality codes on sites and citizens
//! and to seed demo data. Coordinates are approximate WGS84 positions of
//! each municipality's main town / town hall, intended only for demo data
//! and "nearest site" searches. Populations are approximate 2021 figures.

use std::fmt;

/// An official, validated Danish municipality code (e.g. 101 for København).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub struct MunicipalityCode(u16);

impl MunicipalityCode {
    /// Validates `code` against the list of current municipalities.
    pub fn new(code: u16) -> Result<Self, UnknownMunicipality> {
        match find(code) {
            Some(_) => Ok(Self(code)),
            None => Err(UnknownMunicipality(code)),
        }
    }

    /// The raw numeric code.
    pub fn get(self) -> u16 {
        self.0
    }

    /// Reference data for this municipality.
    pub fn info(self) -> &'static Municipality {
        let idx = MUNICIPALITIES
            .binary_search_by_key(&self.0, |m| m.code)
            .unwrap_or_else(|_| {
                // Unreachable: the field is private and only set by `new`.
                panic!("MunicipalityCode {} not in table", self.0)
            });
        &MUNICIPALITIES[idx]
    }

    /// The region this municipality belongs to.
    pub fn region(self) -> Region {
        self.info().region
    }
}

impl TryFrom<u16> for MunicipalityCode {
    type Error = UnknownMunicipality;

    fn try_from(code: u16) -> Result<Self, Self::Error> {
        Self::new(code)
    }
}

impl From<MunicipalityCode> for u16 {
    fn from(code: MunicipalityCode) -> u16 {
        code.0
    }
}

impl fmt::Display for MunicipalityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}

/// The five Danish regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Region {
    Hovedstaden,
    Sjaelland,
    Syddanmark,
    Midtjylland,
    Nordjylland,
}

impl Region {
    /// All regions, in order of official region code descending (1084..=1081).
    pub const ALL: [Region; 5] = [
        Region::Hovedstaden,
        Region::Sjaelland,
        Region::Syddanmark,
        Region::Midtjylland,
        Region::Nordjylland,
    ];

    /// Official region code (Danmarks Statistik / CPR).
    pub fn code(self) -> u16 {
        match self {
            Region::Hovedstaden => 1084,
            Region::Sjaelland => 1085,
            Region::Syddanmark => 1083,
            Region::Midtjylland => 1082,
            Region::Nordjylland => 1081,
        }
    }

    /// Official Danish name.
    pub fn name(self) -> &'static str {
        match self {
            Region::Hovedstaden => "Region Hovedstaden",
            Region::Sjaelland => "Region Sjælland",
            Region::Syddanmark => "Region Syddanmark",
            Region::Midtjylland => "Region Midtjylland",
            Region::Nordjylland => "Region Nordjylland",
        }
    }

    /// Looks up a region by its official code.
    pub fn from_code(code: u16) -> Option<Region> {
        Region::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// Reference data for one municipality.
#[derive(Debug, Clone, PartialEq)]
pub struct Municipality {
    /// Official 3-digit municipality code.
    pub code: u16,
    /// Danish name.
    pub name: &'static str,
    pub region: Region,
    /// Approximate latitude (WGS84) of the main town / town hall.
    pub lat: f64,
    /// Approximate longitude (WGS84) of the main town / town hall.
    pub lon: f64,
    /// Approximate population (2021).
    pub population: u32,
}

/// Error for a code that is not a current Danish municipality code.
#[derive(Debug, thiserror::Error)]
#[error("{0} is not a Danish municipality code")]
pub struct UnknownMunicipality(pub u16);

const fn m(
    code: u16,
    name: &'static str,
    region: Region,
    lat: f64,
    lon: f64,
    population: u32,
) -> Municipality {
    Municipality {
        code,
        name,
        region,
        lat,
        lon,
        population,
    }
}

use Region::{
    Hovedstaden as H, Midtjylland as M, Nordjylland as N, Sjaelland as S, Syddanmark as D,
};

/// All 98 municipalities, sorted by code.
pub static MUNICIPALITIES: [Municipality; 98] = [
    m(101, "København", H, 55.68, 12.57, 638_000),
    m(147, "Frederiksberg", H, 55.68, 12.53, 104_000),
    m(151, "Ballerup", H, 55.73, 12.36, 49_000),
    m(153, "Brøndby", H, 55.65, 12.42, 35_000),
    m(155, "Dragør", H, 55.59, 12.67, 14_500),
    m(157, "Gentofte", H, 55.75, 12.55, 75_000),
    m(159, "Gladsaxe", H, 55.73, 12.49, 69_500),
    m(161, "Glostrup", H, 55.67, 12.40, 23_300),
    m(163, "Herlev", H, 55.72, 12.44, 29_000),
    m(165, "Albertslund", H, 55.66, 12.36, 27_800),
    m(167, "Hvidovre", H, 55.64, 12.47, 53_500),
    m(169, "Høje-Taastrup", H, 55.65, 12.27, 51_300),
    m(173, "Lyngby-Taarbæk", H, 55.77, 12.50, 56_300),
    m(175, "Rødovre", H, 55.68, 12.45, 40_800),
    m(183, "Ishøj", H, 55.61, 12.35, 23_500),
    m(185, "Tårnby", H, 55.63, 12.60, 43_400),
    m(187, "Vallensbæk", H, 55.62, 12.38, 16_700),
    m(190, "Furesø", H, 55.81, 12.36, 41_200),
    m(201, "Allerød", H, 55.87, 12.38, 25_900),
    m(210, "Fredensborg", H, 55.98, 12.40, 41_300),
    m(217, "Helsingør", H, 56.03, 12.61, 63_400),
    m(219, "Hillerød", H, 55.93, 12.31, 51_900),
    m(223, "Hørsholm", H, 55.88, 12.50, 25_100),
    m(230, "Rudersdal", H, 55.82, 12.47, 56_700),
    m(240, "Egedal", H, 55.80, 12.16, 43_800),
    m(250, "Frederikssund", H, 55.84, 12.07, 45_800),
    m(253, "Greve", S, 55.58, 12.30, 50_900),
    m(259, "Køge", S, 55.46, 12.18, 61_000),
    m(260, "Halsnæs", H, 55.97, 12.02, 31_400),
    m(265, "Roskilde", S, 55.64, 12.08, 88_000),
    m(269, "Solrød", S, 55.54, 12.22, 23_300),
    m(270, "Gribskov", H, 56.02, 12.20, 41_600),
    m(306, "Odsherred", S, 55.92, 11.67, 33_000),
    m(316, "Holbæk", S, 55.72, 11.71, 72_000),
    m(320, "Faxe", S, 55.26, 12.12, 37_000),
    m(326, "Kalundborg", S, 55.68, 11.09, 48_500),
    m(329, "Ringsted", S, 55.44, 11.79, 35_000),
    m(330, "Slagelse", S, 55.40, 11.35, 79_000),
    m(336, "Stevns", S, 55.31, 12.39, 23_000),
    m(340, "Sorø", S, 55.43, 11.56, 30_000),
    m(350, "Lejre", S, 55.60, 11.97, 28_700),
    m(360, "Lolland", S, 54.78, 11.50, 41_000),
    m(370, "Næstved", S, 55.23, 11.76, 83_000),
    m(376, "Guldborgsund", S, 54.77, 11.87, 60_000),
    m(390, "Vordingborg", S, 55.01, 11.91, 45_500),
    m(400, "Bornholm", H, 55.10, 14.70, 39_500),
    m(410, "Middelfart", D, 55.51, 9.73, 39_000),
    m(420, "Assens", D, 55.27, 9.90, 41_000),
    m(430, "Faaborg-Midtfyn", D, 55.10, 10.24, 51_500),
    m(440, "Kerteminde", D, 55.45, 10.66, 24_000),
    m(450, "Nyborg", D, 55.31, 10.79, 32_000),
    m(461, "Odense", D, 55.40, 10.39, 205_000),
    m(479, "Svendborg", D, 55.06, 10.61, 59_000),
    m(480, "Nordfyns", D, 55.57, 10.09, 29_500),
    m(482, "Langeland", D, 54.94, 10.71, 12_300),
    m(492, "Ærø", D, 54.89, 10.41, 6_000),
    m(510, "Haderslev", D, 55.25, 9.49, 55_000),
    m(530, "Billund", D, 55.73, 9.11, 27_000),
    m(540, "Sønderborg", D, 54.91, 9.79, 74_000),
    m(550, "Tønder", D, 54.93, 8.86, 37_000),
    m(561, "Esbjerg", D, 55.48, 8.45, 115_000),
    m(563, "Fanø", D, 55.45, 8.40, 3_400),
    m(573, "Varde", D, 55.62, 8.48, 50_000),
    m(575, "Vejen", D, 55.48, 9.14, 42_700),
    m(580, "Aabenraa", D, 55.04, 9.42, 58_500),
    m(607, "Fredericia", D, 55.57, 9.75, 51_500),
    m(615, "Horsens", M, 55.86, 9.85, 91_000),
    m(621, "Kolding", D, 55.49, 9.47, 93_000),
    m(630, "Vejle", D, 55.71, 9.54, 117_000),
    m(657, "Herning", M, 56.14, 8.97, 89_000),
    m(661, "Holstebro", M, 56.36, 8.62, 58_700),
    m(665, "Lemvig", M, 56.55, 8.31, 19_500),
    m(671, "Struer", M, 56.49, 8.59, 20_500),
    m(706, "Syddjurs", M, 56.20, 10.68, 43_000),
    m(707, "Norddjurs", M, 56.42, 10.88, 37_000),
    m(710, "Favrskov", M, 56.27, 10.06, 48_900),
    m(727, "Odder", M, 55.97, 10.15, 23_000),
    m(730, "Randers", M, 56.46, 10.04, 98_000),
    m(740, "Silkeborg", M, 56.17, 9.55, 95_000),
    m(741, "Samsø", M, 55.83, 10.59, 3_700),
    m(746, "Skanderborg", M, 56.04, 9.93, 62_500),
    m(751, "Aarhus", M, 56.15, 10.20, 350_000),
    m(756, "Ikast-Brande", M, 56.14, 9.16, 41_500),
    m(760, "Ringkøbing-Skjern", M, 56.09, 8.24, 56_500),
    m(766, "Hedensted", M, 55.77, 9.70, 47_000),
    m(773, "Morsø", N, 56.79, 8.86, 20_000),
    m(779, "Skive", M, 56.57, 9.03, 46_000),
    m(787, "Thisted", N, 56.96, 8.69, 43_500),
    m(791, "Viborg", M, 56.45, 9.40, 97_000),
    m(810, "Brønderslev", N, 57.27, 9.94, 36_000),
    m(813, "Frederikshavn", N, 57.44, 10.54, 59_500),
    m(820, "Vesthimmerlands", N, 56.80, 9.52, 36_500),
    m(825, "Læsø", N, 57.26, 10.99, 1_800),
    m(840, "Rebild", N, 56.89, 9.84, 30_000),
    m(846, "Mariagerfjord", N, 56.64, 9.79, 42_000),
    m(849, "Jammerbugt", N, 57.16, 9.73, 38_500),
    m(851, "Aalborg", N, 57.05, 9.92, 218_000),
    m(860, "Hjørring", N, 57.46, 9.98, 64_000),
];

/// All 98 municipalities, sorted by code.
pub fn all() -> &'static [Municipality] {
    &MUNICIPALITIES
}

fn find(code: u16) -> Option<&'static Municipality> {
    MUNICIPALITIES
        .binary_search_by_key(&code, |m| m.code)
        .ok()
        .map(|idx| &MUNICIPALITIES[idx])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn exactly_98() {
        assert_eq!(all().len(), 98);
    }

    #[test]
    fn codes_unique_and_sorted() {
        let codes: Vec<u16> = all().iter().map(|m| m.code).collect();
        assert!(codes.windows(2).all(|w| w[0] < w[1]), "not strictly sorted");
        let set: HashSet<u16> = codes.iter().copied().collect();
        assert_eq!(set.len(), 98);
        let names: HashSet<&str> = all().iter().map(|m| m.name).collect();
        assert_eq!(names.len(), 98);
        assert!(codes.iter().all(|&c| (101..=860).contains(&c)));
        assert!(!codes.contains(&411), "Christiansø is not a municipality");
    }

    #[test]
    fn region_counts() {
        let count = |r: Region| all().iter().filter(|m| m.region == r).count();
        assert_eq!(count(Region::Hovedstaden), 29);
        assert_eq!(count(Region::Sjaelland), 17);
        assert_eq!(count(Region::Syddanmark), 22);
        assert_eq!(count(Region::Midtjylland), 19);
        assert_eq!(count(Region::Nordjylland), 11);
    }

    #[test]
    fn spot_check_regions() {
        let region = |c: u16| MunicipalityCode::new(c).unwrap().region();
        assert_eq!(region(101), Region::Hovedstaden);
        assert_eq!(region(400), Region::Hovedstaden);
        assert_eq!(region(253), Region::Sjaelland);
        assert_eq!(region(461), Region::Syddanmark);
        assert_eq!(region(630), Region::Syddanmark);
        assert_eq!(region(615), Region::Midtjylland);
        assert_eq!(region(751), Region::Midtjylland);
        assert_eq!(region(773), Region::Nordjylland);
        assert_eq!(region(851), Region::Nordjylland);
    }

    #[test]
    fn coordinates_inside_denmark() {
        for m in all() {
            assert!(
                (54.5..=57.8).contains(&m.lat) && (8.0..=15.2).contains(&m.lon),
                "{} ({}) outside Denmark: {}, {}",
                m.name,
                m.code,
                m.lat,
                m.lon
            );
        }
    }

    #[test]
    fn population_total() {
        let total: u64 = all().iter().map(|m| u64::from(m.population)).sum();
        assert!(
            (5_700_000..=6_000_000).contains(&total),
            "total population {total}"
        );
        assert!(all().iter().all(|m| m.population > 0));
    }

    #[test]
    fn unknown_codes_err() {
        assert!(MunicipalityCode::new(999).is_err());
        assert!(MunicipalityCode::new(411).is_err());
        assert!(MunicipalityCode::new(0).is_err());
        assert!(MunicipalityCode::try_from(999u16).is_err());
        let err = MunicipalityCode::new(999).unwrap_err();
        assert_eq!(err.to_string(), "999 is not a Danish municipality code");
    }

    #[test]
    fn every_listed_code_is_valid() {
        for m in all() {
            let code = MunicipalityCode::new(m.code).unwrap();
            assert_eq!(code.get(), m.code);
            assert_eq!(code.info().name, m.name);
            assert_eq!(u16::from(code), m.code);
        }
    }

    #[test]
    fn display_zero_padded() {
        assert_eq!(MunicipalityCode::new(101).unwrap().to_string(), "101");
        assert_eq!(MunicipalityCode::new(851).unwrap().to_string(), "851");
        assert_eq!(format!("{}", MunicipalityCode(7)), "007");
    }

    #[test]
    fn regions() {
        for r in Region::ALL {
            assert_eq!(Region::from_code(r.code()), Some(r));
            assert!(r.name().starts_with("Region "));
        }
        assert_eq!(Region::Sjaelland.name(), "Region Sjælland");
        assert_eq!(Region::Hovedstaden.code(), 1084);
        assert_eq!(Region::Nordjylland.code(), 1081);
        assert_eq!(Region::from_code(1080), None);
    }

    #[test]
    fn serde_round_trip() {
        let code = MunicipalityCode::new(851).unwrap();
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, "851");
        let back: MunicipalityCode = serde_json::from_str(&json).unwrap();
        assert_eq!(back, code);
        assert!(serde_json::from_str::<MunicipalityCode>("999").is_err());

        let region_json = serde_json::to_string(&Region::Sjaelland).unwrap();
        let region: Region = serde_json::from_str(&region_json).unwrap();
        assert_eq!(region, Region::Sjaelland);
    }
}
