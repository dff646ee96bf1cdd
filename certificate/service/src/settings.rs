//! The pass service's settings (see `service_kit::settings` for how they load:
//! defaults, the TOML file in `APP_CONFIG`, then `APP__SECTION__KEY` variables).

use booking::settings::IdentitySettings;
use serde::{Deserialize, Serialize};
use service_kit::settings::{DatabaseSettings, HttpSettings, TelemetrySettings};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub telemetry: TelemetrySettings,
    pub identity: IdentitySettings,
    pub signing: SigningSettings,
    pub registers: RegisterSettings,
    pub passes: PassSettings,
    pub domestic: DomesticSettings,
    pub verifier: VerifierSettings,
}

/// The Document Signer: where its key and certificate are. The key is only ever read
/// into the certificate library's `Signer`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SigningSettings {
    /// PKCS#8 private key, PEM (`PRIVATE KEY`) or DER.
    pub key_path: String,
    /// The Document Signer Certificate, PEM or DER.
    pub dsc_path: String,
    /// More DSCs to publish in the trust list (earlier keys whose passes are still
    /// valid), PEM or DER files.
    pub extra_trusted_dsc_paths: Vec<String>,
}

impl Default for SigningSettings {
    fn default() -> Self {
        Self {
            key_path: "var/dsc-key.pem".into(),
            dsc_path: "var/dsc.pem".into(),
            extra_trusted_dsc_paths: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct RegisterSettings {
    /// The EU DCC value-set folder (`*.json` with `valueSetId`).
    pub value_sets_dir: String,
    /// The most records one bulk request may carry.
    pub bulk_max_records: usize,
    /// The largest bulk body accepted, in bytes.
    pub bulk_max_bytes: usize,
    /// Tolerated clock skew of senders when checking "not in the future", in seconds.
    pub future_leeway_seconds: u32,
}

impl Default for RegisterSettings {
    fn default() -> Self {
        Self {
            value_sets_dir: "/work/shared/testdata/dcc-valuesets".into(),
            bulk_max_records: 100_000,
            bulk_max_bytes: 64 * 1024 * 1024,
            future_leeway_seconds: 300,
        }
    }
}

/// What a pass says; how long it lasts is in the rules of `rules_dir` (data, not code).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct PassSettings {
    /// `iss` and the UVCI country (ISO 3166-1 alpha-2).
    pub country: String,
    /// The certificate issuer (`is`).
    pub issuer_name: String,
    /// A folder of CertLogic acceptance rules (`*.json`) deciding which records make an
    /// EU DCC and its expiry (`exp`), the same mechanism as `domestic.rules_dir`.
    pub rules_dir: String,
    /// No EU pass is valid for longer than this many days from issuing (the rules
    /// usually end it sooner; the DSC's notAfter always does).
    pub max_validity_days: u32,
    /// The test types a recovery may be derived from (NAAT/PCR).
    pub recovery_test_types: Vec<String>,
    /// The "detected" result code.
    pub positive_result: String,
    /// A recovery is valid from this many days after the positive test...
    pub recovery_valid_from_day: u32,
    /// ...until this many days after it.
    pub recovery_valid_until_day: u32,
}

impl Default for PassSettings {
    fn default() -> Self {
        Self {
            country: "DK".into(),
            issuer_name: "Sundhedsdatastyrelsen".into(),
            rules_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/rules/eu").into(),
            max_validity_days: 365,
            recovery_test_types: vec!["LP6464-4".into()],
            positive_result: "260373001".into(),
            recovery_valid_from_day: 11,
            recovery_valid_until_day: 180,
        }
    }
}

/// The Danish domestic pass (`DK1:`): which records make one, and until when, is decided
/// by the CertLogic rules in `rules_dir` (data, not code).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct DomesticSettings {
    /// A folder of CertLogic acceptance rules (`*.json`), as for `verifier.rules_dir`.
    pub rules_dir: String,
    /// No domestic pass is valid for longer than this many days from issuing (the rules
    /// usually end it sooner; the DSC's notAfter always does).
    pub max_validity_days: u32,
}

impl Default for DomesticSettings {
    fn default() -> Self {
        Self {
            rules_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/rules/domestic").into(),
            max_validity_days: 365,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct VerifierSettings {
    /// A folder of CertLogic business rules (`*.json`, one rule or an array each);
    /// empty: no rules.
    pub rules_dir: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_windows_are_settings() {
        let env = vec![
            (
                "APP__PASSES__RECOVERY_VALID_UNTIL_DAY".to_string(),
                "90".to_string(),
            ),
            ("APP__SIGNING__KEY_PATH".to_string(), "/k.pem".to_string()),
        ];
        let s: Settings = service_kit::settings::load_from(None, env).unwrap();
        assert_eq!(s.passes.recovery_valid_until_day, 90);
        assert_eq!(s.passes.recovery_valid_from_day, 11);
        assert_eq!(s.signing.key_path, "/k.pem");
        assert!(s.verifier.rules_dir.is_empty());
    }
}
