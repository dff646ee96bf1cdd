//! Real sign-in: the OpenID Connect authorization-code flow with PKCE, state and nonce
//! (OIDC Core §3.1, RFC 7636). The provider's endpoints come from its discovery document
//! or from settings; its ID token is verified against its JWKS (identity's
//! `TokenVerifier`: signature, issuer, audience = our client id, expiry, and the nonce
//! this sign-in sent). The access token it returns is what the pages send to the APIs.
//! Nothing here logs a code, a token or a CPR number.

use identity::{JwksSource, Principal, TokenVerifier, VerifierSettings};
use serde::{Deserialize, Serialize};

use crate::settings::SignInSettings;

/// What a started sign-in keeps in the (encrypted) session until the provider sends
/// the browser back.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingSignIn {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    /// Where to go afterwards (a local path).
    pub next: String,
}

/// Never shows the secrets.
impl std::fmt::Debug for PendingSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingSignIn")
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

/// Why a sign-in did not complete; the person is asked to try again.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the sign-in answer does not belong to a sign-in started here (state)")]
    State,
    #[error("the identity provider refused: {0}")]
    Refused(String),
    #[error("token exchange failed: {0}")]
    Exchange(#[source] reqwest::Error),
    #[error("ID token refused: {0}")]
    IdToken(#[source] identity::AuthError),
}

/// The provider's endpoints and our client.
pub struct Oidc {
    http: reqwest::Client,
    authorization_url: String,
    token_url: String,
    client_id: String,
    client_secret: String,
    redirect_url: String,
    scope: String,
    id_tokens: TokenVerifier,
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    jwks_uri: String,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    id_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct TokenErrorAnswer {
    error: String,
}

/// A signed-in person: who the ID token says, and the access token for the APIs.
pub struct SignedIn {
    pub principal: Principal,
    pub access_token: String,
    pub expires_in: Option<u64>,
}

impl Oidc {
    /// From the discovery document at `discovery_url`, or the configured endpoints.
    pub async fn from_settings(s: &SignInSettings) -> anyhow::Result<Oidc> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let d = if s.discovery_url.is_empty() {
            Discovery {
                issuer: s.issuer.clone(),
                authorization_endpoint: s.authorization_url.clone(),
                token_endpoint: s.token_url.clone(),
                jwks_uri: s.jwks_url.clone(),
            }
        } else {
            http.get(&s.discovery_url)
                .send()
                .await?
                .error_for_status()?
                .json::<Discovery>()
                .await?
        };
        if s.client_id.trim().is_empty()
            || [
                &d.issuer,
                &d.authorization_endpoint,
                &d.token_endpoint,
                &d.jwks_uri,
            ]
            .iter()
            .any(|v| v.trim().is_empty())
        {
            anyhow::bail!(
                "identity.provider \"oidc\" needs client_id and either discovery_url or \
                 issuer, authorization_url, token_url and jwks_url"
            );
        }
        let id_tokens = TokenVerifier::new(VerifierSettings::new(
            d.issuer,
            s.client_id.clone(),
            JwksSource::Url(d.jwks_uri),
        ))?;
        Ok(Oidc {
            http,
            authorization_url: d.authorization_endpoint,
            token_url: d.token_endpoint,
            client_id: s.client_id.clone(),
            client_secret: s.client_secret.clone(),
            redirect_url: s.redirect_url.clone(),
            scope: if s.scope.is_empty() {
                "openid".into()
            } else {
                s.scope.clone()
            },
            id_tokens,
        })
    }

    /// Our callback: as configured, or `{origin}/signin/callback` of this request.
    pub fn redirect_uri(&self, origin: &str) -> String {
        if self.redirect_url.is_empty() {
            format!("{origin}/signin/callback")
        } else {
            self.redirect_url.clone()
        }
    }

    /// Starts a sign-in: what to keep, and where to send the browser.
    pub fn start(&self, redirect_uri: &str, next: &str) -> (PendingSignIn, String) {
        let pending = PendingSignIn {
            state: identity::pkce::verifier(),
            nonce: identity::pkce::verifier(),
            verifier: identity::pkce::verifier(),
            next: next.to_owned(),
        };
        let url = authorization_url(
            &self.authorization_url,
            &[
                ("response_type", "code"),
                ("client_id", &self.client_id),
                ("redirect_uri", redirect_uri),
                ("scope", &self.scope),
                ("state", &pending.state),
                ("nonce", &pending.nonce),
                (
                    "code_challenge",
                    &identity::pkce::challenge(&pending.verifier),
                ),
                ("code_challenge_method", "S256"),
            ],
        );
        (pending, url)
    }

    /// Completes it: the state must be ours; the code is exchanged with our verifier;
    /// the ID token must verify and carry our nonce.
    pub async fn finish(
        &self,
        pending: &PendingSignIn,
        code: &str,
        state: &str,
        redirect_uri: &str,
    ) -> Result<SignedIn, OidcError> {
        if !crate::session::same_secret(&pending.state, state) {
            return Err(OidcError::State);
        }
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", &self.client_id),
            ("code_verifier", &pending.verifier),
        ];
        if !self.client_secret.is_empty() {
            form.push(("client_secret", &self.client_secret));
        }
        let r = self
            .http
            .post(&self.token_url)
            .form(&form)
            .send()
            .await
            .map_err(OidcError::Exchange)?;
        if !r.status().is_success() {
            let status = r.status().as_u16();
            let error = r
                .json::<TokenErrorAnswer>()
                .await
                .map(|e| e.error)
                .unwrap_or_else(|_| format!("status {status}"));
            return Err(OidcError::Refused(error));
        }
        let answer: TokenAnswer = r.json().await.map_err(OidcError::Exchange)?;
        let principal = self
            .id_tokens
            .verify_id_token(&answer.id_token, &pending.nonce)
            .await
            .map_err(OidcError::IdToken)?;
        Ok(SignedIn {
            principal,
            access_token: answer.access_token,
            expires_in: answer.expires_in,
        })
    }
}

/// `base?k=v&...` with the values percent-encoded (RFC 3986 unreserved kept).
pub fn authorization_url(base: &str, params: &[(&str, &str)]) -> String {
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", crate::pages::book::urlencode(v)))
        .collect();
    let separator = if base.contains('?') { '&' } else { '?' };
    format!("{base}{separator}{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_authorization_request_carries_pkce_state_and_nonce() {
        let url = super::authorization_url(
            "https://idp.example/authorize",
            &[
                ("redirect_uri", "http://127.0.0.1:8082/signin/callback"),
                ("scope", "openid"),
            ],
        );
        assert_eq!(
            url,
            "https://idp.example/authorize?redirect_uri=http%3A%2F%2F127.0.0.1%3A8082%2Fsignin%2Fcallback&scope=openid"
        );
    }
}
