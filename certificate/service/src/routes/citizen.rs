//! Citizen routes (also used by a helper acting for a citizen): the passes the
//! registers support, issuing one, and its QR code. Answers are `no-store`: they carry
//! personal data.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use certificate::qr::{self, RenderOptions};
use identity::CitizenAccess;

use crate::domain::passes::PassType;
use crate::error::PassError;
use crate::service::Service;

type Reply = Result<HttpResponse, PassError>;

fn pass_type(path: &str) -> Result<PassType, PassError> {
    PassType::parse(path).ok_or(PassError::UnknownPassType)
}

fn private(status: StatusCode) -> actix_web::HttpResponseBuilder {
    let mut b = HttpResponse::build(status);
    b.insert_header(("Cache-Control", "no-store"));
    b
}

pub async fn my_passes(svc: web::Data<Service>, who: CitizenAccess) -> Reply {
    Ok(private(StatusCode::OK).json(svc.overview(&who).await?))
}

pub async fn issue(svc: web::Data<Service>, who: CitizenAccess, path: web::Path<String>) -> Reply {
    let (new, pass) = svc.issue(&who, pass_type(&path)?).await?;
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(private(status).json(pass))
}

pub async fn current(
    svc: web::Data<Service>,
    who: CitizenAccess,
    path: web::Path<String>,
) -> Reply {
    Ok(private(StatusCode::OK).json(svc.current_pass(&who, pass_type(&path)?).await?))
}

async fn hc1(svc: &Service, who: &CitizenAccess, path: &str) -> Result<String, PassError> {
    svc.current_pass(who, pass_type(path)?)
        .await?
        .hc1
        .ok_or(PassError::NotFound("pass"))
}

fn options() -> RenderOptions {
    RenderOptions {
        module_size: 6,
        quiet_zone: 4,
    }
}

pub async fn qr_png(svc: web::Data<Service>, who: CitizenAccess, path: web::Path<String>) -> Reply {
    let text = hc1(&svc, &who, &path).await?;
    let png = qr::render_png(&text, options()).map_err(|e| PassError::Internal(e.into()))?;
    Ok(private(StatusCode::OK).content_type("image/png").body(png))
}

pub async fn qr_svg(svc: web::Data<Service>, who: CitizenAccess, path: web::Path<String>) -> Reply {
    let text = hc1(&svc, &who, &path).await?;
    let svg = qr::render_svg(&text, options()).map_err(|e| PassError::Internal(e.into()))?;
    Ok(private(StatusCode::OK)
        .content_type("image/svg+xml")
        .body(svg))
}
