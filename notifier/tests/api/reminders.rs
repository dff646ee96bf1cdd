//! The reminder sweep and the per-wave figures.

use crate::helpers::TestApp;
use notifier::sim::memo::MessageKind;

#[tokio::test]
async fn one_reminder_per_invited_citizen_who_has_not_booked() {
    let app = TestApp::spawn().await;
    let c = app.campaign_id;
    let s = app.site_id;
    app.execute(&format!(
        "INSERT INTO cohorts (id, name, criteria) VALUES (1, 'over 80', '{{}}');
         INSERT INTO waves (id, cohort_id, campaign_id, opens_at, opened_at) VALUES
              (1, 1, {c}, now() - interval '10 days', now() - interval '10 days'),
              (2, 1, {c}, now() - interval '2 days', now() - interval '2 days');
         INSERT INTO invitations (campaign_id, cpr, wave_id, invited_at) VALUES
              ({c}, '0101801234', 1, now() - interval '10 days'),  -- due
              ({c}, '0202802345', 1, now() - interval '10 days'),  -- booked: no reminder
              ({c}, '0303803456', 2, now() - interval '2 days');   -- too recent
         INSERT INTO slots (id, site_id, campaign_id, starts_at, ends_at, capacity, booked)
              VALUES (1, {s}, {c}, now() + interval '1 day', now() + interval '1 day 10 minutes', 5, 1);
         INSERT INTO bookings (id, slot_id, campaign_id, cpr, hold_id, status)
              VALUES (gen_random_uuid(), 1, {c}, '0202802345', 'h1', 'active');"
    ))
    .await;

    let other = app.second_worker();
    let (a, b) = tokio::join!(app.worker.sweep_reminders(), other.sweep_reminders());
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(app.worker.sweep_reminders().await.unwrap(), 0);

    let client = app.pool.get().await.unwrap();
    let rows = client
        .query(
            "SELECT cpr, wave_id, payload FROM outbox WHERE kind = 'reminder'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<_, String>(0), "0101801234");
    assert_eq!(rows[0].get::<_, Option<i64>>(1), Some(1));
    let reminded: i64 = client
        .query_one(
            "SELECT count(*) FROM invitations WHERE reminded_at IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(reminded, 1);

    app.worker.drain().await.unwrap();
    let inbox = app.sim.state.inbox("0101801234", MessageKind::DigitalPost);
    assert_eq!(inbox.len(), 1);
    assert!(inbox[0].message.label.starts_with("Påmindelse"));
    assert_eq!(inbox[0].message.actions, vec!["SELVBETJENING".to_string()]);

    // Much later the sweep still finds nobody new.
    app.worker.clock().advance(chrono::Duration::days(30));
    assert_eq!(app.worker.sweep_reminders().await.unwrap(), 1); // the "too recent" one is now due
    assert_eq!(app.worker.sweep_reminders().await.unwrap(), 0);
}

#[tokio::test]
async fn the_sweep_goes_batch_by_batch_through_each_due_wave_and_reminds_once() {
    let app = TestApp::spawn().await;
    let c = app.campaign_id;
    let s = app.site_id;
    app.execute(&format!(
        "INSERT INTO cohorts (id, name, criteria) VALUES (1, 'all', '{{}}');
         INSERT INTO waves (id, cohort_id, campaign_id, opens_at, opened_at, closed_at) VALUES
              (1, 1, {c}, now() - interval '10 days', now() - interval '10 days', NULL),
              (3, 1, {c}, now() - interval '9 days', now() - interval '9 days', NULL),
              (4, 1, {c}, now() - interval '9 days', now() - interval '9 days', now());
         INSERT INTO invitations (campaign_id, cpr, wave_id, invited_at) VALUES
              ({c}, '0101801111', 1, now() - interval '10 days'),
              ({c}, '0101801112', 3, now() - interval '9 days'),
              ({c}, '0101801113', 1, now() - interval '10 days'),
              ({c}, '0101801114', 1, now() - interval '10 days'),  -- booked
              ({c}, '0101801115', 4, now() - interval '9 days'),   -- closed wave
              ({c}, '0101801116', 1, now() - interval '10 days'),
              ({c}, '0101801117', 1, now() - interval '10 days');
         INSERT INTO slots (id, site_id, campaign_id, starts_at, ends_at, capacity, booked)
              VALUES (1, {s}, {c}, now() + interval '1 day', now() + interval '1 day 10 minutes', 5, 1);
         INSERT INTO bookings (id, slot_id, campaign_id, cpr, hold_id, status)
              VALUES (gen_random_uuid(), 1, {c}, '0101801114', 'h1', 'done');"
    ))
    .await;
    let now = chrono::Utc::now();
    let cutoff = now - chrono::Duration::days(7);
    let mut batches = Vec::new();
    while let Some(n) = notifier::store::sweep_reminders(&app.pool, now, cutoff, 2)
        .await
        .unwrap()
    {
        batches.push(n);
        assert!(batches.len() < 20, "the sweep does not end: {batches:?}");
    }
    // Wave 1: 7 invitations in the campaign scanned two at a time, 4 of them its own
    // and unbooked; then wave 3's one.
    assert_eq!(batches.iter().sum::<u64>(), 5, "{batches:?}");
    assert!(batches.len() >= 5, "batches of at most 2: {batches:?}");
    assert_eq!(
        notifier::store::sweep_reminders(&app.pool, now, cutoff, 2)
            .await
            .unwrap(),
        None
    );

    let client = app.pool.get().await.unwrap();
    let reminded: Vec<(String, i64)> = client
        .query(
            "SELECT cpr, wave_id FROM outbox WHERE kind = 'reminder' ORDER BY cpr",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let expected: Vec<(String, i64)> = [
        ("0101801111", 1),
        ("0101801112", 3),
        ("0101801113", 1),
        ("0101801116", 1),
        ("0101801117", 1),
    ]
    .iter()
    .map(|(c, w)| (c.to_string(), *w))
    .collect();
    assert_eq!(reminded, expected);
    let done: Vec<i64> = client
        .query(
            "SELECT id FROM waves WHERE reminders_done_at IS NOT NULL ORDER BY id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(done, [1, 3], "the closed wave is left alone");
}

#[tokio::test]
async fn the_wave_report_counts_channels_outcomes_and_bookings() {
    let app = TestApp::spawn().await;
    let c = app.campaign_id;
    let s = app.site_id;
    app.citizen("0101801234", "digital", true, "da").await;
    app.citizen("0202802345", "exempt", false, "da").await;
    app.execute(&format!(
        "INSERT INTO cohorts (id, name, criteria) VALUES (1, 'all', '{{}}');
         INSERT INTO waves (id, cohort_id, campaign_id, opens_at, opened_at, invited)
              VALUES (1, 1, {c}, now(), now(), 3);
         INSERT INTO invitations (campaign_id, cpr, wave_id, invited_at) VALUES
              ({c}, '0101801234', 1, now()), ({c}, '0202802345', 1, now()), ({c}, '0303803456', 1, now());
         INSERT INTO outbox (id, kind, cpr, payload, wave_id) VALUES
              (gen_random_uuid(), 'invitation', '0101801234', '{{\"campaign_id\": {c}, \"wave_id\": 1}}', 1),
              (gen_random_uuid(), 'invitation', '0202802345', '{{\"campaign_id\": {c}, \"wave_id\": 1}}', 1),
              (gen_random_uuid(), 'invitation', '0303803456', '{{\"wave_id\": 1}}', 1);
         INSERT INTO slots (id, site_id, campaign_id, starts_at, ends_at, capacity, booked)
              VALUES (1, {s}, {c}, now() + interval '1 day', now() + interval '1 day 10 minutes', 5, 1);
         INSERT INTO bookings (id, slot_id, campaign_id, cpr, hold_id, status)
              VALUES (gen_random_uuid(), 1, {c}, '0202802345', 'h1', 'active');"
    ))
    .await;
    app.worker.drain().await.unwrap();
    let report = app.worker.wave_report(1).await.unwrap().unwrap();
    assert_eq!(report.eligible, 3);
    assert_eq!(report.letters, 3);
    assert_eq!(report.delivered, 2);
    assert_eq!(report.digital_post, 1);
    assert_eq!(report.paper, 1);
    assert_eq!(report.nemsms, 1);
    assert_eq!(report.dead, 1); // the payload without a campaign
    assert_eq!(report.queued, 0);
    assert_eq!(report.opened, 0);
    assert_eq!(report.booked, 1);
    assert!(app.worker.wave_report(99).await.unwrap().is_none());
}
