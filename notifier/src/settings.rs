//! The notifier's and the simulator's settings (see `service_kit::settings` for how
//! they load: defaults, the TOML file in `APP_CONFIG`, then `APP__SECTION__KEY`).

use serde::{Deserialize, Serialize};
use service_kit::settings::{DatabaseSettings, HttpSettings, RedisSettings, TelemetrySettings};

/// Settings of the `notifier` worker binary.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// The operations endpoints (`/healthz`, `/readyz`, `/metrics`) of the worker.
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub telemetry: TelemetrySettings,
    pub worker: WorkerSettings,
    pub letters: LetterSettings,
    pub gateway: GatewaySettings,
    pub print: PrintSettings,
    pub reminders: ReminderSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            http: HttpSettings {
                port: 9091,
                ..HttpSettings::default()
            },
            database: DatabaseSettings::default(),
            redis: RedisSettings {
                key_prefix: "nt:".into(),
                ..RedisSettings::default()
            },
            telemetry: TelemetrySettings::default(),
            worker: WorkerSettings::default(),
            letters: LetterSettings::default(),
            gateway: GatewaySettings::default(),
            print: PrintSettings::default(),
            reminders: ReminderSettings::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkerSettings {
    /// Rows claimed per round.
    pub batch_size: u32,
    /// Letters of one batch sent at the same time.
    pub concurrency: usize,
    /// After this many attempts a letter that still fails is dead-lettered.
    pub max_attempts: u32,
    /// First retry delay; doubles with every attempt (with jitter), capped by `backoff_max_ms`.
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
    /// A claimed row is invisible to other workers this long; if the worker dies, the
    /// row comes back after it.
    pub lease_seconds: u32,
    /// Wait between rounds when nothing is due.
    pub idle_poll_ms: u64,
    /// How often the queue-depth gauge is refreshed.
    pub queue_depth_seconds: u32,
    /// Invitation letters written into the outbox at a time from an opened wave's
    /// invitations, when a round finds fewer due letters than `batch_size`.
    pub wave_letter_batch: u32,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            batch_size: 50,
            concurrency: 8,
            max_attempts: 8,
            backoff_base_ms: 2_000,
            backoff_max_ms: 3_600_000,
            lease_seconds: 300,
            idle_poll_ms: 1_000,
            queue_depth_seconds: 10,
            wave_letter_batch: 2_000,
        }
    }
}

/// The problems with a `LetterSettings`, checked once when the worker starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LetterSettingsError {
    #[error("letters.sender_cvr must be an 8-digit CVR number")]
    SenderCvr,
    #[error("letters.{0} must be an absolute https URL (MeMo requires https links)")]
    NotHttps(&'static str),
}

impl LetterSettings {
    pub fn check(&self) -> Result<(), LetterSettingsError> {
        let cvr = &self.sender_cvr;
        if cvr.len() != 8 || !cvr.bytes().all(|b| b.is_ascii_digit()) {
            return Err(LetterSettingsError::SenderCvr);
        }
        for (name, url) in [
            ("booking_url", &self.booking_url),
            ("pass_url", &self.pass_url),
        ] {
            let host = url.strip_prefix("https://").unwrap_or_default();
            if host.is_empty() || host.starts_with('/') || url.chars().any(char::is_whitespace) {
                return Err(LetterSettingsError::NotHttps(name));
            }
        }
        Ok(())
    }
}

/// What goes into every letter: who sends it and where links point.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct LetterSettings {
    /// Our authority's CVR number (MeMo Sender/senderID).
    pub sender_cvr: String,
    /// The sender's name shown in the inbox (MeMo Sender/label).
    pub sender_label: String,
    /// The booking page (absolute https); invitations and reminders link to
    /// `{booking_url}/campaigns/{campaign_id}`.
    pub booking_url: String,
    /// Where the citizen finds their pass (absolute https).
    pub pass_url: String,
    /// The organiser of the calendar entry (MeMo Reservation).
    pub organizer_name: String,
    pub organizer_mail: String,
}

