//! The Digital Post gateway simulator: development and tests only, never production.
//!
//! - `POST /memo` takes a MeMo message, checks it (`memo::parse_message`) and stores it
//!   by messageUUID; a repeat of a stored UUID answers 200 `duplicate` and stores
//!   nothing, so a resend never becomes a second letter.
//! - `GET /inbox/{cpr}` shows the citizen's letters, newest first; viewing one at
//!   `GET /inbox/{cpr}/{uuid}` counts as opened and adds a receipt to
//!   `GET /api/opened?after=<seq>`, which the notifier polls into `outbox.opened_at`.
//! - `GET /api/messages` lists what was stored (JSON, for tests and demos).
//! - Faults (`FaultSettings`, also `GET`/`POST /admin/faults`): fail the next N with
//!   500, throttle with 429, reject as invalid, store-but-lose-the-acknowledgement, delay.
//!
//! State is kept in memory: a restart empties the inboxes.

pub mod memo;

use actix_web::dev::{Server, ServerHandle};
use actix_web::http::StatusCode;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpResponse, HttpServer};
use chrono::{DateTime, Utc};
use quick_xml::escape::escape;
use serde::{Deserialize, Serialize};
use service_kit::http::{self as kit_http, Readiness};
use service_kit::Problem;
use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use uuid::Uuid;

use crate::domain::Cpr;
use crate::settings::{FaultSettings, SimulatorSettings};
use memo::{parse_message, MessageKind, ParsedMessage};

/// A message as the simulator keeps it.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub seq: u64,
    pub received_at: DateTime<Utc>,
    pub message: ParsedMessage,
    pub xml: String,
    pub opened_at: Option<DateTime<Utc>>,
}

/// A receipt: the citizen opened a letter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenedReceipt {
    pub seq: u64,
    pub message_uuid: Uuid,
    pub opened_at: DateTime<Utc>,
}

#[derive(Default)]
struct State {
    messages: Vec<StoredMessage>,
    by_uuid: HashMap<Uuid, usize>,
    receipts: Vec<OpenedReceipt>,
    faults: FaultSettings,
    duplicates: u64,
    requests: u64,
}

/// The simulator's memory, shared with the HTTP handlers (and with tests).
#[derive(Clone, Default)]
pub struct SimState(Arc<Mutex<State>>);

impl SimState {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A handler that panicked cannot leave the state half-changed (every change is
        // one push or one assignment), so a poisoned lock is still usable.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every stored message, oldest first.
    pub fn messages(&self) -> Vec<StoredMessage> {
        self.lock().messages.clone()
    }

    /// A citizen's messages of a kind, newest first.
    pub fn inbox(&self, cpr: &str, kind: MessageKind) -> Vec<StoredMessage> {
        let state = self.lock();
        let mut out: Vec<StoredMessage> = state
            .messages
            .iter()
            .filter(|m| m.message.recipient == cpr && m.message.kind == kind)
            .cloned()
            .collect();
        out.reverse();
        out
    }

    pub fn get(&self, uuid: Uuid) -> Option<StoredMessage> {
        let state = self.lock();
        state
            .by_uuid
            .get(&uuid)
            .and_then(|i| state.messages.get(*i))
            .cloned()
    }

    /// Repeats answered as duplicates so far.
    pub fn duplicates(&self) -> u64 {
        self.lock().duplicates
    }

    /// POSTs received so far (faulted ones included).
    pub fn requests(&self) -> u64 {
        self.lock().requests
    }

    pub fn faults(&self) -> FaultSettings {
        self.lock().faults.clone()
    }

    pub fn set_faults(&self, faults: FaultSettings) {
        self.lock().faults = faults;
    }

    /// Marks a letter opened (first time only); the receipt, if new.
    pub fn open(&self, uuid: Uuid, at: DateTime<Utc>) -> Option<OpenedReceipt> {
        let mut state = self.lock();
        let i = *state.by_uuid.get(&uuid)?;
        let message = state.messages.get_mut(i)?;
        if message.opened_at.is_some() {
            return None;
        }
        message.opened_at = Some(at);
        let receipt = OpenedReceipt {
            seq: state.receipts.len() as u64 + 1,
            message_uuid: uuid,
            opened_at: at,
        };
        state.receipts.push(receipt.clone());
        Some(receipt)
    }

    pub fn receipts_after(&self, after: u64) -> Vec<OpenedReceipt> {
        self.lock()
            .receipts
            .iter()
            .filter(|r| r.seq > after)
            .cloned()
            .collect()
    }
}

/// What a fault decided for one request.
enum Injected {
    None,
    Fail,
    Throttle,
    Reject,
    LoseAck,
}

fn take_fault(state: &SimState) -> (Injected, u64) {
    let mut s = state.lock();
    s.requests += 1;
    let f = &mut s.faults;
    let delay = f.delay_ms;
    let injected = if f.fail_next > 0 {
        f.fail_next -= 1;
        Injected::Fail
    } else if f.throttle_next > 0 {
        f.throttle_next -= 1;
        Injected::Throttle
    } else if f.reject_next > 0 {
        f.reject_next -= 1;
        Injected::Reject
    } else if f.lose_ack_next > 0 {
        f.lose_ack_next -= 1;
        Injected::LoseAck
    } else {
        Injected::None
    };
    (injected, delay)
}

#[derive(Serialize)]
struct Accepted {
    status: &'static str,
    #[serde(rename = "messageUUID")]
    message_uuid: Uuid,
}

async fn receive(state: web::Data<SimState>, body: web::Bytes) -> HttpResponse {
    let (injected, delay) = take_fault(&state);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    match injected {
        Injected::Fail => {
            return Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "injected_failure",
                "injected fault: internal error",
            )
            .to_response()
        }
        Injected::Throttle => {
            return Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "quota_exceeded",
                "injected fault: quota exceeded",
            )
            .with_retry_after(1)
            .to_response()
        }
        Injected::Reject => {
            return Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_memo",
                "injected fault: message rejected as invalid",
            )
            .to_response()
        }
        Injected::None | Injected::LoseAck => {}
    }
    let message = match parse_message(&body) {
        Ok(m) => m,
        Err(e) => {
            return Problem::new(StatusCode::BAD_REQUEST, "invalid_memo", e.to_string())
                .to_response()
        }
    };
    let uuid = message.uuid;
    let duplicate = {
        let mut s = state.lock();
        if s.by_uuid.contains_key(&uuid) {
            s.duplicates += 1;
            true
        } else {
            let seq = s.messages.len() as u64 + 1;
            s.messages.push(StoredMessage {
                seq,
                received_at: Utc::now(),
                message,
                xml: String::from_utf8_lossy(&body).into_owned(),
                opened_at: None,
            });
            let i = s.messages.len() - 1;
            s.by_uuid.insert(uuid, i);
            false
        }
    };
    if matches!(injected, Injected::LoseAck) {
        return Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "injected_lost_ack",
            "injected fault: stored, but the acknowledgement was lost",
        )
        .to_response();
    }
    if duplicate {
        HttpResponse::Ok().json(Accepted {
            status: "duplicate",
            message_uuid: uuid,
        })
    } else {
        HttpResponse::Accepted().json(Accepted {
            status: "accepted",
            message_uuid: uuid,
        })
    }
}

