//! The Digital Post adapter: POSTs a MeMo message to a configurable URL. 2xx is
//! delivered; 4xx other than 429 is a permanent refusal (dead letter, with the
//! gateway's reason); 5xx, 429, timeouts and connection errors are retried. A real
//! gateway replaces the simulator by changing `gateway.url` alone.

use std::time::Duration;

use serde::Deserialize;
use uuid::Uuid;

use crate::error::GatewayError;
use crate::settings::GatewaySettings;

#[derive(Clone)]
pub struct Gateway {
    client: reqwest::Client,
    url: String,
    receipts_url: String,
}

/// An "opened" receipt from the gateway.
#[derive(Debug, Clone, Deserialize)]
pub struct Receipt {
    pub seq: u64,
    pub message_uuid: Uuid,
    pub opened_at: chrono::DateTime<chrono::Utc>,
}

/// The longest reason kept from a gateway answer (it lands in `outbox.last_error`).
const MAX_REASON: usize = 500;

impl Gateway {
    pub fn new(settings: &GatewaySettings) -> Result<Self, GatewayError> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.timeout_ms.max(1)))
            .build()
            .map_err(|e| GatewayError::Unavailable(e.to_string()))?;
        Ok(Self {
            client,
            url: settings.url.clone(),
            receipts_url: settings.receipts_url.clone(),
        })
    }

    /// Sends one MeMo message.
    pub async fn send(&self, xml: String) -> Result<(), GatewayError> {
        let response = self
            .client
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/xml")
            .body(xml)
            .send()
            .await
            .map_err(|e| {
                GatewayError::Unavailable(if e.is_timeout() {
                    "timed out".into()
                } else {
                    "no connection".into()
                })
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = response.text().await.unwrap_or_default();
        let reason = reason_from(&body, status.as_u16());
        if status.is_client_error() && status.as_u16() != 429 {
            Err(GatewayError::Rejected {
                status: status.as_u16(),
                reason,
            })
        } else {
            Err(GatewayError::Unavailable(format!(
                "{}: {reason}",
                status.as_u16()
            )))
        }
    }

    /// Receipts after `after` (empty if receipts are off).
    pub async fn receipts(&self, after: u64) -> Result<Vec<Receipt>, GatewayError> {
        if self.receipts_url.is_empty() {
            return Ok(Vec::new());
        }
        let response = self
            .client
            .get(&self.receipts_url)
            .query(&[("after", after)])
            .send()
            .await
            .map_err(|_| GatewayError::Unavailable("no connection".into()))?;
        if !response.status().is_success() {
            return Err(GatewayError::Unavailable(response.status().to_string()));
        }
        response
            .json()
            .await
            .map_err(|e| GatewayError::Unavailable(e.to_string()))
    }
}

/// The `detail` of a problem+json answer, else the body text, shortened.
fn reason_from(body: &str, status: u16) -> String {
    let detail = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("detail").and_then(|d| d.as_str()).map(str::to_owned));
    let text = detail.unwrap_or_else(|| body.trim().to_owned());
    let text = if text.is_empty() {
        format!("HTTP {status}")
    } else {
        text
    };
    text.chars().take(MAX_REASON).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_prefers_the_problem_detail() {
        assert_eq!(reason_from(r#"{"detail":"bad uuid"}"#, 400), "bad uuid");
        assert_eq!(reason_from("plain", 400), "plain");
        assert_eq!(reason_from("", 400), "HTTP 400");
        assert_eq!(reason_from(&"x".repeat(2000), 400).len(), MAX_REASON);
    }
}
