//! Sites: where tests and vaccinations happen.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::campaign::CampaignCode;
use super::municipality::MunicipalityCode;

/// A WGS84 position with both coordinates in range and finite.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "RawPoint")]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Deserialize)]
struct RawPoint {
    lat: f64,
    lon: f64,
}

impl TryFrom<RawPoint> for GeoPoint {
    type Error = String;
    fn try_from(p: RawPoint) -> Result<Self, String> {
        Self::new(p.lat, p.lon)
    }
}

impl GeoPoint {
    pub fn new(lat: f64, lon: f64) -> Result<Self, String> {
        if lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0 {
            Ok(Self { lat, lon })
        } else {
            Err("lat must be within ±90 and lon within ±180".into())
        }
    }

    /// Great-circle distance in kilometres (haversine).
    pub fn distance_km(self, other: GeoPoint) -> f64 {
        const EARTH_RADIUS_KM: f64 = 6371.0;
        let (la1, la2) = (self.lat.to_radians(), other.lat.to_radians());
        let dla = la2 - la1;
        let dlo = (other.lon - self.lon).to_radians();
        let a = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
    }
}

/// A Danish postcode: four digits, 0800-9999.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "8000")]
pub struct Postcode(String);

impl TryFrom<String> for Postcode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let n: Option<u16> = (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten();
        match n {
            Some(n) if n >= 800 => Ok(Self(s)),
            _ => Err("postcode must be four digits (0800-9999)".into()),
        }
    }
}

impl From<Postcode> for String {
    fn from(p: Postcode) -> String {
        p.0
    }
}

impl Postcode {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Free text shown to people: 1 to 200 printable characters after trimming.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String)]
pub struct Label(String);

impl TryFrom<String> for Label {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let t = s.trim();
        if t.is_empty() || t.chars().count() > 200 || t.chars().any(char::is_control) {
            Err("must be 1-200 printable characters".into())
        } else {
            Ok(Self(t.to_owned()))
        }
    }
}

impl From<Label> for String {
    fn from(l: Label) -> String {
        l.0
    }
}

impl Label {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSite {
    pub name: Label,
    pub address: Label,
    pub postcode: Postcode,
    #[schema(value_type = u16, example = 751)]
    pub municipality_code: MunicipalityCode,
    pub location: GeoPoint,
    /// Codes of the campaigns this site offers.
    pub campaigns: Vec<CampaignCode>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_copenhagen_aarhus() {
        let cph = GeoPoint::new(55.68, 12.57).unwrap();
        let aar = GeoPoint::new(56.16, 10.20).unwrap();
        let d = cph.distance_km(aar);
        assert!((150.0..165.0).contains(&d), "{d}");
        assert_eq!(cph.distance_km(cph), 0.0);
    }

    #[test]
    fn bad_points_and_postcodes() {
        assert!(GeoPoint::new(91.0, 0.0).is_err());
        assert!(GeoPoint::new(f64::NAN, 0.0).is_err());
        assert!(Postcode::try_from("0799".to_string()).is_err());
        assert!(Postcode::try_from("12345".to_string()).is_err());
        assert!(Postcode::try_from("8000".to_string()).is_ok());
    }

    #[test]
    fn new_site_checks_municipality() {
        let body = |m: u16| {
            format!(
                r#"{{"name":"Hal 1","address":"Vej 1","postcode":"8000","municipality_code":{m},
                "location":{{"lat":56.1,"lon":10.2}},"campaigns":["pcr-test"]}}"#
            )
        };
        assert!(serde_json::from_str::<NewSite>(&body(751)).is_ok());
        assert!(serde_json::from_str::<NewSite>(&body(999)).is_err());
    }
}
