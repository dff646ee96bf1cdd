//! What went wrong, in words a person can act on. API problems arrive with a stable
//! `code`; [`message_key`] picks the sentence (both languages live in `i18n`). Causes
//! go to the log (without tokens or CPR numbers), never to the page.

use crate::api::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum PageError {
    #[error(transparent)]
    Api(#[from] ApiError),
    /// Not signed in, or the sign-in ran out.
    #[error("sign-in required")]
    SignInRequired,
    /// Signed in, but this page is for another role.
    #[error("not for this role")]
    WrongRole,
    /// A form whose CSRF token does not match the session's (an old tab, or forged).
    #[error("form token mismatch")]
    Csrf,
    /// Bad input from the person; the key names the sentence.
    #[error("bad input: {0}")]
    Input(&'static str),
    /// Bad input in one form field (its `name`), shown linked to the field.
    #[error("bad input in {field}: {key}")]
    Field {
        key: &'static str,
        field: &'static str,
    },
    #[error("not found")]
    NotFound,
    /// An OpenID Connect sign-in that did not complete (state, code or ID token refused).
    #[error("sign-in failed: {0}")]
    SignIn(#[from] crate::oidc::OidcError),
    #[error("template: {0}")]
    Template(#[from] minijinja::Error),
}

impl PageError {
    /// HTTP status of the error page.
    pub fn status(&self) -> u16 {
        match self {
            PageError::Api(e) => match e {
                ApiError::Problem { status, .. } if *status < 500 => *status,
                ApiError::Problem { .. } | ApiError::Unexpected(_) | ApiError::Decode(_) => 502,
                ApiError::Unreachable(_) => 503,
            },
            PageError::SignInRequired => 401,
            PageError::WrongRole => 403,
            PageError::Csrf => 400,
            PageError::Input(_) | PageError::Field { .. } => 400,
            PageError::NotFound => 404,
            PageError::SignIn(_) => 400,
            PageError::Template(_) => 500,
        }
    }

    /// The sentence to show.
    pub fn message_key(&self) -> &'static str {
        match self {
            PageError::Api(e) => api_message_key(e),
            PageError::SignInRequired => "err_sign_in_required",
            PageError::WrongRole => "err_wrong_role",
            PageError::Csrf => "err_csrf",
            PageError::Input(key) | PageError::Field { key, .. } => key,
            PageError::NotFound => "err_not_found",
            PageError::SignIn(_) => "err_signin_failed",
            PageError::Template(_) => "err_generic",
        }
    }

    /// The form field the error is about, if one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            PageError::Field { field, .. } => Some(field),
            _ => None,
        }
    }

    /// Whether the sign-in is no good any more (token expired or refused).
    pub fn ends_sign_in(&self) -> bool {
        matches!(self, PageError::SignInRequired)
            || matches!(self, PageError::Api(e) if e.status() == Some(401))
    }
}

/// The sentence for an API error, by its stable code.
pub fn api_message_key(e: &ApiError) -> &'static str {
    match e {
        ApiError::Problem { code, status, .. } => match code.as_str() {
            "slot_full" => "err_slot_full",
            "slot_closed" => "err_slot_closed",
            "slot_in_past" => "err_slot_in_past",
            "not_invited" => "err_not_invited",
            "outside_municipality" => "err_outside_municipality",
            "no_power_of_attorney" => "err_no_power_of_attorney",
            "hold_expired" => "err_hold_expired",
            "hold_already_confirmed" => "err_hold_already_confirmed",
            "hold_not_yours" => "err_hold_not_yours",
            "hold_extension_limit" => "err_hold_extension_limit",
            "already_booked" => "err_already_booked",
            "booking_not_active" => "err_booking_not_active",
            "campaign_mismatch" => "err_campaign_mismatch",
            "unknown_campaign" => "err_unknown_campaign",
            "capacity_below_booked" => "err_capacity_below_booked",
            "campaign_not_offered" => "err_campaign_not_offered",
            "not_found" => "err_not_found",
            "admission_required" => "err_queue_required",
            "rate_limited" | "too_many_requests" => "err_busy",
            "unavailable" | "request_in_progress" => "err_busy",
            "invalid_request" | "invalid_query" | "invalid_body" => "err_invalid",
            _ if *status == 401 => "err_sign_in_required",
            _ if *status == 403 => "err_wrong_role",
            _ if *status == 429 || *status >= 500 => "err_busy",
            _ => "err_generic",
        },
        ApiError::Unreachable(_) => "err_unreachable",
        ApiError::Unexpected(429) => "err_busy",
        ApiError::Unexpected(_) | ApiError::Decode(_) => "err_generic",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(status: u16, code: &str) -> ApiError {
        ApiError::Problem {
            status,
            code: code.into(),
            detail: Some("internal words".into()),
            waiting_room: None,
        }
    }

    #[test]
    fn codes_become_sentences_and_statuses_stay_honest() {
        assert_eq!(api_message_key(&problem(409, "slot_full")), "err_slot_full");
        assert_eq!(
            api_message_key(&problem(410, "hold_expired")),
            "err_hold_expired"
        );
        assert_eq!(
            api_message_key(&problem(401, "invalid_token")),
            "err_sign_in_required"
        );
        assert_eq!(api_message_key(&problem(503, "whatever")), "err_busy");
        assert_eq!(api_message_key(&problem(418, "whatever")), "err_generic");
        assert_eq!(
            api_message_key(&problem(403, "admission_required")),
            "err_queue_required",
            "not a wrong role"
        );
        let e = PageError::Api(problem(401, "token_expired"));
        assert!(e.ends_sign_in());
        assert_eq!(e.status(), 401);
        assert_eq!(PageError::Api(problem(500, "internal")).status(), 502);
        assert!(!PageError::Csrf.ends_sign_in());
    }
}
