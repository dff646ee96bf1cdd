//! Which campaign a slot belongs to, as this instance has seen it (a slot never changes
//! campaign, and slot ids are never reused).
//!
//! A hold reads the citizen's invitations from Redis before the hold script runs. With
//! the slot's campaign known, it asks only about that campaign, and not at all when the
//! campaign is open to everyone; a slot not seen yet asks about every campaign by
//! invitation. The hold script names the slot's campaign when it refuses someone as not
//! invited, and the hold path looks again whenever that campaign was not asked about, so
//! a missing entry costs a round trip, never a refusal.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::domain::{CampaignId, SlotId};

/// Beyond this many slots (every slot of a large country's month) the map starts over.
const MOST_SLOTS: usize = 500_000;

#[derive(Clone, Default)]
pub struct SlotCampaigns {
    inner: Arc<RwLock<HashMap<SlotId, CampaignId>>>,
}

impl SlotCampaigns {
    pub fn get(&self, slot: SlotId) -> Option<CampaignId> {
        self.inner
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&slot)
            .copied()
    }

    pub fn learn(&self, slot: SlotId, campaign: CampaignId) {
        if self.get(slot) == Some(campaign) {
            return;
        }
        let mut map = self.inner.write().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MOST_SLOTS {
            map.clear();
        }
        map.insert(slot, campaign);
    }

    /// Of the campaigns by invitation (`gated`), those a hold of `slot` must ask about.
    pub fn to_ask(&self, slot: SlotId, gated: Vec<CampaignId>) -> Vec<CampaignId> {
        match self.get(slot) {
            Some(c) if gated.contains(&c) => vec![c],
            Some(_) => Vec::new(),
            None => gated,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_slot_asks_about_its_own_campaign_only() {
        let known = SlotCampaigns::default();
        let gated = vec![CampaignId(2), CampaignId(3)];
        assert_eq!(
            known.to_ask(SlotId(1), gated.clone()),
            gated,
            "not seen yet"
        );
        known.learn(SlotId(1), CampaignId(3));
        known.learn(SlotId(2), CampaignId(7));
        assert_eq!(known.to_ask(SlotId(1), gated.clone()), vec![CampaignId(3)]);
        assert_eq!(
            known.to_ask(SlotId(2), gated),
            Vec::<CampaignId>::new(),
            "open to everyone"
        );
        assert_eq!(known.get(SlotId(2)), Some(CampaignId(7)));
        assert_eq!(known.get(SlotId(9)), None);
    }
}
