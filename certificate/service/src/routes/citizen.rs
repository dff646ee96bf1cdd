//! Citizen routes (also used by a helper acting for a citizen, checked by booking's
//! `Entitled`: their municipality or a power of attorney): the passes the
//! registers support, issuing one, and its QR code. Answers are `no-store`: they carry
//! personal data.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use booking::routes::attorney::Entitled;
use certificate::domestic::Level;
use certificate::qr::{self, RenderOptions};
use identity::CitizenAccess;
use serde::Deserialize;

use crate::domain::passes::PassType;
use crate::error::PassError;
use crate::pdf::{self, Lang, PassSheet};
use crate::service::domestic::parse_level;
use crate::service::passes::{PassOverview, PassView};
use crate::service::Service;

type Reply = Result<HttpResponse, PassError>;

/// `?level=1|2`: for the domestic pass only.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassQuery {
    pub level: Option<String>,
}

/// `?lang=da|en|both&level=1|2` for the printable pass.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PdfQuery {
    pub lang: Option<String>,
    pub level: Option<String>,
}

/// The pass a path names: an EU DCC of a type, or the domestic pass (of a level).
#[derive(Debug, Clone, Copy)]
enum Which {
    Eu(PassType),
    Domestic(Option<Level>),
}

fn which(path: &str, q: &PassQuery) -> Result<Which, PassError> {
    if path == "domestic" {
        let level = q
            .level
            .as_deref()
            .map(|l| parse_level(Some(l)))
            .transpose()?;
        return Ok(Which::Domestic(level));
    }
    let t = PassType::parse(path).ok_or(PassError::UnknownPassType)?;
    if q.level.is_some() {
        return Err(PassError::Invalid(
            "level applies to the domestic pass only".into(),
        ));
    }
    Ok(Which::Eu(t))
}

/// The live pass a path names.
async fn live(svc: &Service, who: &CitizenAccess, which: Which) -> Result<PassView, PassError> {
    match which {
        Which::Eu(t) => svc.current_pass(who, t).await,
        Which::Domestic(level) => svc.current_domestic(who, level).await,
    }
}

fn private(status: StatusCode) -> actix_web::HttpResponseBuilder {
    let mut b = HttpResponse::build(status);
    b.insert_header(("Cache-Control", "no-store"));
    b
}

#[utoipa::path(get, path = "/v1/me/passes",
    responses((status = 200, body = PassOverview)),
    security(("bearer" = [])), tag = "passes")]
pub async fn my_passes(svc: web::Data<Service>, Entitled(who, _): Entitled) -> Reply {
    Ok(private(StatusCode::OK).json(svc.overview(&who).await?))
}

#[utoipa::path(post, path = "/v1/me/passes/{type}",
    params(("type" = String, Path, description = "vaccination, test, recovery or domestic"), ("level" = Option<String>, Query, description = "domestic only: 1 (valid until; default) or 2 (also name and birth date)")),
    responses((status = 201, body = PassView, description = "issued; `hc1` holds the HC1: or DK1: text"),
        (status = 200, body = PassView, description = "the live pass from the same record"),
        (status = 404, body = service_kit::Problem, description = "no_pass_available or unknown_pass_type"),
        (status = 409, body = service_kit::Problem, description = "not_in_population_register")),
    security(("bearer" = [])), tag = "passes")]
pub async fn issue(
    svc: web::Data<Service>,
    Entitled(who, _): Entitled,
    path: web::Path<String>,
    q: web::Query<PassQuery>,
) -> Reply {
    let (new, pass) = match which(&path, &q)? {
        Which::Eu(t) => svc.issue(&who, t).await?,
        // An issue defaults to level 1: it says least.
        Which::Domestic(level) => {
            svc.issue_domestic(&who, level.unwrap_or(Level::ValidUntil))
                .await?
        }
    };
    let status = if new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(private(status).json(pass))
}

