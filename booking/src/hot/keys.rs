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

    /// The invitation gate's bucket that holds a citizen's invitations: a hash whose
    /// fields are [`gate_field`]s. Buckets go by the pseudonym's first three hex digits
    /// (4,096 of them, spread over the cluster), so opening a wave of a million is a few
    /// thousand multi-field `HSET`s instead of a command per citizen.
    pub fn invitations(&self, pseudonym: &str) -> String {
        self.invitation_bucket(gate_bucket(pseudonym))
    }

    /// The gate bucket named by [`gate_bucket`].
    pub fn invitation_bucket(&self, bucket: &str) -> String {
        format!("{}{{inv:{}}}", self.prefix, bucket)
    }

    /// A citizen's state-changing requests in the current rate-limit window.
    pub fn citizen_limit(&self, pseudonym: &str) -> String {
        format!("{}{{cit:{}}}:rl", self.prefix, pseudonym)
    }

    /// Where a citizen's Idempotency-Key records start (the hashed key follows), kept
    /// apart for each helper acting for them. Under the citizen's tag, beside the
    /// rate-limit counter: the claim and the count are one script.
    pub fn citizen_records(&self, pseudonym: &str, helper: Option<&str>) -> String {
        match helper {
            Some(h) => format!("{}{{cit:{}}}:idem:h:{}:", self.prefix, pseudonym, h),
            None => format!("{}{{cit:{}}}:idem:c:", self.prefix, pseudonym),
        }
    }

    /// Where an authority's Idempotency-Key records start.
    pub fn authority_records(&self, authority: &str) -> String {
        format!("{}{{idem:a:{}}}:", self.prefix, authority)
    }

    /// "The mirror was built since this Redis lost its data": one per marker tag
    /// (`RedisConn::marker_tags`), spread over the cluster's hash slots.
    pub fn epoch(&self, tag: &str) -> String {
        format!("{}mirror-epoch:{{{}}}", self.prefix, tag)
    }
}

/// The gate bucket of a pseudonym (hex): its first three digits.
pub fn gate_bucket(pseudonym: &str) -> &str {
    pseudonym.get(..3).unwrap_or(pseudonym)
}

/// The field of a gate bucket that says "this citizen is invited to this campaign".
pub fn gate_field(pseudonym: &str, campaign: i64) -> String {
    format!("{pseudonym}:{campaign}")
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
    fn citizens_share_gate_buckets_by_their_first_digits() {
        let k = Keys::new("bk:");
        assert_eq!(k.invitations("a1f09c"), "bk:{inv:a1f}");
        assert_eq!(k.invitations("a1f77e"), k.invitations("a1f09c"));
        assert_ne!(k.invitations("a1e09c"), k.invitations("a1f09c"));
        assert_eq!(gate_bucket("ab"), "ab");
        assert_eq!(gate_field("a1f09c", 7), "a1f09c:7");
    }

    #[test]
    fn a_citizens_records_share_the_tag_of_their_rate_limit() {
        let k = Keys::new("bk:");
        assert_eq!(k.citizen_limit("a1f0"), "bk:{cit:a1f0}:rl");
        assert_eq!(k.citizen_records("a1f0", None), "bk:{cit:a1f0}:idem:c:");
        assert_eq!(
            k.citizen_records("a1f0", Some("h-7")),
            "bk:{cit:a1f0}:idem:h:h-7:"
        );
        assert_eq!(k.authority_records("ssi"), "bk:{idem:a:ssi}:");
    }

    #[test]
    fn braces_in_prefix_are_dropped() {
        assert_eq!(Keys::new("{x}:").slot(SlotId(1)), "x:{slot:1}");
    }
}
