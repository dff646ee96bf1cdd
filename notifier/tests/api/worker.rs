//! The shared rate limit and the worker loop's shutdown.

use crate::helpers::TestApp;
use notifier::ratelimit::RateLimiter;
use redis::AsyncCommands;
use std::time::Duration;

#[tokio::test]
async fn the_token_bucket_is_shared_and_keyed_without_cpr() {
    let app = TestApp::spawn().await;
    let prefix = &app.settings.redis.key_prefix;
    // One message per second: the bucket holds one token, and a second worker asking
    // right after the first must wait (unless a whole second passed in between).
    let a = RateLimiter::new(app.redis.clone(), prefix, "digital_post", 1);
    let b = RateLimiter::new(app.redis.clone(), prefix, "digital_post", 1);
    assert_eq!(a.try_take().await.unwrap(), None);
    let wait = b.try_take().await.unwrap().expect("the bucket is empty");
    assert!(
        wait > Duration::ZERO && wait <= Duration::from_millis(1_000),
        "{wait:?}"
    );

    // A limit of zero means no limit.
    let unlimited = RateLimiter::new(app.redis.clone(), prefix, "unlimited", 0);
    for _ in 0..100 {
        assert_eq!(unlimited.try_take().await.unwrap(), None);
    }

    let mut conn = app.redis.get();
    let keys: Vec<String> = conn.keys(format!("{prefix}*")).await.unwrap();
    assert_eq!(keys, vec![format!("{prefix}ratelimit:digital_post")]);
}

#[tokio::test]
async fn the_worker_loop_delivers_and_stops_on_the_shutdown_signal() {
    let app = TestApp::spawn().await;
    let id = app
        .enqueue("invitation", "0101801234", app.invitation())
        .await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    stop.send(()).unwrap();
    let worker = app.second_worker();
    let task = tokio::spawn(worker.run_until_stopped(async {
        let _ = stopped.await;
    }));
    tokio::time::timeout(Duration::from_secs(30), task)
        .await
        .expect("the worker stops")
        .unwrap()
        .unwrap();
    // The round in hand was finished before stopping.
    assert_eq!(app.row(id).await.status, "delivered");
    assert_eq!(app.sim.state.messages().len(), 1);
}
