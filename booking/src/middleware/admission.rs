//! Load shedding by admission: at most `max_in_flight` API requests at once per instance.
//! A request past the cap is answered 503 `overloaded` with Retry-After straight away:
//! it never queues behind the admitted ones, so their latency stays bounded, and it
//! never reaches PostgreSQL or Redis, so nothing half-done is left behind.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
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
    retry_after: u32,
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
        Self {
            in_flight: Arc::new(AtomicUsize::new(0)),
            shed_total: Arc::new(AtomicU64::new(0)),
            max: settings.max_in_flight,
            retry_after: settings.retry_after_seconds.max(1),
        }
    }

    /// A place if one is free (always, when the limit is off).
    pub fn try_admit(&self) -> Option<Admitted> {
        let before = self.in_flight.fetch_add(1, Ordering::AcqRel);
        let place = Admitted(self.in_flight.clone());
        if self.max > 0 && before >= self.max {
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
    match admission.try_admit() {
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

    fn with_max(max: usize) -> Admission {
        Admission::new(&LimitSettings {
            max_in_flight: max,
            ..LimitSettings::default()
        })
    }

    #[test]
    fn admits_up_to_the_cap_and_again_after_a_release() {
        let a = with_max(2);
        let one = a.try_admit().expect("first");
        let two = a.try_admit().expect("second");
        assert!(a.try_admit().is_none(), "third is shed");
        assert_eq!(a.in_flight(), 2, "a shed request leaves no trace");
        drop(one);
        let three = a.try_admit().expect("a place came free");
        drop((two, three));
        assert_eq!(a.in_flight(), 0);
    }

    #[test]
    fn zero_means_no_limit() {
        let a = with_max(0);
        let held: Vec<_> = (0..10_000).filter_map(|_| a.try_admit()).collect();
        assert_eq!(held.len(), 10_000);
    }
}
