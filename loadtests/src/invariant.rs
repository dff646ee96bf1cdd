//! The booking invariant, checked straight in PostgreSQL after a load run:
//!
//! - no slot holds more active bookings than its capacity (counted from the booking
//!   rows, and from the `booked` counter, which must agree with them);
//! - no citizen has two active bookings in one campaign;
//! - every booking the service answered `201 Created` for has its row.
//!
//! It reads; it never changes anything. Reports name slots, campaigns and booking ids,
//! never a CPR number.

use std::fmt;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// One way the invariant was found broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// More active bookings than places.
    OverCapacity {
        slot: i64,
        capacity: i32,
        active: i64,
    },
    /// `slots.booked` disagrees with the active booking rows.
    CounterOff { slot: i64, booked: i32, active: i64 },
    /// A citizen with more than one active booking in a campaign (`citizens` of them).
    DoubleBooked { campaign: i64, bookings: i64 },
    /// A confirmed response whose booking is not in the database.
    ConfirmedWithoutRow { booking: Uuid },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::OverCapacity {
                slot,
                capacity,
                active,
            } => write!(
                f,
                "slot {slot}: {active} active bookings for {capacity} places"
            ),
            Violation::CounterOff {
                slot,
                booked,
                active,
            } => write!(
                f,
                "slot {slot}: booked counter {booked} but {active} active bookings"
            ),
            Violation::DoubleBooked { campaign, bookings } => write!(
                f,
                "campaign {campaign}: a citizen has {bookings} active bookings"
            ),
            Violation::ConfirmedWithoutRow { booking } => {
                write!(f, "booking {booking} was confirmed but has no row")
            }
        }
    }
}

/// What the check looked at and what it found.
#[derive(Debug, Clone, Default)]
pub struct InvariantReport {
    pub slots: i64,
    pub active_bookings: i64,
    pub confirmed_checked: usize,
    pub violations: Vec<Violation>,
}

impl InvariantReport {
    pub fn holds(&self) -> bool {
        self.violations.is_empty()
    }
}

impl fmt::Display for InvariantReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.holds() {
            write!(
                f,
                "invariant holds: {} slots, {} active bookings, {} confirmed responses all backed by a row",
                self.slots, self.active_bookings, self.confirmed_checked
            )
        } else {
            writeln!(
                f,
                "INVARIANT BROKEN: {} violation(s)",
                self.violations.len()
            )?;
            for v in self.violations.iter().take(50) {
                writeln!(f, "  - {v}")?;
            }
            Ok(())
        }
    }
}

/// Checks the invariant; `confirmed` are the booking ids the service answered 201 for.
pub async fn check(
    db: &impl GenericClient,
    confirmed: &[Uuid],
) -> Result<InvariantReport, tokio_postgres::Error> {
    let mut report = InvariantReport::default();
    let totals = db
        .query_one(
            "SELECT (SELECT count(*) FROM slots),
                    (SELECT count(*) FROM bookings WHERE status = 'active')",
            &[],
        )
        .await?;
    report.slots = totals.get(0);
    report.active_bookings = totals.get(1);

    let rows = db
        .query(
            "WITH active AS (
                 SELECT slot_id, count(*) AS n FROM bookings WHERE status = 'active' GROUP BY 1
             )
             SELECT s.id, s.capacity, s.booked, COALESCE(a.n, 0)
             FROM slots s LEFT JOIN active a ON a.slot_id = s.id
             WHERE COALESCE(a.n, 0) > s.capacity OR COALESCE(a.n, 0) <> s.booked
             ORDER BY s.id",
            &[],
        )
        .await?;
    for r in rows {
        let (slot, capacity, booked, active): (i64, i32, i32, i64) =
            (r.get(0), r.get(1), r.get(2), r.get(3));
        if active > i64::from(capacity) {
            report.violations.push(Violation::OverCapacity {
                slot,
                capacity,
                active,
            });
        }
        if active != i64::from(booked) {
            report.violations.push(Violation::CounterOff {
                slot,
                booked,
                active,
            });
        }
    }

    let rows = db
        .query(
            "SELECT campaign_id, count(*) FROM bookings WHERE status = 'active'
             GROUP BY campaign_id, cpr HAVING count(*) > 1 ORDER BY 1",
            &[],
        )
        .await?;
    for r in rows {
        report.violations.push(Violation::DoubleBooked {
            campaign: r.get(0),
            bookings: r.get(1),
        });
    }

    for chunk in confirmed.chunks(10_000) {
        let rows = db
            .query(
                "SELECT c.id FROM unnest($1::uuid[]) AS c(id)
                 WHERE NOT EXISTS (SELECT 1 FROM bookings b WHERE b.id = c.id)",
                &[&chunk],
            )
            .await?;
        for r in rows {
            report
                .violations
                .push(Violation::ConfirmedWithoutRow { booking: r.get(0) });
        }
    }
    report.confirmed_checked = confirmed.len();
    Ok(report)
}

/// Connects to `url` and checks (see [`check`]).
pub async fn check_url(url: &str, confirmed: &[Uuid]) -> anyhow::Result<InvariantReport> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    let driver = tokio::spawn(conn);
    let report = check(&client, confirmed).await;
    drop(client);
    let _ = driver.await;
    Ok(report?)
}