fn page(title: &str, body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(format!(
            "<!DOCTYPE html><html lang=\"da\"><head><meta charset=\"utf-8\"><title>{}</title>\
             <style>body{{font-family:sans-serif;max-width:50em;margin:2em auto}}\
             li{{margin:.4em 0}}.unread{{font-weight:bold}}</style></head><body>\
             <p><em>Digital Post simulator: development only</em></p>{body}</body></html>",
            escape(title)
        ))
}

fn not_found() -> HttpResponse {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such inbox or letter",
    )
    .to_response()
}

async fn inbox(state: web::Data<SimState>, path: web::Path<String>) -> HttpResponse {
    let Ok(cpr) = Cpr::parse(&path) else {
        return not_found();
    };
    let letters = state.inbox(cpr.as_str(), MessageKind::DigitalPost);
    let mut body = String::from("<h1>Indbakke</h1>");
    if letters.is_empty() {
        body.push_str("<p>Ingen breve.</p>");
    } else {
        body.push_str("<ul>");
        for m in &letters {
            body.push_str(&format!(
                "<li class=\"{}\"><a href=\"/inbox/{}/{}\">{}</a> <small>{}</small></li>",
                if m.opened_at.is_some() {
                    "read"
                } else {
                    "unread"
                },
                cpr.as_str(),
                m.message.uuid,
                escape(&m.message.label),
                m.received_at.format("%Y-%m-%d %H:%M:%S UTC")
            ));
        }
        body.push_str("</ul>");
    }
    page("Indbakke", &body)
}

async fn letter(state: web::Data<SimState>, path: web::Path<(String, Uuid)>) -> HttpResponse {
    let (cpr, uuid) = path.into_inner();
    let Some(stored) = state.get(uuid) else {
        return not_found();
    };
    if stored.message.recipient != cpr || stored.message.kind != MessageKind::DigitalPost {
        return not_found();
    }
    state.open(uuid, Utc::now());
    let m = &stored.message;
    let mut body = format!(
        "<h1>{}</h1><p>Fra: {}</p><ul>",
        escape(&m.label),
        escape(m.sender_label.as_deref().unwrap_or(&m.sender_id))
    );
    for (i, f) in m.files.iter().enumerate() {
        body.push_str(&format!(
            "<li><a href=\"/documents/{uuid}/{i}\">{}</a> ({})</li>",
            escape(&f.filename),
            escape(&f.encoding_format)
        ));
    }
    body.push_str("</ul>");
    for url in &m.entry_points {
        body.push_str(&format!("<p><a href=\"{0}\">{0}</a></p>", escape(url)));
    }
    if let Some(r) = &m.reservation {
        body.push_str(&format!(
            "<p>Kalender: {} – {}, {} ({})</p>",
            r.start,
            r.end,
            escape(&r.location),
            escape(&r.description)
        ));
    }
    page(&m.label, &body)
}

