//! `Idempotency-Key`: a retry of a state-changing request gets the first answer and
//! changes nothing; and the rate limit per citizen, counted in the same round trip.
//!
//! The first request with a key claims it in Redis (`SET NX`), runs, and stores its
//! answer; a retry replays that answer. A different request under the same key is
//! refused. Redis is the fast path here too: the operations are also idempotent in
//! PostgreSQL by themselves (a hold confirms once; a cancelled booking stays cancelled),
//! so a lost record never means a double booking.
//!
//! Every state-changing request of a citizen (or of a helper for them) counts against
//! the citizen's window (`limits.per_citizen`), retries included, so a bot with one
//! person's token cannot grab and drop places for ever. The count and the claim are one
//! script (`hot::limits`); a request over the limit claims nothing and gets 429 with
//! Retry-After.

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::future::{ready, Future, Ready};
use std::pin::Pin;

use crate::domain::IdempotencyKey;
use crate::error::BookingError;
use crate::hot::keys::Keys;
use crate::hot::limits::{Claim, FirstStep, Window};
use crate::hot::HotStore;

/// Whose request this is: where its Idempotency-Key records go and, for a citizen, the
/// window their changes count against.
pub struct Caller {
    records: String,
    limit: Option<(String, Window)>,
}

impl Caller {
    /// A citizen, or a helper acting for one: the helper's records apart from the
    /// citizen's own, the limit the citizen's.
    pub fn citizen(
        keys: &Keys,
        pseudonym: &str,
        helper: Option<&str>,
        limit: Option<Window>,
    ) -> Self {
        Self {
            records: keys.citizen_records(pseudonym, helper),
            limit: limit.map(|w| (keys.citizen_limit(pseudonym), w)),
        }
    }

    /// A health authority's user: not limited here.
    pub fn authority(keys: &Keys, id: &str) -> Self {
        Self {
            records: keys.authority_records(id),
            limit: None,
        }
    }

    fn counter(&self) -> Option<(&str, Window)> {
        self.limit.as_ref().map(|(key, w)| (key.as_str(), *w))
    }
}

/// Counts a change that takes no Idempotency-Key (it is idempotent by nature: releasing
/// a hold, granting or revoking a power of attorney) against the caller's window.
pub async fn count_change(hot: &HotStore, caller: &Caller) -> Result<(), BookingError> {
    let Some((counter, window)) = caller.counter() else {
        return Ok(());
    };
    match hot.count(counter, window).await {
        Some(retry_after_seconds) => Err(limited(retry_after_seconds)),
        None => Ok(()),
    }
}

fn limited(retry_after_seconds: u32) -> BookingError {
    metrics::counter!("booking_shed_total", "reason" => "rate_limited_citizen").increment(1);
    BookingError::RateLimited {
        retry_after_seconds,
    }
}

/// The optional `Idempotency-Key` header, checked.
pub struct IdempotencyHeader(pub Option<IdempotencyKey>);

impl FromRequest for IdempotencyHeader {
    type Error = BookingError;
    type Future = Ready<Result<Self, BookingError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = match req.headers().get("Idempotency-Key") {
            None => Ok(IdempotencyHeader(None)),
            Some(v) => v
                .to_str()
                .map_err(|_| "Idempotency-Key must be visible ASCII".to_owned())
                .and_then(IdempotencyKey::parse)
                .map(|k| IdempotencyHeader(Some(k)))
                .map_err(BookingError::Invalid),
        };
        ready(parsed)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
enum Record {
    Pending {
        fp: String,
    },
    Done {
        fp: String,
        status: u16,
        body: serde_json::Value,
    },
}

/// How long a claimed key blocks retries while its first request runs.
const PENDING_MS: u64 = 30_000;

/// What an operation answers, and the rest of its work: done before this request's
/// answer goes out, but not before the answer is stored, so the first Redis command of
/// each shares a round trip. A retry with the same key may be answered from the stored
/// answer while that work is still under way.
pub struct Answer<'a> {
    pub status: StatusCode,
    pub body: serde_json::Value,
    pub finish: Option<Pin<Box<dyn Future<Output = ()> + 'a>>>,
}

/// Runs `op` at most once per (caller, key), if the caller's window allows it.
/// `request` is what the caller asked (method, path, body) so a key reused for something
/// else is caught.
pub async fn once<F, Fut>(
    hot: &HotStore,
    ttl_seconds: u32,
    key: Option<&IdempotencyKey>,
    caller: &Caller,
    request: &[u8],
    op: F,
) -> Result<HttpResponse, BookingError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(StatusCode, serde_json::Value), BookingError>>,
{
    let answered = |()| async {
        op().await.map(|(status, body)| Answer {
            status,
            body,
            finish: None,
        })
    };
    once_with(hot, ttl_seconds, key, caller, request, ready(()), answered).await
}

