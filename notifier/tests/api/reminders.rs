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
         INSERT INTO waves (id, cohort_id, campaign_id, opens_at, opened_at, letters_done_at) VALUES
              (1, 1, {c}, now() - interval '10 days', now() - interval '10 days', now() - interval '10 days'),
              (2, 1, {c}, now() - interval '2 days', now() - interval '2 days', now() - interval '2 days');
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
         INSERT INTO waves (id, cohort_id, campaign_id, opens_at, opened_at, letters_done_at, closed_at) VALUES
              (1, 1, {c}, now() - interval '10 days', now() - interval '10 days', now() - interval '10 days', NULL),
              (3, 1, {c}, now() - interval '9 days', now() - interval '9 days', now() - interval '9 days', NULL),
              (4, 1, {c}, now() - interval '9 days', now() - interval '9 days', now() - interval '9 days', now());
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
    let done = waves_where(&client, "reminders_done_at IS NOT NULL").await;
    assert_eq!(done, [1, 3], "the closed wave is left alone");
}

#[tokio::test]
async fn the_wave_report_counts_channels_outcomes_and_bookings() {
    let app = TestApp::spawn().await;
    let c = app.campaign_id;
    let s = app.site_id;
    app.citizen("0101801234", "digital", true, "da").await;
    app.citizen("0202802345", "exempt", false, "da").await;
    // The opening wrote invitations only; the worker writes and sends their letters.
    // "12" is no CPR number: its letter is dead-lettered. Wave 2 closed before any of
    // its letters were written.
    app.execute(&format!(
        "INSERT INTO cohorts (id, name, criteria) VALUES (1, 'all', '{{}}');
         INSERT INTO waves (id, cohort_id, campaign_id, opens_at, opened_at, invited, closed_at) VALUES
              (1, 1, {c}, now(), now(), 3, NULL),
              (2, 1, {c}, now(), now(), 1, now());
         INSERT INTO invitations (campaign_id, cpr, wave_id, invited_at) VALUES
              ({c}, '0101801234', 1, now()), ({c}, '0202802345', 1, now()), ({c}, '12', 1, now()),
              ({c}, '0303803456', 2, now());
         INSERT INTO slots (id, site_id, campaign_id, starts_at, ends_at, capacity, booked)
              VALUES (1, {s}, {c}, now() + interval '1 day', now() + interval '1 day 10 minutes', 5, 1);
         INSERT INTO bookings (id, slot_id, campaign_id, cpr, hold_id, status)
              VALUES (gen_random_uuid(), 1, {c}, '0202802345', 'h1', 'active');"
    ))
    .await;
    let before = app.worker.wave_report(1).await.unwrap().unwrap();
    assert_eq!((before.letters, before.queued), (0, 3), "{before:?}");

    app.worker.drain().await.unwrap();
    let report = app.worker.wave_report(1).await.unwrap().unwrap();
    assert_eq!(report.eligible, 3);
    assert_eq!(report.letters, 3);
    assert_eq!(report.delivered, 2);
    assert_eq!(report.digital_post, 1);
    assert_eq!(report.paper, 1);
    assert_eq!(report.nemsms, 1);
    assert_eq!(report.dead, 1);
    assert_eq!(report.queued, 0);
    assert_eq!(report.withdrawn, 0);
    assert_eq!(report.opened, 0);
    assert_eq!(report.booked, 1);
    let closed = app.worker.wave_report(2).await.unwrap().unwrap();
    assert_eq!(
        (closed.letters, closed.queued, closed.withdrawn),
        (0, 0, 1),
        "{closed:?}"
    );
    assert!(app
        .sim
        .state
        .inbox("0303803456", MessageKind::DigitalPost)
        .is_empty());
    assert!(app.worker.wave_report(99).await.unwrap().is_none());
}

