//! The waiting room's gate: while a room with the hold gate is open, `POST /v1/holds`
//! needs a valid admission token in `Admission-Token` (signed, unexpired, for that
//! room). Without one: 403 `admission_required`, naming the room to join in its
//! `waiting_room` member. The check is in memory (an HMAC), no store is touched.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web;
use service_kit::Problem;

use crate::waitroom::WaitingRoom;

pub const ADMISSION_TOKEN: &str = "admission-token";

/// Middleware; needs `web::Data<WaitingRoom>` in the app.
pub async fn gate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.method() == Method::POST && req.path() == "/v1/holds" {
        if let Some(room) = req.app_data::<web::Data<WaitingRoom>>() {
            let token = req
                .headers()
                .get(ADMISSION_TOKEN)
                .and_then(|v| v.to_str().ok());
            if let Some(name) = room.gate_for(token) {
                metrics::counter!("booking_shed_total", "reason" => "admission_required")
                    .increment(1);
                let problem = Problem::new(
                    StatusCode::FORBIDDEN,
                    "admission_required",
                    format!(
                        "bookings for this opening go through the waiting room: join it at /waiting-room/{name} (or POST /v1/waiting-rooms/{name}/visitors) and send the admission token you get as Admission-Token"
                    ),
                )
                .with_extension("waiting_room", name);
                let (req, _) = req.into_parts();
                return Ok(ServiceResponse::new(req, problem.to_response()));
            }
        }
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_boxed_body)
}
