//! The invitation gate in Redis, at the level of the hot store: citizens in buckets by
//! pseudonym, one field per (citizen, campaign).

use booking::domain::{CampaignId, HoldId, SiteId, SlotId};
use booking::hot::{HoldOutcome, HotStore, SlotState};
use booking::settings::Settings;
use service_kit::storage::RedisPool;
use service_kit::testing::{redis_mode, redis_url, unique_redis_prefix};

#[tokio::test]
async fn the_gate_admits_exactly_the_invited_even_to_a_campaign_the_caller_has_not_seen() {
    let mut s = Settings::default();
    s.redis.mode = redis_mode();
    s.redis.url = redis_url();
    s.redis.key_prefix = unique_redis_prefix();
    let hot = HotStore::new(
        RedisPool::connect(&s.redis).await.unwrap(),
        &s.redis.key_prefix,
    );
    hot.load_scripts().await.unwrap();
    let now = chrono::Utc::now().timestamp_millis();
    for (slot, campaign) in [(1, 10), (2, 11)] {
        let state = SlotState {
            slot: SlotId(slot),
            site: SiteId(1),
            campaign: CampaignId(campaign),
            version: 1,
            capacity: 50,
            booked: 0,
            closed: false,
            invitation_only: true,
            start_ms: now + 3_600_000,
            end_ms: now + 4_200_000,
        };
        hot.apply(&state, None).await.unwrap();
    }
    // Two citizens in one bucket (the same first three digits), one in another.
    let (a, b, c) = ("a1f00000000000aa", "a1f00000000000bb", "0b200000000000cc");
    let held = |owner: &'static str, slot: i64, known: &'static [CampaignId]| {
        let hot = hot.clone();
        async move {
            let invited = hot.invitations(owner, known.to_vec()).await.unwrap();
            let outcome = hot
                .hold(
                    &HoldId::generate(SlotId(slot)),
                    owner,
                    now,
                    now + 60_000,
                    &invited,
                )
                .await
                .unwrap();
            match outcome {
                HoldOutcome::Held { .. } => true,
                HoldOutcome::NotInvited => false,
                other => panic!("{owner} on slot {slot}: {other:?}"),
            }
        }
    };
    const KNOWN: &[CampaignId] = &[CampaignId(10), CampaignId(11)];
    let known = KNOWN;
    assert!(!held(a, 1, known).await, "nobody is invited yet");
    hot.invite(&[(a.into(), 10), (a.into(), 11), (b.into(), 10)])
        .await
        .unwrap();
    assert!(held(a, 1, known).await);
    assert!(held(a, 2, known).await);
    assert!(held(b, 1, known).await);
    assert!(!held(b, 2, known).await, "b is invited to 10 only");
    assert!(!held(c, 1, known).await, "c is not invited");

    // A campaign this caller's catalog does not know yet: looked up on its own.
    assert!(held(a, 2, &[]).await);
    assert!(!held(b, 2, &[]).await);

    // One hash per bucket, one field per invitation.
    let mut conn = hot.conn();
    let fields: i64 = redis::cmd("HLEN")
        .arg(hot.keys().invitations(a))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(fields, 3);

    // Withdrawing one campaign keeps the other; inviting twice is once.
    hot.uninvite(&[(a.into(), 10)]).await.unwrap();
    assert!(!held(a, 1, known).await);
    assert!(held(a, 2, known).await);
    hot.invite(&[(b.into(), 10), (b.into(), 10)]).await.unwrap();
    assert!(held(b, 1, known).await);
    hot.uninvite(&[(a.into(), 11), (b.into(), 10)])
        .await
        .unwrap();
    let left: i64 = redis::cmd("EXISTS")
        .arg(hot.keys().invitations(a))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(left, 0, "an emptied bucket is gone");
}
