//! The JSON APIs the pages stand on: the booking service (and its development identity
//! provider) and the pass service. Every call carries the signed-in person's bearer
//! token; problem+json answers become [`ApiError::Problem`] with the stable `code`,
//! which `errors` turns into words. Tokens and CPR numbers never reach a log line here.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::settings::Settings;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The API refused, with a problem+json body.
    #[error("the API answered {status} ({code})")]
    Problem {
        status: u16,
        code: String,
        detail: Option<String>,
        /// `admission_required`: the waiting room to join.
        waiting_room: Option<String>,
    },
    #[error("the API could not be reached")]
    Unreachable(#[source] reqwest::Error),
    #[error("the API answered {0} without a problem body")]
    Unexpected(u16),
    #[error("the API's answer could not be read")]
    Decode(#[source] reqwest::Error),
}

impl ApiError {
    pub fn code(&self) -> Option<&str> {
        match self {
            ApiError::Problem { code, .. } => Some(code),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Problem { status, .. } | ApiError::Unexpected(status) => Some(*status),
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize)]
struct ProblemBody {
    code: String,
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    waiting_room: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub expires_in: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Campaign {
    #[serde(default)]
    pub id: i64,
    pub code: String,
    pub name: String,
    /// `test` or `vaccination`.
    pub kind: String,
    /// `open` or `invitation`.
    pub access: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Eligibility {
    #[serde(default)]
    pub open: Vec<String>,
    #[serde(default)]
    pub invited: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SiteCampaign {
    pub code: String,
    pub name: String,
    pub free: i64,
    #[serde(default)]
    pub next_free: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Site {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub postcode: String,
    pub municipality_code: u16,
    pub municipality: String,
    pub location: Location,
    #[serde(default)]
    pub distance_km: Option<f64>,
    #[serde(default)]
    pub campaigns: Vec<SiteCampaign>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SitePage {
    pub total: usize,
    pub sites: Vec<Site>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Slot {
    pub id: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub campaign: String,
    pub capacity: i64,
    pub remaining: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SiteDay {
    pub site_id: i64,
    pub date: NaiveDate,
    pub slots: Vec<Slot>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HoldReceipt {
    pub hold_id: String,
    pub slot_id: i64,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HoldExtension {
    pub hold_id: String,
    pub expires_at: DateTime<Utc>,
    pub extensions_left: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Booking {
    pub id: String,
    pub status: String,
    pub slot_id: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub campaign_code: String,
    pub campaign_name: String,
    pub site_id: i64,
    pub site_name: String,
    pub site_address: String,
    pub site_postcode: String,
    #[serde(default)]
    pub moved_to: Option<String>,
    #[serde(default)]
    pub booked_by_helper: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor_role: String,
    pub actor_id: String,
    pub action: String,
}

/// Where a visitor stands in a waiting room of the booking service.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueuePlace {
    pub room: String,
    pub visitor: String,
    /// `before_opening`, `waiting`, `admitted`, `lapsed`, `expired` or `unknown`.
    pub state: String,
    #[serde(default)]
    pub ahead: u64,
    #[serde(default)]
    pub estimated_wait_seconds: Option<u64>,
    pub refresh_seconds: u32,
    pub lapse_seconds: u32,
    pub opens_at: DateTime<Utc>,
    #[serde(default)]
    pub admission_token: Option<String>,
    #[serde(default)]
    pub admitted_until: Option<DateTime<Utc>>,
}

/// A waiting room of the booking service, as the public sees it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WaitingRoom {
    pub name: String,
    pub opens_at: DateTime<Utc>,
    #[serde(default)]
    pub open: bool,
    pub gate_holds: bool,
    /// The campaign (code) whose holds it gates; `None`: every campaign's.
    #[serde(default)]
    pub campaign: Option<String>,
}

/// The HTTP client for both APIs. Cheap to clone.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    booking: Arc<str>,
    passes: Arc<str>,
    dev_token_url: Arc<str>,
    /// The browser a page's calls are made for: the booking service counts them against
    /// its address (`X-Forwarded-For`), not against this front end's.
    client: Option<IpAddr>,
}

impl Api {
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(u64::from(
                settings.apis.timeout_seconds.max(1),
            )))
            .build()?;
        Ok(Self {
            http,
            booking: settings.apis.booking_url.trim_end_matches('/').into(),
            passes: settings.apis.passes_url.trim_end_matches('/').into(),
            dev_token_url: settings.identity.dev_token_url.as_str().into(),
            client: None,
        })
    }

    /// This client, making its calls for the browser at `client`.
    pub fn for_client(&self, client: Option<IpAddr>) -> Api {
        Api {
            client,
            ..self.clone()
        }
    }

    fn booking(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let mut rb = self.http.request(method, format!("{}{path}", self.booking));
        if let Some(client) = self.client {
            rb = rb.header("X-Forwarded-For", client.to_string());
        }
        match token {
            Some(t) => rb.bearer_auth(t),
            None => rb,
        }
    }

    fn passes(&self, method: Method, path: &str, token: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.passes))
            .bearer_auth(token)
    }

    async fn call<T: DeserializeOwned>(rb: RequestBuilder) -> Result<T, ApiError> {
        let r = Self::send(rb).await?;
        r.json().await.map_err(ApiError::Decode)
    }

    async fn send(rb: RequestBuilder) -> Result<reqwest::Response, ApiError> {
        let r = rb.send().await.map_err(ApiError::Unreachable)?;
        if r.status().is_success() {
            return Ok(r);
        }
        let status = r.status().as_u16();
        match r.json::<ProblemBody>().await {
            Ok(p) => Err(ApiError::Problem {
                status,
                code: p.code,
                detail: p.detail,
                waiting_room: p.waiting_room,
            }),
            Err(_) => Err(ApiError::Unexpected(status)),
        }
    }

    /// DEVELOPMENT ONLY: a token from the dev identity provider.
    pub async fn dev_token(
        &self,
        request: &identity::TokenRequest,
    ) -> Result<TokenResponse, ApiError> {
        Self::call(self.http.post(&*self.dev_token_url).json(request)).await
    }

    pub async fn campaigns(&self) -> Result<Vec<Campaign>, ApiError> {
        Self::call(self.booking(Method::GET, "/v1/campaigns", None)).await
    }

    pub async fn eligibility(&self, token: &str) -> Result<Eligibility, ApiError> {
        Self::call(self.booking(Method::GET, "/v1/me/eligibility", Some(token))).await
    }

    pub async fn sites(&self, query: &[(&str, String)]) -> Result<SitePage, ApiError> {
        Self::call(self.booking(Method::GET, "/v1/sites", None).query(query)).await
    }

    /// Every open site offering `campaign` (paged through, 200 at a time).
    pub async fn all_sites(&self, campaign: &str, available: bool) -> Result<Vec<Site>, ApiError> {
        self.sites_paged(Some(campaign), available).await
    }

    /// Every open site, whatever it offers and whether or not it has free places.
    pub async fn every_site(&self) -> Result<Vec<Site>, ApiError> {
        self.sites_paged(None, false).await
    }

    async fn sites_paged(
        &self,
        campaign: Option<&str>,
        available: bool,
    ) -> Result<Vec<Site>, ApiError> {
        let mut all = Vec::new();
        loop {
            let mut query = vec![
                ("available", available.to_string()),
                ("limit", "200".to_owned()),
                ("offset", all.len().to_string()),
            ];
            if let Some(c) = campaign {
                query.push(("campaign", c.to_owned()));
            }
            let page = self.sites(&query).await?;
            let got = page.sites.len();
            all.extend(page.sites);
            if got == 0 || all.len() >= page.total {
                return Ok(all);
            }
        }
    }

    pub async fn site(&self, campaign: &str, site: i64) -> Result<Option<Site>, ApiError> {
        Ok(self
            .all_sites(campaign, false)
            .await?
            .into_iter()
            .find(|s| s.id == site))
    }

    pub async fn site_day(
        &self,
        site: i64,
        date: NaiveDate,
        campaign: &str,
    ) -> Result<SiteDay, ApiError> {
        Self::call(
            self.booking(Method::GET, &format!("/v1/sites/{site}/slots"), None)
                .query(&[
                    ("date", date.to_string()),
                    ("campaign", campaign.to_owned()),
                ]),
        )
        .await
    }

    /// Holds `slot`; `admission` is the waiting room's token while an opening is gated.
    pub async fn hold(
        &self,
        token: &str,
        slot: i64,
        admission: Option<&str>,
    ) -> Result<HoldReceipt, ApiError> {
        let mut rb = self
            .booking(Method::POST, "/v1/holds", Some(token))
            .json(&serde_json::json!({ "slot_id": slot }));
        if let Some(admission) = admission {
            rb = rb.header("Admission-Token", admission);
        }
        Self::call(rb).await
    }

    /// Every waiting room, by opening time.
    pub async fn waiting_rooms(&self) -> Result<Vec<WaitingRoom>, ApiError> {
        Self::call(self.booking(Method::GET, "/v1/waiting-rooms", None)).await
    }

    /// Creates (or changes) a waiting room: an authority's call.
    pub async fn put_waiting_room(
        &self,
        token: &str,
        room: &WaitingRoom,
        admissions_per_second: f64,
    ) -> Result<WaitingRoom, ApiError> {
        Self::call(
            self.booking(Method::POST, "/v1/waiting-rooms", Some(token))
                .json(&serde_json::json!({
                    "name": room.name, "opens_at": room.opens_at, "gate_holds": room.gate_holds,
                    "campaign": room.campaign, "admissions_per_second": admissions_per_second,
                })),
        )
        .await
    }

    /// Takes a new place in a waiting room.
    pub async fn join_queue(&self, room: &str) -> Result<QueuePlace, ApiError> {
        let path = format!("/v1/waiting-rooms/{}/visitors", encode(room));
        Self::call(self.booking(Method::POST, &path, None)).await
    }

    /// Where a visitor stands; asking keeps the place.
    pub async fn queue_place(&self, room: &str, visitor: &str) -> Result<QueuePlace, ApiError> {
        let path = format!(
            "/v1/waiting-rooms/{}/visitors/{}",
            encode(room),
            encode(visitor)
        );
        Self::call(self.booking(Method::GET, &path, None)).await
    }

    pub async fn extend_hold(&self, token: &str, hold: &str) -> Result<HoldExtension, ApiError> {
        let path = format!("/v1/holds/{}/extend", encode(hold));
        Self::call(self.booking(Method::POST, &path, Some(token))).await
    }

    pub async fn release_hold(&self, token: &str, hold: &str) -> Result<(), ApiError> {
        let path = format!("/v1/holds/{}", encode(hold));
        match Self::send(self.booking(Method::DELETE, &path, Some(token))).await {
            Ok(_) => Ok(()),
            // Gone already: what the person wanted.
            Err(ApiError::Problem { status, .. }) if status == StatusCode::GONE.as_u16() => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub async fn confirm(&self, token: &str, hold: &str, key: &str) -> Result<Booking, ApiError> {
        Self::call(
            self.booking(Method::POST, "/v1/bookings", Some(token))
                .header("Idempotency-Key", key)
                .json(&serde_json::json!({ "hold_id": hold })),
        )
        .await
    }

    pub async fn move_booking(
        &self,
        token: &str,
        booking: &str,
        hold: &str,
        key: &str,
    ) -> Result<Booking, ApiError> {
        let path = format!("/v1/bookings/{}/move", encode(booking));
        Self::call(
            self.booking(Method::POST, &path, Some(token))
                .header("Idempotency-Key", key)
                .json(&serde_json::json!({ "hold_id": hold })),
        )
        .await
    }

    pub async fn cancel(&self, token: &str, booking: &str, key: &str) -> Result<Booking, ApiError> {
        let path = format!("/v1/bookings/{}", encode(booking));
        Self::call(
            self.booking(Method::DELETE, &path, Some(token))
                .header("Idempotency-Key", key),
        )
        .await
    }

    pub async fn my_bookings(&self, token: &str) -> Result<Vec<Booking>, ApiError> {
        Self::call(self.booking(Method::GET, "/v1/me/bookings", Some(token))).await
    }

    pub async fn my_audit(&self, token: &str) -> Result<Vec<AuditEntry>, ApiError> {
        Self::call(self.booking(Method::GET, "/v1/me/audit", Some(token))).await
    }

    /// Whether this token's helper may act for its citizen: an error with the reason
    /// (`outside_municipality`, `no_power_of_attorney`) when not.
    pub async fn entitlement(&self, token: &str) -> Result<(), ApiError> {
        Self::send(self.booking(Method::GET, "/v1/me/entitlement", Some(token))).await?;
        Ok(())
    }

    pub async fn powers_of_attorney(&self, token: &str) -> Result<Vec<Grant>, ApiError> {
        Self::call(self.booking(Method::GET, "/v1/me/powers-of-attorney", Some(token))).await
    }

    pub async fn grant_power_of_attorney(&self, token: &str, helper: &str) -> Result<(), ApiError> {
        Self::send(
            self.booking(Method::POST, "/v1/me/powers-of-attorney", Some(token))
                .json(&serde_json::json!({ "helper": helper })),
        )
        .await?;
        Ok(())
    }

    /// An authority records a power of attorney given on paper, or that it ended.
    /// Whether anything changed: `false` when it stood already, or there was none to end.
    pub async fn record_paper_power_of_attorney(
        &self,
        token: &str,
        cpr: &str,
        helper: &str,
        change: PaperChange,
    ) -> Result<bool, ApiError> {
        let path = match change {
            PaperChange::Record => "/v1/powers-of-attorney",
            PaperChange::End => "/v1/powers-of-attorney/revocations",
        };
        let sent = Self::send(
            self.booking(Method::POST, path, Some(token))
                .json(&serde_json::json!({ "cpr": cpr, "helper": helper })),
        )
        .await;
        match sent {
            Ok(r) => Ok(r.status() != StatusCode::OK),
            Err(ApiError::Problem { status, .. })
                if change == PaperChange::End && status == StatusCode::NOT_FOUND.as_u16() =>
            {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    pub async fn revoke_power_of_attorney(
        &self,
        token: &str,
        helper: &str,
    ) -> Result<(), ApiError> {
        let path = format!("/v1/me/powers-of-attorney/{}", encode(helper));
        match Self::send(self.booking(Method::DELETE, &path, Some(token))).await {
            Ok(_) => Ok(()),
            // Revoked already: what the person wanted.
            Err(ApiError::Problem { status, .. }) if status == StatusCode::NOT_FOUND.as_u16() => {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreatedSite {
    pub id: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SlotsCreated {
    pub created: usize,
    pub planned: usize,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct SlotFullness {
    pub upcoming: i64,
    pub full: i64,
}

/// A live power of attorney the citizen granted (or an authority recorded).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grant {
    pub helper: String,
    pub granted_by_role: String,
    pub granted_at: DateTime<Utc>,
}

impl Api {
    /// The passes the registers support now, and those issued.
    pub async fn passes_overview(&self, token: &str) -> Result<PassOverview, ApiError> {
        Self::call(self.passes(Method::GET, "/v1/me/passes", token)).await
    }

    /// Issues the pass (or returns the live one from the same record).
    pub async fn issue_pass(&self, token: &str, kind: PassKind) -> Result<Pass, ApiError> {
        let path = kind.api_url("", "");
        Self::call(self.passes(Method::POST, &path, token)).await
    }

    pub async fn current_pass(&self, token: &str, kind: PassKind) -> Result<Pass, ApiError> {
        let path = kind.api_url("", "");
        Self::call(self.passes(Method::GET, &path, token)).await
    }

    /// The pass's QR code as PNG bytes.
    pub async fn pass_qr_png(&self, token: &str, kind: PassKind) -> Result<Vec<u8>, ApiError> {
        let r = Self::send(self.passes(Method::GET, &kind.api_url("/qr.png", ""), token)).await?;
        Ok(r.bytes().await.map_err(ApiError::Decode)?.to_vec())
    }

    /// The printable A4 pass in `lang` (`da`, `en` or `both`) as PDF bytes.
    pub async fn pass_pdf(
        &self,
        token: &str,
        kind: PassKind,
        lang: PdfLang,
    ) -> Result<Vec<u8>, ApiError> {
        let query = format!("lang={}", lang.as_str());
        let url = kind.api_url("/pass.pdf", &query);
        let r = Self::send(self.passes(Method::GET, &url, token)).await?;
        Ok(r.bytes().await.map_err(ApiError::Decode)?.to_vec())
    }
}

/// The languages a printed pass comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PdfLang {
    Da,
    En,
    Both,
}

impl PdfLang {
    pub fn parse(s: &str) -> Option<PdfLang> {
        match s {
            "da" => Some(PdfLang::Da),
            "en" => Some(PdfLang::En),
            "both" => Some(PdfLang::Both),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PdfLang::Da => "da",
            PdfLang::En => "en",
            PdfLang::Both => "both",
        }
    }
}

/// The authority's calls (cohorts and waves).
impl Api {
    pub async fn cohorts(&self, token: &str) -> Result<Vec<Cohort>, ApiError> {
        Self::call(self.booking(Method::GET, "/v1/cohorts", Some(token))).await
    }

    pub async fn cohort_count(&self, token: &str, cohort: i64) -> Result<Count, ApiError> {
        let path = format!("/v1/cohorts/{cohort}/preview");
        Self::call(self.booking(Method::GET, &path, Some(token))).await
    }

    pub async fn preview(
        &self,
        token: &str,
        criteria: &serde_json::Value,
    ) -> Result<Count, ApiError> {
        Self::call(
            self.booking(Method::POST, "/v1/cohorts/preview", Some(token))
                .json(criteria),
        )
        .await
    }

    pub async fn create_cohort(
        &self,
        token: &str,
        name: &str,
        criteria: &serde_json::Value,
        key: &str,
    ) -> Result<Cohort, ApiError> {
        Self::call(
            self.booking(Method::POST, "/v1/cohorts", Some(token))
                .header("Idempotency-Key", key)
                .json(&serde_json::json!({ "name": name, "criteria": criteria })),
        )
        .await
    }

    pub async fn waves(&self, token: &str) -> Result<Vec<Wave>, ApiError> {
        Self::call(self.booking(Method::GET, "/v1/waves", Some(token))).await
    }

    pub async fn wave(&self, token: &str, wave: i64) -> Result<WaveDetail, ApiError> {
        let path = format!("/v1/waves/{wave}");
        Self::call(self.booking(Method::GET, &path, Some(token))).await
    }

    pub async fn create_wave(
        &self,
        token: &str,
        cohort: i64,
        campaign: &str,
        opens_at: Option<DateTime<Utc>>,
        key: &str,
    ) -> Result<Wave, ApiError> {
        Self::call(
            self.booking(Method::POST, "/v1/waves", Some(token))
                .header("Idempotency-Key", key)
                .json(&serde_json::json!({ "cohort_id": cohort, "campaign": campaign, "opens_at": opens_at })),
        )
        .await
    }

    /// `POST /v1/sites` (`site` in the booking service's shape).
    pub async fn create_site(
        &self,
        token: &str,
        site: &serde_json::Value,
        key: &str,
    ) -> Result<CreatedSite, ApiError> {
        Self::call(
            self.booking(Method::POST, "/v1/sites", Some(token))
                .header("Idempotency-Key", key)
                .json(site),
        )
        .await
    }

    /// `PUT /v1/sites/{id}`.
    pub async fn update_site(
        &self,
        token: &str,
        id: i64,
        site: &serde_json::Value,
        key: &str,
    ) -> Result<CreatedSite, ApiError> {
        Self::call(
            self.booking(Method::PUT, &format!("/v1/sites/{id}"), Some(token))
                .header("Idempotency-Key", key)
                .json(site),
        )
        .await
    }

    /// `POST /v1/sites/{id}/slots`: generates a plan's slots.
    pub async fn create_slots(
        &self,
        token: &str,
        site: i64,
        plan: &serde_json::Value,
        key: &str,
    ) -> Result<SlotsCreated, ApiError> {
        Self::call(
            self.booking(
                Method::POST,
                &format!("/v1/sites/{site}/slots"),
                Some(token),
            )
            .header("Idempotency-Key", key)
            .json(plan),
        )
        .await
    }

    /// `PATCH /v1/slots/{id}`: a slot's capacity.
    pub async fn set_capacity(
        &self,
        token: &str,
        slot: i64,
        capacity: u32,
        key: &str,
    ) -> Result<(), ApiError> {
        Self::send(
            self.booking(Method::PATCH, &format!("/v1/slots/{slot}"), Some(token))
                .header("Idempotency-Key", key)
                .json(&serde_json::json!({ "capacity": capacity })),
        )
        .await?;
        Ok(())
    }

    /// Open slots ahead and how many are full.
    pub async fn slot_fullness(&self, token: &str) -> Result<SlotFullness, ApiError> {
        Self::call(self.booking(Method::GET, "/v1/slots/fullness", Some(token))).await
    }

    pub async fn create_campaign(
        &self,
        token: &str,
        campaign: &serde_json::Value,
        key: &str,
    ) -> Result<Campaign, ApiError> {
        Self::call(
            self.booking(Method::POST, "/v1/campaigns", Some(token))
                .header("Idempotency-Key", key)
                .json(campaign),
        )
        .await
    }

    pub async fn uptake(&self, token: &str, campaign: &str) -> Result<Uptake, ApiError> {
        let path = format!("/v1/campaigns/{}/uptake", encode(campaign));
        Self::call(self.booking(Method::GET, &path, Some(token))).await
    }

    pub async fn close_wave(&self, token: &str, wave: i64) -> Result<Wave, ApiError> {
        let path = format!("/v1/waves/{wave}/close");
        Self::call(self.booking(Method::POST, &path, Some(token))).await
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UptakeRow {
    pub key: String,
    #[serde(default)]
    pub name: String,
    pub citizens: i64,
    pub booked: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Uptake {
    pub campaign: String,
    #[serde(default)]
    pub by_age: Vec<UptakeRow>,
    #[serde(default)]
    pub by_municipality: Vec<UptakeRow>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Count {
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cohort {
    pub id: i64,
    pub name: String,
    #[serde(default)]
    pub criteria: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Wave {
    pub id: i64,
    pub cohort_id: i64,
    pub campaign_id: i64,
    pub opens_at: DateTime<Utc>,
    #[serde(default)]
    pub opened_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub invited: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WaveFigures {
    #[serde(default)]
    pub invited: i64,
    #[serde(default)]
    pub queued: i64,
    #[serde(default)]
    pub delivered: i64,
    #[serde(default)]
    pub opened: i64,
    #[serde(default)]
    pub failed: i64,
    /// Letters never written because the wave closed first.
    #[serde(default)]
    pub withdrawn: i64,
    #[serde(default)]
    pub paper: i64,
    #[serde(default)]
    pub booked: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WaveDetail {
    pub wave: Wave,
    #[serde(default)]
    pub figures: WaveFigures,
}

/// The passes a person can have: the three EU DCCs and the Danish domestic pass at its
/// two levels. `as_str` is the pages' path segment; `api_path` the pass service's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassKind {
    Vaccination,
    Test,
    Recovery,
    /// Level 1: only "valid until".
    Domestic1,
    /// Level 2: also name and birth date.
    Domestic2,
}

impl PassKind {
    pub fn parse(s: &str) -> Option<PassKind> {
        match s {
            "vaccination" => Some(PassKind::Vaccination),
            "test" => Some(PassKind::Test),
            "recovery" => Some(PassKind::Recovery),
            "domestic-1" => Some(PassKind::Domestic1),
            "domestic-2" => Some(PassKind::Domestic2),
            _ => None,
        }
    }

    /// From the pass service's `type` and `level`.
    pub fn of(pass_type: &str, level: Option<i16>) -> Option<PassKind> {
        match (pass_type, level) {
            ("domestic", Some(1)) => Some(PassKind::Domestic1),
            ("domestic", Some(2)) => Some(PassKind::Domestic2),
            ("domestic", _) => None,
            (other, _) => PassKind::parse(other),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PassKind::Vaccination => "vaccination",
            PassKind::Test => "test",
            PassKind::Recovery => "recovery",
            PassKind::Domestic1 => "domestic-1",
            PassKind::Domestic2 => "domestic-2",
        }
    }

    /// The pass service's path segment and query (`?level=` for the domestic pass).
    fn api_path(self) -> (&'static str, &'static str) {
        match self {
            PassKind::Vaccination => ("vaccination", ""),
            PassKind::Test => ("test", ""),
            PassKind::Recovery => ("recovery", ""),
            PassKind::Domestic1 => ("domestic", "level=1"),
            PassKind::Domestic2 => ("domestic", "level=2"),
        }
    }

    /// `/v1/me/passes/{type}{suffix}?{query}` with the level added for the domestic pass.
    pub fn api_url(self, suffix: &str, query: &str) -> String {
        let (segment, level) = self.api_path();
        let q: Vec<&str> = [query, level]
            .into_iter()
            .filter(|q| !q.is_empty())
            .collect();
        let mut url = format!("/v1/me/passes/{segment}{suffix}");
        if !q.is_empty() {
            url.push('?');
            url.push_str(&q.join("&"));
        }
        url
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PassOffer {
    #[serde(rename = "type")]
    pub pass_type: String,
    #[serde(default)]
    pub level: Option<i16>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    #[serde(default)]
    pub details: serde_json::Value,
    #[serde(default)]
    pub current_id: Option<String>,
}

impl PassOffer {
    /// None for a kind of pass these pages do not know yet (it is left out).
    pub fn kind(&self) -> Option<PassKind> {
        PassKind::of(&self.pass_type, self.level)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pass {
    pub id: String,
    /// EU DCCs only.
    #[serde(default)]
    pub uvci: Option<String>,
    #[serde(rename = "type")]
    pub pass_type: String,
    #[serde(default)]
    pub level: Option<i16>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    #[serde(default)]
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Pass {
    pub fn kind(&self) -> Option<PassKind> {
        PassKind::of(&self.pass_type, self.level)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PassOverview {
    #[serde(default)]
    pub available: Vec<PassOffer>,
    #[serde(default)]
    pub issued: Vec<Pass>,
}

/// A path segment from our own ids (hold ids, UUIDs): anything but `[A-Za-z0-9._-]`
/// is percent-encoded, so a crafted id cannot change the path.
fn encode(segment: &str) -> String {
    if segment.is_empty() || segment.bytes().all(|b| b == b'.') {
        return segment.bytes().map(|_| "%2E").collect::<String>() + "%00";
    }
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::PassKind;

    #[test]
    fn pass_kinds_map_to_the_pass_service_paths() {
        assert_eq!(PassKind::Test.api_url("", ""), "/v1/me/passes/test");
        assert_eq!(
            PassKind::Domestic2.api_url("/pass.pdf", "lang=en"),
            "/v1/me/passes/domestic/pass.pdf?lang=en&level=2"
        );
        assert_eq!(
            PassKind::Domestic1.api_url("/qr.png", ""),
            "/v1/me/passes/domestic/qr.png?level=1"
        );
        for k in [
            "vaccination",
            "test",
            "recovery",
            "domestic-1",
            "domestic-2",
        ] {
            assert_eq!(PassKind::parse(k).unwrap().as_str(), k);
        }
        assert_eq!(PassKind::of("domestic", Some(2)), Some(PassKind::Domestic2));
        assert_eq!(PassKind::of("domestic", None), None);
        assert_eq!(PassKind::of("travel", None), None);
    }

    #[test]
    fn path_segments_cannot_escape() {
        assert_eq!(super::encode("42.abc-1_x"), "42.abc-1_x");
        assert_eq!(super::encode("../../v1/x?y"), "..%2F..%2Fv1%2Fx%3Fy");
        assert_eq!(super::encode(".."), "%2E%2E%00");
        assert_eq!(super::encode(""), "%00");
    }

    #[test]
    fn calls_for_a_browser_name_its_address_to_the_booking_service() {
        let api = super::Api::new(&crate::settings::Settings::default()).unwrap();
        let forwarded = |api: &super::Api| {
            api.booking(reqwest::Method::GET, "/v1/sites", None)
                .build()
                .unwrap()
                .headers()
                .get("x-forwarded-for")
                .map(|v| v.to_str().unwrap().to_owned())
        };
        assert_eq!(forwarded(&api), None);
        let browser = api.for_client(Some("198.51.100.7".parse().unwrap()));
        assert_eq!(forwarded(&browser).as_deref(), Some("198.51.100.7"));
    }
}

/// What an authority records about a power of attorney given on paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaperChange {
    Record,
    End,
}
