//! A short-lived in-process copy of the availability of a site on a day.
//!
//! On opening day most requests are people (and bots) reading the same few hundred
//! site-days again and again. Each read from Redis costs a range read and two commands
//! per slot; within `booking.availability_cache_ms` every instance answers from memory
//! instead. What a reader sees may lag another instance's holds by that long; this
//! instance's own holds, bookings and cancellations drop the affected day at once. The
//! hold script in Redis stays the only judge of whether a place is free, so a stale read
//! can show a place that is gone, never take one that is not there.

use bytes::Bytes;
use chrono::NaiveDate;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use crate::domain::{CampaignId, SiteId, SlotId};
use crate::hot::SlotView;

type DayKey = (SiteId, NaiveDate);

/// Beyond this many cached days (requests for far-off dates) the cache starts over.
const MOST_DAYS: usize = 20_000;

struct Day {
    /// The service clock when the read began (tests move that clock).
    fetched_ms: i64,
    views: Arc<Vec<SlotView>>,
    /// The JSON answers made from `views`, by campaign filter: turning slots into JSON
    /// (dates above all) costs more than everything else in a read.
    bodies: Mutex<HashMap<Option<CampaignId>, Bytes>>,
}

impl Day {
    fn fresh(&self, ttl: Duration, now_ms: i64) -> bool {
        u128::try_from(now_ms - self.fetched_ms).is_ok_and(|age| age < ttl.as_millis())
    }
}

#[derive(Default)]
struct Inner {
    days: HashMap<DayKey, Day>,
    /// Which cached day a slot is on, so a change to the slot can drop it.
    day_of: HashMap<SlotId, DayKey>,
}

#[derive(Clone)]
pub struct DayCache {
    ttl: Duration,
    inner: Arc<RwLock<Inner>>,
}

impl DayCache {
    /// A zero `ttl` turns the cache off.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            inner: Arc::default(),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The day's slots if fetched less than the lifetime ago.
    pub fn get(&self, site: SiteId, date: NaiveDate, now_ms: i64) -> Option<Arc<Vec<SlotView>>> {
        if self.ttl.is_zero() {
            return None;
        }
        let inner = self.read();
        let day = inner.days.get(&(site, date))?;
        day.fresh(self.ttl, now_ms).then(|| day.views.clone())
    }

    /// The JSON answer for the day and campaign filter, if made from a fresh read.
    pub fn body(
        &self,
        site: SiteId,
        date: NaiveDate,
        campaign: Option<CampaignId>,
        now_ms: i64,
    ) -> Option<Bytes> {
        if self.ttl.is_zero() {
            return None;
        }
        let inner = self.read();
        let day = inner
            .days
            .get(&(site, date))
            .filter(|d| d.fresh(self.ttl, now_ms))?;
        let bodies = day.bodies.lock().unwrap_or_else(|p| p.into_inner());
        bodies.get(&campaign).cloned()
    }

    /// Keeps the JSON answer made from the day's cached read.
    pub fn put_body(
        &self,
        site: SiteId,
        date: NaiveDate,
        campaign: Option<CampaignId>,
        body: Bytes,
    ) {
        if let Some(day) = self.read().days.get(&(site, date)) {
            let mut bodies = day.bodies.lock().unwrap_or_else(|p| p.into_inner());
            bodies.insert(campaign, body);
        }
    }

    /// Keeps a fresh read of a day, and hands it back. A change that lands while the
    /// read is in flight may be missed for one lifetime; that is the staleness this cache
    /// allows anyway.
    pub fn put(
        &self,
        site: SiteId,
        date: NaiveDate,
        fetched_ms: i64,
        views: Vec<SlotView>,
    ) -> Arc<Vec<SlotView>> {
        let views = Arc::new(views);
        if self.ttl.is_zero() {
            return views;
        }
        let mut inner = self.write();
        if inner.days.len() >= MOST_DAYS {
            inner.days.clear();
            inner.day_of.clear();
        }
        for v in views.iter() {
            inner.day_of.insert(v.slot, (site, date));
        }
        inner.days.insert(
            (site, date),
            Day {
                fetched_ms,
                views: views.clone(),
                bodies: Mutex::default(),
            },
        );
        views
    }

    /// Forgets the day a slot is on: this instance just changed the slot.
    pub fn forget_slot(&self, slot: SlotId) {
        if self.ttl.is_zero() {
            return;
        }
        let key = match self.read().day_of.get(&slot) {
            Some(k) => *k,
            None => return,
        };
        self.write().days.remove(&key);
    }

    /// Forgets everything (an authority changed sites, slots or capacity).
    pub fn clear(&self) {
        let mut inner = self.write();
        inner.days.clear();
        inner.day_of.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(slot: i64) -> SlotView {
        SlotView {
            slot: SlotId(slot),
            campaign: CampaignId(1),
            capacity: 5,
            booked: 1,
            held: 1,
            closed: false,
            start_ms: 0,
            end_ms: 1,
        }
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    #[test]
    fn a_fresh_day_is_served_until_a_change_to_one_of_its_slots() {
        let cache = DayCache::new(Duration::from_secs(60));
        assert!(cache.get(SiteId(1), day(), 1000).is_none());
        cache.put(SiteId(1), day(), 1000, vec![view(10), view(11)]);
        cache.put(SiteId(2), day(), 1000, vec![view(20)]);
        assert_eq!(cache.get(SiteId(1), day(), 1500).unwrap().len(), 2);
        cache.forget_slot(SlotId(11));
        assert!(cache.get(SiteId(1), day(), 1500).is_none());
        assert_eq!(cache.get(SiteId(2), day(), 1500).unwrap().len(), 1);
        cache.put_body(SiteId(2), day(), None, Bytes::from_static(b"{}"));
        assert_eq!(cache.body(SiteId(2), day(), None, 1500).unwrap(), "{}");
        assert!(cache
            .body(SiteId(2), day(), Some(CampaignId(1)), 1500)
            .is_none());
        cache.clear();
        assert!(cache.get(SiteId(2), day(), 1500).is_none());
        assert!(cache.body(SiteId(2), day(), None, 1500).is_none());
        cache.forget_slot(SlotId(99));
    }

    #[test]
    fn an_old_read_is_not_served() {
        let cache = DayCache::new(Duration::from_millis(100));
        cache.put(SiteId(1), day(), 1000, vec![view(10)]);
        assert!(cache.get(SiteId(1), day(), 1099).is_some());
        assert!(cache.get(SiteId(1), day(), 1100).is_none());
        // A clock that went back does not make a read fresh for ever.
        assert!(cache.get(SiteId(1), day(), 900).is_none());
    }

    #[test]
    fn a_zero_lifetime_caches_nothing() {
        let cache = DayCache::new(Duration::ZERO);
        cache.put(SiteId(1), day(), 1000, vec![view(10)]);
        assert!(cache.get(SiteId(1), day(), 1000).is_none());
    }
}
