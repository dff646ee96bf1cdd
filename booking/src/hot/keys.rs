//! Every Redis key the booking service uses, in one place.
//!
//! `<prefix>{slot:42}` and its `:holds` and `:owners` share the hash tag `{slot:42}`;
//! a citizen's keys share `{cit:<pseudonym>}`. The prefix goes before the tag and may
//! not contain braces, or it would become the tag.

use chrono::NaiveDate;

use crate::domain::{CampaignId, SiteId, SlotId};

#[derive(Debug, Clone)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.replace(['{', '}'], ""),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn slot(&self, slot: SlotId) -> String {
        format!("{}{{slot:{}}}", self.prefix, slot.0)
    }

    pub fn holds(&self, slot: SlotId) -> String {
        format!("{}{{slot:{}}}:holds", self.prefix, slot.0)
    }

    pub fn owners(&self, slot: SlotId) -> String {
        format!("{}{{slot:{}}}:owners", self.prefix, slot.0)
    }

    /// How often each live hold of the slot was extended (token -> count).
    pub fn hold_extensions(&self, slot: SlotId) -> String {
        format!("{}{{slot:{}}}:holds:ext", self.prefix, slot.0)
    }

    pub fn site_day(&self, site: SiteId, date: NaiveDate) -> String {
        format!("{}{{site:{}}}:day:{}", self.prefix, site.0, date)
    }

    pub fn citizen_hold(&self, pseudonym: &str, campaign: CampaignId) -> String {
        format!("{}{{cit:{}}}:hold:{}", self.prefix, pseudonym, campaign.0)
    }

    /// The campaigns a citizen is invited to (a set of campaign ids).
    pub fn citizen_invitations(&self, pseudonym: &str) -> String {
        format!("{}{{cit:{}}}:inv", self.prefix, pseudonym)
    }

    pub fn idempotency(&self, scope: &str, key_hash: &str) -> String {
        format!("{}{{idem:{}}}:{}", self.prefix, scope, key_hash)
    }

    pub fn epoch(&self) -> String {
        format!("{}mirror-epoch", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_keys_share_a_tag() {
        let k = Keys::new("bk:");
        assert_eq!(k.slot(SlotId(42)), "bk:{slot:42}");
        assert_eq!(k.holds(SlotId(42)), "bk:{slot:42}:holds");
        assert_eq!(k.owners(SlotId(42)), "bk:{slot:42}:owners");
    }

    #[test]
    fn braces_in_prefix_are_dropped() {
        assert_eq!(Keys::new("{x}:").slot(SlotId(1)), "x:{slot:1}");
    }
}