#[tokio::test]
async fn an_opened_waves_letters_are_written_once_each_by_workers_side_by_side() {
    let mut app = TestApp::spawn().await;
    app.settings.worker.wave_letter_batch = 3;
    app.settings.worker.batch_size = 2;
    let c = app.campaign_id;
    // Wave 1 and wave 3 share the campaign's partition, their CPR numbers interleaved;
    // wave 4 is not opened yet and wave 5 is closed.
    let mut invitations = Vec::new();
    for i in 0..40u32 {
        let wave = [1, 3, 1, 1, 3, 4, 5][i as usize % 7];
        invitations.push(format!("({c}, '{:010}', {wave}, now())", 101_800_000 + i));
    }
    app.execute(&format!(
        "INSERT INTO cohorts (id, name, criteria) VALUES (1, 'all', '{{}}');
         INSERT INTO waves (id, cohort_id, campaign_id, opens_at, opened_at, closed_at) VALUES
              (1, 1, {c}, now(), now(), NULL),
              (3, 1, {c}, now(), now(), NULL),
              (4, 1, {c}, now() + interval '1 day', NULL, NULL),
              (5, 1, {c}, now(), now(), now());
         INSERT INTO invitations (campaign_id, cpr, wave_id, invited_at) VALUES {};",
        invitations.join(", ")
    ))
    .await;
    let workers: Vec<_> = (0..3).map(|_| app.second_worker()).collect();
    // One worker writes a batch and stops there, as if killed before delivering.
    let first = notifier::store::write_wave_letters(&app.pool, chrono::Utc::now(), 3)
        .await
        .unwrap();
    assert_eq!(first, Some(2), "two of the first three are wave 1's");
    let results = futures::future::join_all(workers.iter().map(|w| w.drain())).await;
    for r in results {
        r.unwrap();
    }
    app.worker.drain().await.unwrap();

    let client = app.pool.get().await.unwrap();
    let letters = invitation_letters(&client).await;
    let expected: Vec<(String, i64, i64)> = invitations
        .iter()
        .enumerate()
        .filter_map(|(i, _)| {
            let wave = [1, 3, 1, 1, 3, 4, 5][i % 7];
            [1, 3]
                .contains(&wave)
                .then(|| (format!("{:010}", 101_800_000 + i as u32), wave, 1))
        })
        .collect();
    assert_eq!(
        letters, expected,
        "one letter per invitation of an opened wave"
    );
    let done = waves_where(&client, "letters_done_at IS NOT NULL").await;
    assert_eq!(done, [1, 3]);
    for (cpr, _, _) in &expected {
        assert_eq!(
            app.sim.state.inbox(cpr, MessageKind::DigitalPost).len(),
            1,
            "{cpr} has one letter"
        );
    }
}

/// The ids of the waves that meet a condition, in order.
async fn waves_where(client: &deadpool_postgres::Client, condition: &str) -> Vec<i64> {
    client
        .query(
            &format!("SELECT id FROM waves WHERE {condition} ORDER BY id"),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

#[tokio::test]
async fn letters_an_old_versions_opening_wrote_are_not_written_again() {
    let app = TestApp::spawn().await;
    let c = app.campaign_id;
    // Wave 1 was being opened by a booking instance of the version before V11: one part
    // committed its invitations together with their letters, the wave not opened yet.
    // Wave 2 is an opening of this version.
    app.execute(&format!(
        "INSERT INTO cohorts (id, name, criteria) VALUES (1, 'all', '{{}}');
         INSERT INTO waves (id, cohort_id, campaign_id, opens_at) VALUES
              (1, 1, {c}, now()), (2, 1, {c}, now());
         INSERT INTO invitations (campaign_id, cpr, wave_id, invited_at) VALUES
              ({c}, '0101801234', 1, now()), ({c}, '0202802345', 1, now()),
              ({c}, '0404804567', 2, now());
         INSERT INTO outbox (id, kind, cpr, payload, wave_id) VALUES
              (uuid_v7(now()), 'invitation', '0101801234', '{{\"campaign_id\": {c}, \"wave_id\": 1}}', 1),
              (uuid_v7(now()), 'invitation', '0202802345', '{{\"campaign_id\": {c}, \"wave_id\": 1}}', 1);
         UPDATE waves SET opened_at = now(), invited = 1 WHERE id = 2;"
    ))
    .await;
    app.worker.drain().await.unwrap();
    // This version completes wave 1's opening: one more citizen, then opened.
    app.execute(&format!(
        "INSERT INTO invitations (campaign_id, cpr, wave_id, invited_at)
              VALUES ({c}, '0303803456', 1, now());
         UPDATE waves SET opened_at = now(), invited = 3 WHERE id = 1;"
    ))
    .await;
    app.worker.drain().await.unwrap();

    let client = app.pool.get().await.unwrap();
    let letters = invitation_letters(&client).await;
    let expected: Vec<(String, i64, i64)> = [
        ("0101801234", 1),
        ("0202802345", 1),
        ("0303803456", 1),
        ("0404804567", 2),
    ]
    .iter()
    .map(|(cpr, wave)| (cpr.to_string(), *wave, 1))
    .collect();
    assert_eq!(letters, expected, "one letter each");
    let noted: Vec<i64> = client
        .query("SELECT wave_id FROM wave_letters_at_opening", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(noted, [1], "only the old opening's wave is noted");
    for (cpr, _, _) in &expected {
        assert_eq!(
            app.sim.state.inbox(cpr, MessageKind::DigitalPost).len(),
            1,
            "{cpr}"
        );
    }
    assert_eq!(
        waves_where(&client, "letters_done_at IS NOT NULL").await,
        [1, 2]
    );
}

/// The invitation letters in the outbox: (CPR, wave, how many), in CPR order.
async fn invitation_letters(client: &deadpool_postgres::Client) -> Vec<(String, i64, i64)> {
    client
        .query(
            "SELECT cpr, wave_id, count(*) FROM outbox WHERE kind = 'invitation'
              GROUP BY cpr, wave_id ORDER BY cpr",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}
