//! Demo data for a local run: campaigns, sites in all 98 municipalities and slots for
//! the next two weeks, created through the same operations an authority uses.
//! Idempotent: a second run adds only the slots of days that have come into range.

use chrono::{Duration, NaiveTime};

use crate::domain::campaign::CampaignName;
use crate::domain::municipality::all as municipalities;
use crate::domain::site::{Label, Postcode};
use crate::domain::{
    Access, CampaignCode, CampaignKind, Capacity, GeoPoint, MunicipalityCode, NewCampaign, NewSite,
    SiteId, SlotPlan,
};
use crate::error::{BookingError, Result};
use crate::service::Service;

const CAMPAIGNS: [(&str, &str, CampaignKind, Access); 3] = [
    (
        "pcr-test",
        "PCR-test for COVID-19",
        CampaignKind::Test,
        Access::Open,
    ),
    (
        "covid-dose-1",
        "COVID-19 vaccination, 1. stik",
        CampaignKind::Vaccination,
        Access::Invitation,
    ),
    (
        "covid-dose-2",
        "COVID-19 vaccination, 2. stik",
        CampaignKind::Vaccination,
        Access::Invitation,
    ),
];

#[derive(Debug, Default)]
pub struct Seeded {
    pub campaigns: usize,
    pub sites: usize,
    pub slots: usize,
}

fn invalid(e: String) -> BookingError {
    BookingError::Invalid(e)
}

pub async fn seed(svc: &Service) -> Result<Seeded> {
    let mut out = Seeded::default();
    let existing = svc.list_campaigns().await?;
    for (code, name, kind, access) in CAMPAIGNS {
        if existing.iter().any(|c| c.code == code) {
            continue;
        }
        svc.create_campaign(&NewCampaign {
            code: CampaignCode::parse(code).map_err(invalid)?,
            name: CampaignName::try_from(name.to_owned()).map_err(invalid)?,
            kind,
            access,
        })
        .await?;
        out.campaigns += 1;
    }

    svc.catalog.refresh().await?;
    let snapshot = svc.catalog.snapshot();
    let mut site_ids: Vec<(SiteId, bool)> = snapshot
        .sites
        .iter()
        .map(|s| (s.id, s.campaigns.len() > 1))
        .collect();
    if snapshot.sites.is_empty() {
        for m in municipalities() {
            // Roughly one site per 60,000 inhabitants, at least one per municipality.
            let count = 1 + m.population / 60_000;
            for i in 0..count {
                let vaccination = i == 0 || i % 2 == 1;
                let mut campaigns = vec![CampaignCode::parse("pcr-test").map_err(invalid)?];
                if vaccination {
                    campaigns.push(CampaignCode::parse("covid-dose-1").map_err(invalid)?);
                    campaigns.push(CampaignCode::parse("covid-dose-2").map_err(invalid)?);
                }
                let kind = if vaccination {
                    "Vaccinationscenter"
                } else {
                    "Testcenter"
                };
                let name = if count == 1 {
                    format!("{kind} {}", m.name)
                } else {
                    format!("{kind} {} {}", m.name, i + 1)
                };
                // Spread a municipality's sites a little around its main town.
                let offset = f64::from(i) * 0.012;
                let site = svc
                    .create_site(&NewSite {
                        name: Label::try_from(name).map_err(invalid)?,
                        address: Label::try_from(format!("Sundhedsvej {}", i + 1))
                            .map_err(invalid)?,
                        postcode: Postcode::try_from(demo_postcode(m.code)).map_err(invalid)?,
                        municipality_code: MunicipalityCode::new(m.code)
                            .map_err(|e| invalid(e.to_string()))?,
                        location: GeoPoint::new(m.lat + offset, m.lon - offset).map_err(invalid)?,
                        campaigns,
                    })
                    .await?;
                site_ids.push((site.id, vaccination));
                out.sites += 1;
            }
        }
    }

    let today = crate::domain::slotgen::local_date(svc.clock.now());
    let opens = NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default();
    let closes = NaiveTime::from_hms_opt(18, 0, 0).unwrap_or_default();
    for (site, vaccination) in site_ids {
        let mut codes = vec!["pcr-test"];
        if vaccination {
            codes.push("covid-dose-1");
        }
        for code in codes {
            let plan = SlotPlan {
                campaign: CampaignCode::parse(code).map_err(invalid)?,
                from: today,
                to: today + Duration::days(13),
                opens,
                closes,
                interval_minutes: 20,
                capacity: Capacity::new(if code == "pcr-test" { 6 } else { 4 }).map_err(invalid)?,
                weekdays: None,
            };
            out.slots += svc.create_slots(site, &plan).await?.created;
        }
    }
    // A relative with a power of attorney, for trying the helper pages (municipal
    // workers need no grant: they sign in with their municipality). Idempotent.
    let client = svc.client().await?;
    crate::store::attorney::grant(&**client, DEMO_GRANT.0, DEMO_GRANT.1, "seed", "demo").await?;
    Ok(out)
}

/// The demo's power of attorney: citizen 0101701234 lets `datter-anna` act for them.
pub const DEMO_GRANT: (&str, &str) = ("0101701234", "datter-anna");

/// A plausible postcode for a municipality's demo sites (the real ones come with a
/// proper address register).
fn demo_postcode(municipality: u16) -> String {
    let code = match municipality {
        101 => 1550,
        147 => 2000,
        m if m < 400 => 2600 + (m % 100) * 10,
        400 => 3700,
        m if m < 500 => 4000 + (m % 100) * 10,
        m if m < 600 => 5000 + (m % 100) * 10,
        m if m < 700 => 6000 + (m % 100) * 10,
        m if m < 800 => 7000 + (m % 100) * 10,
        m => 9000 + (m % 100) * 10,
    };
    format!("{code:04}")
}
