//! Load shedding by admission: at most `max_in_flight` API requests at once per instance.
//! A request past the cap is answered 503 `overloaded` with Retry-After straight away:
//! it never queues behind the admitted ones, so their latency stays bounded, and it
//! never reaches PostgreSQL or Redis, so nothing half-done is left behind.
//!
//! Not every request weighs the same past capacity. A confirmation finishes what its
//! hold started; shedding it wastes the hold (and keeps its place from others until it
//! runs out), and the citizen must start over. So `limits.reserved_for_finishing` of the
//! places are kept for requests that finish a citizen's work ([`Work::Finishing`]): new
//! holds and reads are shed first, and what was started gets done.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web;
use service_kit::Problem;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use crate::settings::LimitSettings;

/// The in-flight counter shared by every worker of an instance.
#[derive(Debug, Clone)]
pub struct Admission {
    in_flight: Arc<AtomicUsize>,
    /// Requests shed since start (the waiting room's controller reads the increase).
    shed_total: Arc<AtomicU64>,
    max: usize,
    /// What requests that start new work may fill: `max` less the reserve.
    max_starting: usize,
    retry_after: u32,
}

/// What a request does, for admission past capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Finishes, gives back or keeps what a citizen has: confirming or moving with a
    /// hold (`POST /v1/bookings`, `POST /v1/bookings/{id}/move`), extending or releasing
    /// a hold (`POST /v1/holds/{id}/extend`, `DELETE /v1/holds/{id}`), and a waiting-room
    /// visitor's refresh (`GET /v1/waiting-rooms/{room}/visitors/{visitor}`): shed, it
    /// would let a place in the queue lapse while the crowd it holds back grows.
    Finishing,
    /// Everything else: new holds, reads, authorities' work.
    Starting,
}

impl Work {
    pub fn of(method: &Method, path: &str) -> Self {
        let Some(rest) = path.strip_prefix("/v1/") else {
            return Work::Starting;
        };
        // The id between a collection and its action: one non-empty segment.
        let one_segment = |s: &str| !s.is_empty() && !s.contains('/');
        let under = |collection: &str, action: &str| {
            rest.strip_prefix(collection)
                .and_then(|r| r.strip_suffix(action))
                .is_some_and(one_segment)
        };
        let finishing = match *method {
            Method::POST => {
                rest == "bookings" || under("bookings/", "/move") || under("holds/", "/extend")
            }
            Method::DELETE => rest.strip_prefix("holds/").is_some_and(one_segment),
            Method::GET => rest
                .strip_prefix("waiting-rooms/")
                .and_then(|r| r.split_once("/visitors/"))
                .is_some_and(|(room, visitor)| one_segment(room) && one_segment(visitor)),
            _ => false,
        };
        if finishing {
            Work::Finishing
        } else {
            Work::Starting
        }
    }
}

/// A request's place; gives it back when dropped (also when the client goes away).
#[derive(Debug)]
pub struct Admitted(Arc<AtomicUsize>);

impl Drop for Admitted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Admission {
    pub fn new(settings: &LimitSettings) -> Self {
        let max = settings.max_in_flight;
        // At most half the places are reserved, so new work is never shut out.
        let reserved = settings.reserved_for_finishing.min(max / 2);
        Self {
            in_flight: Arc::new(AtomicUsize::new(0)),
            shed_total: Arc::new(AtomicU64::new(0)),
            max,
            max_starting: max - reserved,
            retry_after: settings.retry_after_seconds.max(1),
        }
    }

    /// A place for `work` if one is free (always, when the limit is off).
    pub fn try_admit(&self, work: Work) -> Option<Admitted> {
        let cap = match work {
            Work::Finishing => self.max,
            Work::Starting => self.max_starting,
        };
        let before = self.in_flight.fetch_add(1, Ordering::AcqRel);
        let place = Admitted(self.in_flight.clone());
        if self.max > 0 && before >= cap {
            return None; // `place` drops here and gives the slot back
        }
        Some(place)
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    pub fn shed_total(&self) -> u64 {
        self.shed_total.load(Ordering::Relaxed)
    }

    /// The share of the in-flight cap in use now (0 when there is no cap).
    pub fn busy_fraction(&self) -> f64 {
        if self.max == 0 {
            0.0
        } else {
            self.in_flight() as f64 / self.max as f64
        }
    }

    fn shed(&self) -> Problem {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "the service is at capacity; try again in a moment",
        )
        .with_retry_after(self.retry_after)
    }
}