async fn document(state: web::Data<SimState>, path: web::Path<(Uuid, usize)>) -> HttpResponse {
    let (uuid, i) = path.into_inner();
    match state
        .get(uuid)
        .and_then(|m| m.message.files.get(i).cloned())
    {
        Some(f) => HttpResponse::Ok()
            .content_type(f.encoding_format)
            .body(f.content),
        None => not_found(),
    }
}

#[derive(Deserialize)]
struct After {
    #[serde(default)]
    after: u64,
}

async fn opened(state: web::Data<SimState>, q: web::Query<After>) -> HttpResponse {
    HttpResponse::Ok().json(state.receipts_after(q.after))
}

#[derive(Serialize)]
struct Summary {
    seq: u64,
    message_uuid: Uuid,
    message_type: &'static str,
    label: String,
    actions: Vec<String>,
    opened: bool,
}

#[derive(Deserialize)]
struct ForRecipient {
    recipient: Option<String>,
}

async fn list(state: web::Data<SimState>, q: web::Query<ForRecipient>) -> HttpResponse {
    let out: Vec<Summary> = state
        .messages()
        .into_iter()
        .filter(|m| {
            q.recipient
                .as_deref()
                .is_none_or(|r| m.message.recipient == r)
        })
        .map(|m| Summary {
            seq: m.seq,
            message_uuid: m.message.uuid,
            message_type: m.message.kind.as_str(),
            label: m.message.label,
            actions: m.message.actions,
            opened: m.opened_at.is_some(),
        })
        .collect();
    HttpResponse::Ok().json(out)
}

async fn get_faults(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(state.faults())
}

async fn set_faults(state: web::Data<SimState>, faults: web::Json<FaultSettings>) -> HttpResponse {
    state.set_faults(faults.into_inner());
    HttpResponse::Ok().json(state.faults())
}

/// The largest message accepted (a letter PDF in base64 plus headers).
const MAX_MESSAGE: usize = 20 * 1024 * 1024;

/// The simulator, bound to its port but not yet running.
pub struct Simulator {
    port: u16,
    server: Server,
    state: SimState,
}

/// A simulator running on the tokio runtime (tests); stopped when dropped or `stop`ped.
pub struct RunningSimulator {
    pub port: u16,
    pub state: SimState,
    handle: ServerHandle,
}

impl RunningSimulator {
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn memo_url(&self) -> String {
        format!("{}/memo", self.base_url())
    }

    pub fn receipts_url(&self) -> String {
        format!("{}/api/opened", self.base_url())
    }

    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}

impl Simulator {
    /// Binds the listener (port 0 picks a free one) and builds the server.
    pub fn build(settings: &SimulatorSettings) -> std::io::Result<Self> {
        let state = SimState::default();
        state.set_faults(settings.faults.clone());
        let listener = TcpListener::bind((settings.http.host.as_str(), settings.http.port))?;
        let port = listener.local_addr()?.port();
        let data = web::Data::new(state.clone());
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(kit_http::observe))
                .app_data(data.clone())
                .app_data(web::Data::new(Readiness::default()))
                .app_data(web::PayloadConfig::new(MAX_MESSAGE))
                .app_data(kit_http::json_config())
                .app_data(kit_http::query_config())
                .app_data(kit_http::path_config())
                .configure(kit_http::configure_operations)
                .route("/memo", web::post().to(receive))
                .route("/inbox/{cpr}", web::get().to(inbox))
                .route("/inbox/{cpr}/{uuid}", web::get().to(letter))
                .route("/documents/{uuid}/{index}", web::get().to(document))
                .route("/api/opened", web::get().to(opened))
                .route("/api/messages", web::get().to(list))
                .route("/admin/faults", web::get().to(get_faults))
                .route("/admin/faults", web::post().to(set_faults))
                .default_service(web::to(kit_http::not_found))
        })
        .listen(listener)?;
        if settings.http.workers > 0 {
            server = server.workers(settings.http.workers);
        }
        Ok(Self {
            port,
            server: server.run(),
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &SimState {
        &self.state
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Runs the server in the background (tests: `Simulator::start` on port 0).
    pub fn spawn(self) -> RunningSimulator {
        let handle = self.server.handle();
        tokio::spawn(self.server);
        RunningSimulator {
            port: self.port,
            state: self.state,
            handle,
        }
    }

    /// A simulator on a free local port, running in the background.
    pub fn start(faults: FaultSettings) -> std::io::Result<RunningSimulator> {
        let mut settings = SimulatorSettings::default();
        settings.http.port = 0;
        settings.http.workers = 1;
        settings.faults = faults;
        Ok(Self::build(&settings)?.spawn())
    }
}
