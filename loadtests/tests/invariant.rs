//! The invariant check against a real PostgreSQL database with the booking schema:
//! it passes on a consistent database and catches each planted violation.

use loadtests::invariant::{check, Violation};
use service_kit::settings::DatabaseSettings;
use service_kit::testing::TestDatabase;
use tokio_postgres::Client;
use uuid::Uuid;

async fn migrated() -> (TestDatabase, Client) {
    let db = TestDatabase::create().await.expect("test database");
    let settings = DatabaseSettings {
        url: db.url.clone(),
        pool_size: 2,
        migrate: true,
        replica_url: None,
    };
    let pool = service_kit::storage::postgres_pool(&settings).expect("pool");
    booking::store::migrate(&pool).await.expect("migrations");
    let (client, conn) = tokio_postgres::connect(&db.url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    (db, client)
}

/// A campaign, a site and one slot of `capacity` with `booked` consistent bookings.
async fn slot_with_bookings(db: &Client, capacity: i32, booked: i32) -> (i64, i64, Vec<Uuid>) {
    let campaign: i64 = db
        .query_one(
            "INSERT INTO campaigns (code, name, kind, access)
             VALUES ('pcr-test', 'PCR', 'test', 'open') RETURNING id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let site: i64 = db
        .query_one(
            "INSERT INTO sites (name, address, postcode, municipality_code, lat, lon)
             VALUES ('Test', 'Vej 1', '8000', 751, 56.1, 10.2) RETURNING id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let slot: i64 = db
        .query_one(
            "INSERT INTO slots (site_id, campaign_id, starts_at, ends_at, capacity, booked)
             VALUES ($1, $2, now() + interval '1 day', now() + interval '1 day 15 minutes', $3, $4)
             RETURNING id",
            &[&site, &campaign, &capacity, &booked],
        )
        .await
        .unwrap()
        .get(0);
    let mut ids = Vec::new();
    for n in 0..booked {
        ids.push(insert_booking(db, slot, campaign, &format!("01017012{n:02}")).await);
    }
    (slot, campaign, ids)
}

async fn insert_booking(db: &Client, slot: i64, campaign: i64, cpr: &str) -> Uuid {
    let id = Uuid::new_v4();
    db.execute(
        "INSERT INTO bookings (id, slot_id, campaign_id, cpr, hold_id, status)
         VALUES ($1, $2, $3, $4, $5, 'active')",
        &[&id, &slot, &campaign, &cpr, &id.to_string()],
    )
    .await
    .unwrap();
    id
}

#[tokio::test]
async fn a_consistent_database_passes() {
    let (_db, client) = migrated().await;
    let (_, _, ids) = slot_with_bookings(&client, 3, 2).await;
    let report = check(&client, &ids).await.unwrap();
    assert!(report.holds(), "{report}");
    assert_eq!(report.slots, 1);
    assert_eq!(report.active_bookings, 2);
    assert_eq!(report.confirmed_checked, 2);
}

#[tokio::test]
async fn a_slot_over_capacity_is_caught() {
    let (_db, client) = migrated().await;
    let (slot, campaign, _) = slot_with_bookings(&client, 2, 2).await;
    // A booking row written past the guarded counter (what a bug in the confirm path
    // that skipped `take_place` would leave behind).
    insert_booking(&client, slot, campaign, "0202702222").await;
    let report = check(&client, &[]).await.unwrap();
    assert!(!report.holds());
    assert!(report.violations.contains(&Violation::OverCapacity {
        slot,
        capacity: 2,
        active: 3
    }));
    assert!(report.violations.contains(&Violation::CounterOff {
        slot,
        booked: 2,
        active: 3
    }));
    assert!(
        !report.to_string().contains("0202702222"),
        "no CPR in the report"
    );
}

#[tokio::test]
async fn a_citizen_with_two_active_bookings_is_caught() {
    let (_db, client) = migrated().await;
    let (slot, campaign, _) = slot_with_bookings(&client, 5, 1).await;
    // The partial unique index forbids this; plant it behind the index's back.
    client
        .batch_execute(
            "DROP INDEX one_active_booking_per_campaign;
             UPDATE slots SET booked = booked + 1",
        )
        .await
        .unwrap();
    insert_booking(&client, slot, campaign, "0101701200").await;
    let report = check(&client, &[]).await.unwrap();
    assert_eq!(
        report.violations,
        vec![Violation::DoubleBooked {
            campaign,
            bookings: 2
        }]
    );
}

#[tokio::test]
async fn a_confirmed_response_without_a_row_is_caught() {
    let (_db, client) = migrated().await;
    let (_, _, mut ids) = slot_with_bookings(&client, 3, 1).await;
    let lost = Uuid::new_v4();
    ids.push(lost);
    let report = check(&client, &ids).await.unwrap();
    assert_eq!(
        report.violations,
        vec![Violation::ConfirmedWithoutRow { booking: lost }]
    );
}