/// Middleware: admits or sheds. Needs `web::Data<Admission>` in the app.
pub async fn admit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if !super::guarded(req.path()) {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let Some(admission) = req.app_data::<web::Data<Admission>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    };
    match admission.try_admit(Work::of(req.method(), req.path())) {
        Some(_place) => {
            let route = service_kit::http::route_of(&req);
            let started = std::time::Instant::now();
            let res = next.call(req).await;
            if res.is_ok() {
                // Time inside the service from admission to answer: what the cap bounds.
                // A client's own figure adds its queueing and the sockets' on top.
                metrics::histogram!("booking_admitted_seconds", "route" => route)
                    .record(started.elapsed().as_secs_f64());
            }
            res.map(ServiceResponse::map_into_boxed_body)
        }
        None => {
            metrics::counter!("booking_shed_total", "reason" => "overloaded").increment(1);
            admission.shed_total.fetch_add(1, Ordering::Relaxed);
            let (req, _) = req.into_parts();
            Ok(ServiceResponse::new(req, admission.shed().to_response()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use Work::{Finishing, Starting};

    fn with_max(max: usize, reserved: usize) -> Admission {
        Admission::new(&LimitSettings {
            max_in_flight: max,
            reserved_for_finishing: reserved,
            ..LimitSettings::default()
        })
    }

    #[test]
    fn admits_up_to_the_cap_and_again_after_a_release() {
        let a = with_max(2, 0);
        let one = a.try_admit(Starting).expect("first");
        let two = a.try_admit(Starting).expect("second");
        assert!(a.try_admit(Starting).is_none(), "third is shed");
        assert!(a.try_admit(Finishing).is_none(), "no reserve");
        assert_eq!(a.in_flight(), 2, "a shed request leaves no trace");
        drop(one);
        let three = a.try_admit(Starting).expect("a place came free");
        drop((two, three));
        assert_eq!(a.in_flight(), 0);
    }

    #[test]
    fn the_reserve_is_for_finishing_work_only() {
        let a = with_max(4, 1);
        let started: Vec<_> = (0..3).map(|_| a.try_admit(Starting).unwrap()).collect();
        assert!(
            a.try_admit(Starting).is_none(),
            "new work stops short of the reserve"
        );
        let finishing = a.try_admit(Finishing).expect("the reserved place");
        assert!(a.try_admit(Finishing).is_none(), "the whole cap is taken");
        drop(started);
        let more: Vec<_> = (0..3).map(|_| a.try_admit(Finishing).unwrap()).collect();
        assert!(
            a.try_admit(Starting).is_none(),
            "finishing work may fill it all"
        );
        drop((finishing, more));
        assert_eq!(a.in_flight(), 0);
    }

    #[test]
    fn at_most_half_the_places_are_reserved() {
        let a = with_max(4, 100);
        let started: Vec<_> = (0..2).map(|_| a.try_admit(Starting).unwrap()).collect();
        assert!(a.try_admit(Starting).is_none());
        assert_eq!(started.len(), 2);
    }

    #[test]
    fn confirming_moving_extending_releasing_and_keeping_a_queue_place_finish_work() {
        for (method, path) in [
            (Method::POST, "/v1/bookings"),
            (Method::POST, "/v1/bookings/0c9a/move"),
            (Method::POST, "/v1/holds/42.ab/extend"),
            (Method::DELETE, "/v1/holds/42.ab"),
            (Method::GET, "/v1/waiting-rooms/dose-1/visitors/3f2a"),
        ] {
            assert_eq!(Work::of(&method, path), Finishing, "{method} {path}");
        }
        for (method, path) in [
            (Method::POST, "/v1/holds"),
            (Method::GET, "/v1/sites/3/slots"),
            (Method::GET, "/v1/bookings"),
            (Method::DELETE, "/v1/bookings/0c9a"),
            (Method::POST, "/v1/bookings/x"),
            (Method::POST, "/v1/bookings//move"),
            (Method::POST, "/v1/holds/a/b/extend"),
            (Method::DELETE, "/v1/holds/"),
            (Method::DELETE, "/v1/holds/a/b"),
            (Method::POST, "/bookings"),
            // Joining a queue is new work; so is asking about a visitor with no id.
            (Method::POST, "/v1/waiting-rooms/dose-1/visitors"),
            (Method::GET, "/v1/waiting-rooms/dose-1/visitors/"),
            (Method::GET, "/v1/waiting-rooms//visitors/3f2a"),
            (Method::GET, "/v1/waiting-rooms/dose-1/visitors/3f2a/x"),
        ] {
            assert_eq!(Work::of(&method, path), Starting, "{method} {path}");
        }
    }

    #[test]
    fn zero_means_no_limit() {
        let a = with_max(0, 10);
        let held: Vec<_> = (0..10_000).filter_map(|_| a.try_admit(Starting)).collect();
        assert_eq!(held.len(), 10_000);
    }
}