impl Default for LetterSettings {
    fn default() -> Self {
        Self {
            sender_cvr: "12345678".into(),
            sender_label: "Vaccinationsbooking".into(),
            booking_url: "https://booking.example.dk".into(),
            pass_url: "https://booking.example.dk/pass".into(),
            organizer_name: "Vaccinationsbooking".into(),
            organizer_mail: "booking@example.dk".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct GatewaySettings {
    /// Where MeMo messages are POSTed (the simulator's `/memo` in development).
    pub url: String,
    /// Where "opened" receipts are read from (`GET ?after=<seq>`); empty turns the
    /// receipt poll off (a real gateway reports differently).
    pub receipts_url: String,
    /// How often receipts are polled.
    pub receipts_poll_seconds: u32,
    pub timeout_ms: u64,
    /// The provider's quota in messages per second, shared by all workers (0 = none).
    pub rate_per_second: u32,
}

impl Default for GatewaySettings {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:8090/memo".into(),
            receipts_url: "http://127.0.0.1:8090/api/opened".into(),
            receipts_poll_seconds: 30,
            timeout_ms: 10_000,
            rate_per_second: 50,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct PrintSettings {
    /// Finished batches appear here as `batch-<uuid>/` directories, each complete.
    pub dir: String,
}

impl Default for PrintSettings {
    fn default() -> Self {
        Self {
            dir: "var/print".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct ReminderSettings {
    /// A citizen invited this many days ago who has not booked gets one reminder.
    pub after_days: u32,
    /// How often the sweep runs in the worker loop (0 = never).
    pub sweep_seconds: u32,
    /// Invitations handled per sweep transaction.
    pub batch_size: u32,
}

impl Default for ReminderSettings {
    fn default() -> Self {
        Self {
            after_days: 7,
            sweep_seconds: 300,
            batch_size: 1_000,
        }
    }
}

/// Settings of the `digital-post-sim` binary.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct SimulatorSettings {
    pub http: HttpSettings,
    pub telemetry: TelemetrySettings,
    pub faults: FaultSettings,
}

impl Default for SimulatorSettings {
    fn default() -> Self {
        Self {
            http: HttpSettings {
                port: 8090,
                ..HttpSettings::default()
            },
            telemetry: TelemetrySettings::default(),
            faults: FaultSettings::default(),
        }
    }
}

/// Faults the simulator injects; also settable at run time with `POST /admin/faults`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultSettings {
    /// Answer the next N requests with 500 (nothing stored).
    pub fail_next: u32,
    /// Answer the next N requests with 429 (nothing stored).
    pub throttle_next: u32,
    /// Reject the next N requests as invalid with 400 (nothing stored).
    pub reject_next: u32,
    /// Store the next N messages but answer 500: the acknowledgement is lost, so the
    /// sender retries and the repeat must not become a second letter.
    pub lose_ack_next: u32,
    /// Wait this long before answering every request.
    pub delay_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_letter_settings_are_caught() {
        assert_eq!(LetterSettings::default().check(), Ok(()));
        let bad_cvr = LetterSettings {
            sender_cvr: "1234".into(),
            ..LetterSettings::default()
        };
        assert_eq!(bad_cvr.check(), Err(LetterSettingsError::SenderCvr));
        for url in [
            "http://x.dk",
            "https://",
            "https:///x",
            "booking",
            "https://a b",
        ] {
            let bad = LetterSettings {
                booking_url: url.into(),
                ..LetterSettings::default()
            };
            assert_eq!(
                bad.check(),
                Err(LetterSettingsError::NotHttps("booking_url")),
                "{url}"
            );
        }
    }

    #[test]
    fn environment_overrides_defaults() {
        let env = vec![
            ("APP__WORKER__MAX_ATTEMPTS".to_string(), "4".to_string()),
            ("APP__GATEWAY__RATE_PER_SECOND".to_string(), "7".to_string()),
        ];
        let s: Settings = service_kit::settings::load_from(None, env).unwrap();
        assert_eq!(s.worker.max_attempts, 4);
        assert_eq!(s.gateway.rate_per_second, 7);
        assert_eq!(s.reminders.after_days, 7);
    }
}
