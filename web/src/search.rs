//! Finding a site: by municipality, by postcode, or nearest to a point. Pure: it turns
//! the search form into a plan and ranks the sites the booking API returned.
//!
//! The booking API filters by municipality and sorts by distance from a point; a
//! postcode has no coordinates of its own, so sites with that postcode come first, then
//! the rest by distance from them (or, when no site has the postcode, from the site whose
//! postcode is numerically closest: Danish postcodes run roughly by area).

use booking::domain::municipality;
use serde::Deserialize;

use crate::api::Site;

/// The search form as typed (strings, so a bad value gets a message, not a 400).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchForm {
    #[serde(default)]
    pub municipality: Option<String>,
    #[serde(default)]
    pub postcode: Option<String>,
    #[serde(default)]
    pub lat: Option<String>,
    #[serde(default)]
    pub lon: Option<String>,
    /// The booking being moved, if any (carried along the pages).
    #[serde(default, rename = "move")]
    pub moving: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SearchPlan {
    /// Nothing asked yet: show the form only.
    Nothing,
    Municipality(u16),
    Postcode(String),
    Near {
        lat: f64,
        lon: f64,
    },
}

/// What was wrong with the form; each has a message in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchInputError {
    UnknownMunicipality,
    BadPostcode,
    BadLocation,
}

impl SearchInputError {
    pub fn message_key(self) -> &'static str {
        match self {
            SearchInputError::UnknownMunicipality => "err_unknown_municipality",
            SearchInputError::BadPostcode => "err_bad_postcode",
            SearchInputError::BadLocation => "err_bad_location",
        }
    }
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// What to search for. A location (from "use my location") wins over a postcode, a
/// postcode over a municipality: the most precise thing the person gave.
pub fn plan(form: &SearchForm) -> Result<SearchPlan, SearchInputError> {
    match (non_empty(&form.lat), non_empty(&form.lon)) {
        (Some(lat), Some(lon)) => {
            let (Ok(lat), Ok(lon)) = (lat.parse::<f64>(), lon.parse::<f64>()) else {
                return Err(SearchInputError::BadLocation);
            };
            // Denmark with a margin (Bornholm, Skagen, the German border).
            if !(53.5..=58.5).contains(&lat) || !(7.0..=16.0).contains(&lon) {
                return Err(SearchInputError::BadLocation);
            }
            return Ok(SearchPlan::Near { lat, lon });
        }
        (None, None) => {}
        _ => return Err(SearchInputError::BadLocation),
    }
    if let Some(pc) = non_empty(&form.postcode) {
        let ok = pc.len() == 4 && pc.bytes().all(|b| b.is_ascii_digit()) && !pc.starts_with('0');
        return if ok {
            Ok(SearchPlan::Postcode(pc.to_owned()))
        } else {
            Err(SearchInputError::BadPostcode)
        };
    }
    if let Some(m) = non_empty(&form.municipality) {
        let code: u16 = m
            .parse()
            .map_err(|_| SearchInputError::UnknownMunicipality)?;
        municipality::MunicipalityCode::new(code)
            .map_err(|_| SearchInputError::UnknownMunicipality)?;
        return Ok(SearchPlan::Municipality(code));
    }
    Ok(SearchPlan::Nothing)
}

