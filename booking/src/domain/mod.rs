//! Booking rules and types. Pure: no I/O here, so every rule is testable without servers.

pub mod attorney;
pub mod campaign;
pub mod eligibility;
pub mod ids;
pub mod municipality;
pub mod population;
pub mod site;
pub mod slotgen;

pub use campaign::{Access, CampaignCode, CampaignKind, NewCampaign};
pub use ids::{BookingId, CampaignId, Capacity, HoldId, IdempotencyKey, SiteId, SlotId};
pub use municipality::MunicipalityCode;
pub use site::{GeoPoint, NewSite};
pub use slotgen::{SlotPlan, SlotPlanError};