#[utoipa::path(get, path = "/v1/me/passes/{type}",
    params(("type" = String, Path, description = "vaccination, test, recovery or domestic"), ("level" = Option<String>, Query, description = "domestic only: 1 or 2")),
    responses((status = 200, body = PassView), (status = 404, body = service_kit::Problem)),
    security(("bearer" = [])), tag = "passes")]
pub async fn current(
    svc: web::Data<Service>,
    Entitled(who, _): Entitled,
    path: web::Path<String>,
    q: web::Query<PassQuery>,
) -> Reply {
    Ok(private(StatusCode::OK).json(live(&svc, &who, which(&path, &q)?).await?))
}

async fn hc1(
    svc: &Service,
    who: &CitizenAccess,
    path: &str,
    q: &PassQuery,
) -> Result<String, PassError> {
    live(svc, who, which(path, q)?)
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

#[utoipa::path(get, path = "/v1/me/passes/{type}/qr.png",
    params(("type" = String, Path, description = "vaccination, test, recovery or domestic"), ("level" = Option<String>, Query, description = "domestic only: 1 or 2")),
    responses((status = 200, content_type = "image/png", description = "the QR code"), (status = 404, body = service_kit::Problem)),
    security(("bearer" = [])), tag = "passes")]
pub async fn qr_png(
    svc: web::Data<Service>,
    Entitled(who, _): Entitled,
    path: web::Path<String>,
    q: web::Query<PassQuery>,
) -> Reply {
    let text = hc1(&svc, &who, &path, &q).await?;
    let png = qr::render_png(&text, options()).map_err(|e| PassError::Internal(e.into()))?;
    Ok(private(StatusCode::OK).content_type("image/png").body(png))
}

#[utoipa::path(get, path = "/v1/me/passes/{type}/qr.svg",
    params(("type" = String, Path, description = "vaccination, test, recovery or domestic"), ("level" = Option<String>, Query, description = "domestic only: 1 or 2")),
    responses((status = 200, content_type = "image/svg+xml", description = "the QR code"), (status = 404, body = service_kit::Problem)),
    security(("bearer" = [])), tag = "passes")]
pub async fn qr_svg(
    svc: web::Data<Service>,
    Entitled(who, _): Entitled,
    path: web::Path<String>,
    q: web::Query<PassQuery>,
) -> Reply {
    let text = hc1(&svc, &who, &path, &q).await?;
    let svg = qr::render_svg(&text, options()).map_err(|e| PassError::Internal(e.into()))?;
    Ok(private(StatusCode::OK)
        .content_type("image/svg+xml")
        .body(svg))
}

#[utoipa::path(get, path = "/v1/me/passes/{type}/pass.pdf",
    params(("type" = String, Path, description = "vaccination, test, recovery or domestic"), ("lang" = Option<String>, Query, description = "da (default), en or both"),
        ("level" = Option<String>, Query, description = "domestic only: 1 or 2")),
    responses((status = 200, content_type = "application/pdf", description = "the printable A4 pass"),
        (status = 400, body = service_kit::Problem), (status = 404, body = service_kit::Problem)),
    security(("bearer" = [])), tag = "passes")]
pub async fn pass_pdf(
    svc: web::Data<Service>,
    Entitled(who, _): Entitled,
    path: web::Path<String>,
    q: web::Query<PdfQuery>,
) -> Reply {
    let q = q.into_inner();
    let lang = Lang::parse(q.lang.as_deref())
        .ok_or_else(|| PassError::Invalid("lang must be da, en or both".into()))?;
    let text = hc1(&svc, &who, &path, &PassQuery { level: q.level }).await?;
    let sheet = PassSheet::from_qr_text(&text).map_err(|e| PassError::Internal(e.into()))?;
    let pdf = pdf::render(&sheet, lang).map_err(|e| PassError::Internal(e.into()))?;
    Ok(private(StatusCode::OK)
        .content_type("application/pdf")
        .insert_header((
            "Content-Disposition",
            format!("inline; filename=\"coronapas-{}.pdf\"", path.as_str()),
        ))
        .body(pdf))
}