/// The 98 municipalities, by name, for the select list.
pub fn municipalities() -> Vec<(u16, &'static str)> {
    let mut all: Vec<(u16, &'static str)> = municipality::all()
        .iter()
        .map(|m| (m.code, m.name))
        .collect();
    all.sort_by(|a, b| a.1.cmp(b.1));
    all
}

/// Great-circle distance in km.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// Sites with `postcode` first, then the rest nearest first from where those are.
pub fn rank_by_postcode(mut sites: Vec<Site>, postcode: &str) -> Vec<Site> {
    let target: i64 = postcode.parse().unwrap_or(0);
    let number = |s: &Site| s.postcode.parse::<i64>().unwrap_or(i64::MAX / 2);
    let Some(anchor) = sites
        .iter()
        .min_by_key(|s| ((number(s) - target).abs(), s.id))
        .map(|s| (s.location.lat, s.location.lon))
    else {
        return sites;
    };
    for s in &mut sites {
        let d = distance_km(anchor, (s.location.lat, s.location.lon));
        s.distance_km = Some((d * 10.0).round() / 10.0);
    }
    sites.sort_by(|a, b| {
        let exact = |s: &Site| s.postcode != postcode;
        exact(a).cmp(&exact(b)).then(
            a.distance_km
                .partial_cmp(&b.distance_km)
                .unwrap_or(std::cmp::Ordering::Equal),
        )
    });
    sites
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Location, Site};

    fn form(m: &str, p: &str, lat: &str, lon: &str) -> SearchForm {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        SearchForm {
            municipality: some(m),
            postcode: some(p),
            lat: some(lat),
            lon: some(lon),
            moving: None,
        }
    }

    #[test]
    fn the_most_precise_input_wins_and_bad_input_is_named() {
        assert_eq!(plan(&form("", "", "", "")), Ok(SearchPlan::Nothing));
        assert_eq!(
            plan(&form("751", "", "", "")),
            Ok(SearchPlan::Municipality(751))
        );
        assert_eq!(
            plan(&form("751", "8000", "", "")),
            Ok(SearchPlan::Postcode("8000".into()))
        );
        assert_eq!(
            plan(&form("751", "8000", "56.1", "10.2")),
            Ok(SearchPlan::Near {
                lat: 56.1,
                lon: 10.2
            })
        );
        assert_eq!(
            plan(&form("999", "", "", "")),
            Err(SearchInputError::UnknownMunicipality)
        );
        assert_eq!(
            plan(&form("abc", "", "", "")),
            Err(SearchInputError::UnknownMunicipality)
        );
        for bad in ["800", "80000", "0800", "8OOO"] {
            assert_eq!(
                plan(&form("", bad, "", "")),
                Err(SearchInputError::BadPostcode),
                "{bad}"
            );
        }
        assert_eq!(
            plan(&form("", "", "40.0", "10.0")),
            Err(SearchInputError::BadLocation)
        );
        assert_eq!(
            plan(&form("", "", "56.0", "")),
            Err(SearchInputError::BadLocation)
        );
        assert_eq!(municipalities().len(), 98);
    }

    fn site(id: i64, postcode: &str, lat: f64, lon: f64) -> Site {
        Site {
            id,
            name: format!("site {id}"),
            address: String::new(),
            postcode: postcode.into(),
            municipality_code: 101,
            municipality: String::new(),
            location: Location { lat, lon },
            distance_km: None,
            campaigns: vec![],
        }
    }

    #[test]
    fn postcode_matches_first_then_nearest() {
        let sites = vec![
            site(1, "9000", 57.05, 9.92),  // Aalborg
            site(2, "8200", 56.17, 10.19), // Aarhus N
            site(3, "8000", 56.15, 10.21), // Aarhus C
            site(4, "8000", 56.16, 10.20),
            site(5, "2100", 55.70, 12.57), // København Ø
        ];
        let ranked = rank_by_postcode(sites.clone(), "8000");
        let ids: Vec<i64> = ranked.iter().map(|s| s.id).collect();
        assert_eq!(&ids[..2], &[3, 4]);
        assert_eq!(ids[2], 2);
        // No site with the postcode: the numerically closest (8200) anchors the order.
        let ranked = rank_by_postcode(sites, "8210");
        assert_eq!(ranked[0].id, 2);
        assert!(ranked.last().map(|s| s.id) == Some(5) || ranked.last().map(|s| s.id) == Some(1));
        assert!(distance_km((56.15, 10.21), (55.70, 12.57)) > 150.0);
    }
}
