//! Who may act for a citizen. A helper's token says who they are (and, for a municipal
//! citizen-service worker, which municipality they work for); whether they may act for
//! this citizen is decided here, from the population register and the powers of
//! attorney. Pure: the facts come in, the decision goes out.

/// A helper's own id as their eID gives it (`act.sub`): not empty, at most 128
/// characters, printable, and never a CPR number (it is shown to the citizen and logged).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct HelperId(String);

impl HelperId {
    pub fn parse(s: &str) -> Result<HelperId, &'static str> {
        let s = s.trim();
        if s.is_empty() || s.chars().count() > 128 {
            return Err("the helper id must be 1 to 128 characters");
        }
        if s.chars().any(char::is_control) {
            return Err("the helper id must not contain control characters");
        }
        if identity::Cpr::parse(s).is_ok() {
            return Err("the helper id is the helper's own id, not a CPR number");
        }
        Ok(HelperId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a helper may act for a citizen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// A municipal worker, for a citizen registered in their municipality.
    Municipality,
    /// The citizen granted this helper a power of attorney.
    PowerOfAttorney,
}

/// Why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A municipal worker, for a citizen of another municipality (or not in the
    /// population register), who has granted them no power of attorney.
    OutsideMunicipality,
    /// A helper without a municipality (a relative) whom the citizen has not granted a
    /// power of attorney.
    NoPowerOfAttorney,
}

impl Refusal {
    /// The problem code the helper is answered with, and the audit log's reason.
    pub fn code(self) -> &'static str {
        match self {
            Refusal::OutsideMunicipality => "outside_municipality",
            Refusal::NoPowerOfAttorney => "no_power_of_attorney",
        }
    }
}

/// The facts the decision needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// The municipality the helper's token names, if they are a municipal worker.
    pub helper_municipality: Option<u16>,
    /// The citizen's municipality in the population register, if registered.
    pub citizen_municipality: Option<i16>,
    /// A live power of attorney from the citizen to this helper.
    pub granted: bool,
}

/// A power of attorney counts for anyone; a municipality only for its own citizens.
pub fn decide(f: Facts) -> Result<Basis, Refusal> {
    if f.granted {
        return Ok(Basis::PowerOfAttorney);
    }
    match f.helper_municipality {
        Some(m)
            if f.citizen_municipality
                .is_some_and(|c| i32::from(c) == i32::from(m)) =>
        {
            Ok(Basis::Municipality)
        }
        Some(_) => Err(Refusal::OutsideMunicipality),
        None => Err(Refusal::NoPowerOfAttorney),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(helper: Option<u16>, citizen: Option<i16>, granted: bool) -> Facts {
        Facts {
            helper_municipality: helper,
            citizen_municipality: citizen,
            granted,
        }
    }

    #[test]
    fn helper_ids_are_their_own_ids() {
        assert_eq!(
            HelperId::parse(" datter-anna ").unwrap().as_str(),
            "datter-anna"
        );
        for bad in ["", "  ", "0101701234", "a\nb", &"x".repeat(129)] {
            assert!(HelperId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn municipal_workers_for_their_citizens_relatives_with_a_grant() {
        assert_eq!(
            decide(facts(Some(101), Some(101), false)),
            Ok(Basis::Municipality)
        );
        assert_eq!(
            decide(facts(Some(101), Some(751), false)),
            Err(Refusal::OutsideMunicipality)
        );
        assert_eq!(
            decide(facts(Some(101), None, false)),
            Err(Refusal::OutsideMunicipality)
        );
        assert_eq!(
            decide(facts(None, Some(101), false)),
            Err(Refusal::NoPowerOfAttorney)
        );
        assert_eq!(decide(facts(None, None, true)), Ok(Basis::PowerOfAttorney));
        // A grant lets a worker help a citizen of another municipality too.
        assert_eq!(
            decide(facts(Some(101), Some(751), true)),
            Ok(Basis::PowerOfAttorney)
        );
    }
}