/// [`once`] for an operation that starts with a read (`ahead`: a lookup in Redis that
/// changes nothing) and whose [`Answer`] may carry work to finish alongside storing it.
/// The read runs alongside the count and the claim, so both share a round trip; when the
/// request goes no further (over the limit, a retry) its result is dropped.
pub async fn once_with<'a, A, P, F, Fut>(
    hot: &HotStore,
    ttl_seconds: u32,
    key: Option<&IdempotencyKey>,
    caller: &Caller,
    request: &[u8],
    ahead: A,
    op: F,
) -> Result<HttpResponse, BookingError>
where
    A: Future<Output = P>,
    F: FnOnce(P) -> Fut,
    Fut: Future<Output = Result<Answer<'a>, BookingError>>,
{
    let Some(key) = key else {
        let (counted, read) = futures::join!(count_change(hot, caller), ahead);
        counted?;
        let (outcome, finish) = split(op(read).await);
        finish.await;
        return respond(outcome);
    };
    let fp = hex::encode(Sha256::digest(request));
    let redis_key = format!(
        "{}{}",
        caller.records,
        hex::encode(&Sha256::digest(key.as_str().as_bytes())[..16])
    );
    let pending = serde_json::to_string(&Record::Pending { fp: fp.clone() })
        .map_err(|e| BookingError::Internal(e.into()))?;
    let claim = Claim {
        key: &redis_key,
        pending: &pending,
        pending_ms: PENDING_MS,
    };
    let (step, read) = futures::join!(hot.first_step(caller.counter(), Some(claim)), ahead);
    match step? {
        FirstStep::Go => {}
        FirstStep::Limited {
            retry_after_seconds,
        } => return Err(limited(retry_after_seconds)),
        FirstStep::Claimed(stored) => return replay(stored.as_deref(), &fp),
    }
    let mut conn = hot.conn();
    let (outcome, finish) = split(op(read).await);
    let stored = match &outcome {
        Ok((status, body)) => Some((*status, body.clone())),
        // A refusal is an answer too; a 5xx is not, and may be retried.
        Err(e) if e.problem().status < 500 => {
            let p = e.problem();
            Some((
                p.status_code(),
                serde_json::to_value(&p).unwrap_or_default(),
            ))
        }
        Err(_) => None,
    };
    match stored {
        Some((status, body)) => {
            let done = serde_json::to_string(&Record::Done {
                fp,
                status: status.as_u16(),
                body,
            })
            .map_err(|e| BookingError::Internal(e.into()))?;
            let mut set = redis::cmd("SET");
            set.arg(&redis_key)
                .arg(done)
                .arg("EX")
                .arg(ttl_seconds.max(1));
            let record = set.query_async::<()>(&mut conn);
            let (recorded, ()) = futures::join!(record, finish);
            recorded?;
        }
        None => {
            finish.await;
            let _: () = redis::cmd("DEL")
                .arg(&redis_key)
                .query_async(&mut conn)
                .await?;
        }
    }
    respond(outcome)
}

/// A retry's answer: the first request's, if it was the same request and is done.
fn replay(stored: Option<&str>, fp: &str) -> Result<HttpResponse, BookingError> {
    match stored.and_then(|s| serde_json::from_str::<Record>(s).ok()) {
        Some(Record::Done {
            fp: f,
            status,
            body,
        }) if f == fp => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            Ok(json_response(status, &body, true))
        }
        Some(Record::Pending { fp: f }) if f == fp => Err(BookingError::RequestInProgress),
        Some(_) => Err(BookingError::IdempotencyKeyReused),
        // Expired since it was claimed: treat as in progress; the client retries.
        None => Err(BookingError::RequestInProgress),
    }
}

/// The answer, and the work left to finish as one future (done at once if none).
fn split<'a>(
    answered: Result<Answer<'a>, BookingError>,
) -> (
    Result<(StatusCode, serde_json::Value), BookingError>,
    impl Future<Output = ()> + 'a,
) {
    let (outcome, finish) = match answered {
        Ok(Answer {
            status,
            body,
            finish,
        }) => (Ok((status, body)), finish),
        Err(e) => (Err(e), None),
    };
    (outcome, async move {
        if let Some(finish) = finish {
            finish.await;
        }
    })
}

fn respond(
    outcome: Result<(StatusCode, serde_json::Value), BookingError>,
) -> Result<HttpResponse, BookingError> {
    outcome.map(|(status, body)| json_response(status, &body, false))
}

fn json_response(status: StatusCode, body: &serde_json::Value, replayed: bool) -> HttpResponse {
    let mut b = HttpResponse::build(status);
    if body.get("code").is_some() && body.get("status").is_some() && status.as_u16() >= 400 {
        b.content_type(service_kit::problem::CONTENT_TYPE);
    }
    if replayed {
        b.insert_header(("Idempotent-Replayed", "true"));
    }
    b.json(body)
}
