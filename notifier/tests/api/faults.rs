//! Gateway faults, crashes and concurrent workers: still exactly one letter each.

use crate::helpers::TestApp;
use notifier::settings::FaultSettings;
use notifier::sim::memo::MessageKind;
use std::collections::HashSet;

const CPR: &str = "0101801234";

#[tokio::test]
async fn retries_after_injected_500s_then_delivers() {
    let app = TestApp::spawn().await;
    app.citizen(CPR, "digital", false, "da").await;
    app.sim.state.set_faults(FaultSettings {
        fail_next: 2,
        ..FaultSettings::default()
    });
    let id = app.enqueue("invitation", CPR, app.invitation()).await;

    let first = app.worker.drain().await.unwrap();
    assert_eq!(first.retried, 1);
    let row = app.row(id).await;
    assert_eq!(row.status, "queued");
    assert!(row.last_error.unwrap().contains("500"));
    // Not due yet: a second drain does nothing until the backoff has passed.
    assert_eq!(app.worker.drain().await.unwrap().retried, 0);

    app.drain_all().await;
    let row = app.row(id).await;
    assert_eq!(row.status, "delivered");
    assert_eq!(row.attempts, 3);
    assert!(row.last_error.is_none());
    assert_eq!(app.sim.state.inbox(CPR, MessageKind::DigitalPost).len(), 1);
}

#[tokio::test]
async fn throttling_is_retried() {
    let app = TestApp::spawn().await;
    app.sim.state.set_faults(FaultSettings {
        throttle_next: 1,
        ..FaultSettings::default()
    });
    let id = app.enqueue("invitation", CPR, app.invitation()).await;
    app.drain_all().await;
    assert_eq!(app.row(id).await.status, "delivered");
    assert_eq!(app.sim.state.messages().len(), 1);
}

#[tokio::test]
async fn dead_letter_after_max_attempts_with_the_reason() {
    let app = TestApp::spawn().await;
    app.sim.state.set_faults(FaultSettings {
        fail_next: 100,
        ..FaultSettings::default()
    });
    let id = app.enqueue("invitation", CPR, app.invitation()).await;
    app.drain_all().await;
    let row = app.row(id).await;
    assert_eq!(row.status, "dead");
    assert_eq!(row.attempts, 3);
    let reason = row.last_error.unwrap();
    assert!(reason.contains("gave up after 3 attempts"), "{reason}");
    assert!(reason.contains("injected fault"), "{reason}");
    assert!(app.sim.state.messages().is_empty());
}

#[tokio::test]
async fn a_permanent_rejection_is_dead_lettered_at_once() {
    let app = TestApp::spawn().await;
    app.sim.state.set_faults(FaultSettings {
        reject_next: 1,
        ..FaultSettings::default()
    });
    let id = app.enqueue("invitation", CPR, app.invitation()).await;
    let report = app.worker.drain().await.unwrap();
    assert_eq!(report.dead, 1);
    let row = app.row(id).await;
    assert_eq!(row.status, "dead");
    assert_eq!(row.attempts, 1);
    assert!(row.last_error.unwrap().contains("rejected as invalid"));
}

#[tokio::test]
async fn no_duplicate_letter_after_a_crash_before_marking() {
    let app = TestApp::spawn().await;
    app.citizen(CPR, "digital", false, "da").await;
    let id = app
        .enqueue("booking_confirmed", CPR, app.confirmation())
        .await;
    app.worker.drain().await.unwrap();
    // As if the worker died after sending, before marking the row delivered.
    app.execute(&format!(
        "UPDATE outbox SET status = 'queued', channel = NULL, delivered_at = NULL WHERE id = '{id}'"
    ))
    .await;
    app.worker.drain().await.unwrap();
    assert_eq!(app.sim.state.inbox(CPR, MessageKind::DigitalPost).len(), 1);
    assert_eq!(app.sim.state.duplicates(), 1);
    assert_eq!(app.row(id).await.status, "delivered");
}

#[tokio::test]
async fn a_lost_acknowledgement_does_not_make_a_second_letter() {
    let app = TestApp::spawn().await;
    app.sim.state.set_faults(FaultSettings {
        lose_ack_next: 1,
        ..FaultSettings::default()
    });
    let id = app.enqueue("invitation", CPR, app.invitation()).await;
    app.drain_all().await;
    assert_eq!(app.row(id).await.status, "delivered");
    assert_eq!(app.sim.state.inbox(CPR, MessageKind::DigitalPost).len(), 1);
    assert_eq!(app.sim.state.duplicates(), 1);
}

#[tokio::test]
async fn two_workers_deliver_each_letter_exactly_once() {
    let app = TestApp::spawn().await;
    let mut ids = HashSet::new();
    for i in 0..40 {
        let cpr = format!("01018{:05}", 10_000 + i);
        ids.insert(app.enqueue("invitation", &cpr, app.invitation()).await);
    }
    let other = app.second_worker();
    let (a, b) = tokio::join!(app.worker.drain(), other.drain());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.delivered + b.delivered, 40);
    let messages = app.sim.state.messages();
    assert_eq!(messages.len(), 40);
    let seen: HashSet<_> = messages.iter().map(|m| m.message.uuid).collect();
    assert_eq!(seen, ids);
    assert_eq!(app.sim.state.duplicates(), 0);
    assert_eq!(app.sim.state.requests(), 40);
}

#[tokio::test]
async fn a_slow_gateway_times_out_and_the_retry_still_gives_one_letter() {
    let app = TestApp::spawn().await;
    let mut settings = app.settings.clone();
    settings.gateway.timeout_ms = 100;
    let impatient = notifier::worker::Worker::new(
        app.pool.clone(),
        app.redis.clone(),
        settings,
        app.worker.clock().clone(),
    )
    .unwrap();
    app.sim.state.set_faults(FaultSettings {
        delay_ms: 1_000,
        ..FaultSettings::default()
    });
    let id = app.enqueue("invitation", CPR, app.invitation()).await;
    let report = impatient.drain().await.unwrap();
    assert_eq!(report.retried, 1);
    assert!(app.row(id).await.last_error.unwrap().contains("timed out"));

    app.sim.state.set_faults(FaultSettings::default());
    app.drain_all().await;
    assert_eq!(app.row(id).await.status, "delivered");
    assert_eq!(app.sim.state.inbox(CPR, MessageKind::DigitalPost).len(), 1);
}

#[tokio::test]
async fn an_unwritable_print_directory_means_retry_not_loss() {
    let app = TestApp::spawn().await;
    app.citizen(CPR, "exempt", false, "da").await;
    // A regular file where the print directory should be.
    let blocker = std::env::temp_dir().join(format!("notifier-blocker-{}", uuid::Uuid::now_v7()));
    std::fs::write(&blocker, b"not a directory").unwrap();
    let mut settings = app.settings.clone();
    settings.print.dir = blocker.join("print").to_string_lossy().into_owned();
    let broken = notifier::worker::Worker::new(
        app.pool.clone(),
        app.redis.clone(),
        settings,
        app.worker.clock().clone(),
    )
    .unwrap();
    let id = app.enqueue("invitation", CPR, app.invitation()).await;
    let report = broken.drain().await.unwrap();
    assert_eq!(report.retried, 1);
    let row = app.row(id).await;
    assert_eq!(row.status, "queued");
    assert!(row.last_error.unwrap().contains("print batch"));
    std::fs::remove_file(&blocker).unwrap();

    // The working worker prints it later, once.
    app.drain_all().await;
    assert_eq!(app.row(id).await.channel.as_deref(), Some("paper"));
    assert_eq!(app.batches().len(), 1);
}
