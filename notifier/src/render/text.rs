//! The words of each letter, in Danish or English, and the MeMo action that goes with
//! it (SELVBETJENING to the booking page, AFTALE with a calendar entry). Times are shown
//! in Danish local time; the MeMo timestamps stay in UTC.

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Europe::Copenhagen;
use uuid::Uuid;

use super::RenderError;
use crate::domain::{Appointment, Citizen, Language, Notice, Site};
use crate::settings::LetterSettings;
use service_kit::calendar::{MONTHS_DA, MONTHS_EN};

/// A letter ready to be drawn as a PDF and wrapped as MeMo.
#[derive(Debug, Clone, PartialEq)]
pub struct Letter {
    pub language: Language,
    /// The title: MeMo `label`, the PDF heading, the inbox line.
    pub title: String,
    pub salutation: String,
    pub paragraphs: Vec<String>,
    pub action: Option<Action>,
    /// A file name for the PDF (no characters MeMo forbids).
    pub filename: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// MeMo actionCode SELVBETJENING: a link to self-service.
    SelfService { label: String, url: String },
    /// MeMo actionCode AFTALE with a Reservation: the calendar entry.
    Appointment {
        label: String,
        reservation: Reservation,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reservation {
    pub uuid: Uuid,
    pub description: String,
    pub abstract_text: String,
    pub location: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub organizer_name: String,
    pub organizer_mail: String,
}

/// Everything looked up for one letter.
pub struct LetterContext<'a> {
    pub citizen: Option<&'a Citizen>,
    pub site: Option<&'a Site>,
    pub campaign_name: Option<&'a str>,
    pub settings: &'a LetterSettings,
}

/// Danish or English, chosen once per letter.
fn tr(lang: Language, da: &str, en: &str) -> String {
    match lang {
        Language::Danish => da.to_owned(),
        Language::English => en.to_owned(),
    }
}

/// A moment as a person in Denmark reads it: "1. december 2026 kl. 09:00".
pub fn local_time(lang: Language, at: DateTime<Utc>) -> String {
    let t = at.with_timezone(&Copenhagen);
    let m = t.month0() as usize % 12;
    match lang {
        Language::Danish => format!(
            "{}. {} {} kl. {:02}:{:02}",
            t.day(),
            MONTHS_DA[m],
            t.year(),
            t.hour(),
            t.minute()
        ),
        Language::English => format!(
            "{} {} {} at {:02}:{:02}",
            t.day(),
            MONTHS_EN[m],
            t.year(),
            t.hour(),
            t.minute()
        ),
    }
}

fn booking_link(settings: &LetterSettings, campaign_id: i64) -> String {
    format!(
        "{}/campaigns/{campaign_id}",
        settings.booking_url.trim_end_matches('/')
    )
}

/// Writes the letter for a notice.
pub fn compose(notice: &Notice, ctx: &LetterContext<'_>) -> Result<Letter, RenderError> {
    let lang = ctx.citizen.map(|c| c.language).unwrap_or_default();
    let salutation = match ctx.citizen {
        Some(c) if !c.full_name().is_empty() => {
            format!("{} {},", tr(lang, "Kære", "Dear"), c.full_name())
        }
        _ => tr(lang, "Kære modtager,", "Dear recipient,"),
    };
    let campaign = match (notice.campaign_id(), ctx.campaign_name) {
        (Some(_), Some(name)) => name.to_owned(),
        (Some(id), None) => return Err(RenderError::MissingCampaign(id)),
        (None, _) => String::new(),
    };
    let site = match (notice.site_id(), ctx.site) {
        (Some(_), Some(site)) => Some(site),
        (Some(id), None) => return Err(RenderError::MissingSite(id)),
        (None, _) => None,
    };
    let s = ctx.settings;
    let (title, paragraphs, action, file) = match notice {
        Notice::Invitation { campaign_id, .. } => {
            let url = booking_link(s, *campaign_id);
            (
                match lang {
                    Language::Danish => format!("Du kan nu booke tid: {campaign}"),
                    Language::English => format!("You can now book an appointment: {campaign}"),
                },
                vec![
                    match lang {
                        Language::Danish => format!("Du er inviteret til {campaign}. Du vælger selv tid og sted."),
                        Language::English => format!("You are invited to {campaign}. You choose the time and place yourself."),
                    },
                    match lang {
                        Language::Danish => format!("Book din tid på {url}. Log ind med MitID."),
                        Language::English => format!("Book your appointment at {url}. Log in with MitID."),
                    },
                    tr(lang,
                        "Har du brug for hjælp, kan en pårørende booke for dig, eller du kan ringe til os.",
                        "If you need help, a relative can book for you, or you can call us."),
                ],
                Some(Action::SelfService {
                    label: tr(lang, "Book tid", "Book an appointment"),
                    url,
                }),
                "Invitation",
            )
        }
        Notice::Reminder { campaign_id } => {
            let url = booking_link(s, *campaign_id);
            (
                match lang {
                    Language::Danish => format!("Påmindelse: husk at booke tid til {campaign}"),
                    Language::English => format!("Reminder: remember to book your appointment for {campaign}"),
                },
                vec![
                    match lang {
                        Language::Danish => format!("Vi har tidligere inviteret dig til {campaign}, men du har endnu ikke booket en tid."),
                        Language::English => format!("We invited you to {campaign} earlier, but you have not booked an appointment yet."),
                    },
                    match lang {
                        Language::Danish => format!("Book din tid på {url}. Har du allerede fået en tid andetsteds, kan du se bort fra dette brev."),
                        Language::English => format!("Book your appointment at {url}. If you already have an appointment elsewhere, please ignore this letter."),
                    },
                ],
                Some(Action::SelfService {
                    label: tr(lang, "Book tid", "Book an appointment"),
                    url,
                }),
                "Paamindelse",
            )
        }
        Notice::BookingConfirmed(a) => {
            let site = site.ok_or(RenderError::MissingSite(a.site_id))?;
            (
                match lang {
                    Language::Danish => format!("Bekræftelse af din tid: {campaign}"),
                    Language::English => format!("Your appointment is confirmed: {campaign}"),
                },
                appointment_paragraphs(lang, a, site, &campaign, None),
                Some(calendar(lang, a, site, &campaign, s)),
                "Bekraeftelse",
            )
        }
        Notice::BookingMoved {
            appointment: a,
            previous_starts_at,
        } => {
            let site = site.ok_or(RenderError::MissingSite(a.site_id))?;
            (
                match lang {
                    Language::Danish => format!("Din tid er flyttet: {campaign}"),
                    Language::English => format!("Your appointment has been moved: {campaign}"),
                },
                appointment_paragraphs(lang, a, site, &campaign, Some(*previous_starts_at)),
                Some(calendar(lang, a, site, &campaign, s)),
                "Flyttet tid",
            )
        }
        Notice::BookingCancelled {
            site_id,
            campaign_id,
            starts_at,
        } => {
            let site = site.ok_or(RenderError::MissingSite(*site_id))?;
            let url = booking_link(s, *campaign_id);
            (
                match lang {
                    Language::Danish => format!("Din tid er aflyst: {campaign}"),
                    Language::English => format!("Your appointment has been cancelled: {campaign}"),
                },
                vec![
                    match lang {
                        Language::Danish => format!(
                            "Din tid {} hos {} er aflyst.",
                            local_time(lang, *starts_at),
                            site.name
                        ),
                        Language::English => format!(
                            "Your appointment on {} at {} has been cancelled.",
                            local_time(lang, *starts_at),
                            site.name
                        ),
                    },
                    match lang {
                        Language::Danish => format!("Du kan booke en ny tid på {url}."),
                        Language::English => format!("You can book a new appointment at {url}."),
                    },
                ],
                Some(Action::SelfService {
                    label: tr(lang, "Book en ny tid", "Book a new appointment"),
                    url,
                }),
                "Aflysning",
            )
        }
        Notice::PassReady { .. } => (
            tr(lang, "Dit coronapas er klar", "Your COVID-19 pass is ready"),
            vec![
                tr(lang,
                    "Dit coronapas er nu klar. Du kan se det, hente det som PDF og vise det i appen.",
                    "Your COVID-19 pass is ready. You can view it, download it as a PDF and show it in the app."),
                match lang {
                    Language::Danish => format!("Find dit pas på {}.", s.pass_url),
                    Language::English => format!("Find your pass at {}.", s.pass_url),
                },
            ],
            Some(Action::SelfService {
                label: tr(lang, "Se dit coronapas", "See your pass"),
                url: s.pass_url.clone(),
            }),
            "Coronapas",
        ),
    };
    Ok(Letter {
        language: lang,
        title,
        salutation,
        paragraphs,
        action,
        filename: format!("{file}.pdf"),
    })
}

fn appointment_paragraphs(
    lang: Language,
    a: &Appointment,
    site: &Site,
    campaign: &str,
    previous: Option<DateTime<Utc>>,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(prev) = previous {
        out.push(match lang {
            Language::Danish => format!("Din tid {} er flyttet.", local_time(lang, prev)),
            Language::English => format!(
                "Your appointment on {} has been moved.",
                local_time(lang, prev)
            ),
        });
    }
    out.push(match lang {
        Language::Danish => format!(
            "Du har tid til {campaign} {}.",
            local_time(lang, a.starts_at)
        ),
        Language::English => format!(
            "Your appointment for {campaign} is on {}.",
            local_time(lang, a.starts_at)
        ),
    });
    out.push(match lang {
        Language::Danish => format!("Sted: {}.", site.location()),
        Language::English => format!("Place: {}.", site.location()),
    });
    out.push(tr(
        lang,
        "Husk dit sundhedskort. Kan du ikke komme, så aflys eller flyt din tid, så en anden kan få den.",
        "Bring your health insurance card. If you cannot come, please cancel or move your appointment so someone else can have it.",
    ));
    out
}

fn calendar(
    lang: Language,
    a: &Appointment,
    site: &Site,
    campaign: &str,
    s: &LetterSettings,
) -> Action {
    Action::Appointment {
        label: tr(lang, "Opret aftale i kalender", "Add to calendar"),
        reservation: Reservation {
            uuid: a.booking_id,
            description: match lang {
                Language::Danish => format!("{campaign} hos {}", site.name),
                Language::English => format!("{campaign} at {}", site.name),
            },
            abstract_text: campaign.to_owned(),
            location: site.location(),
            start: a.starts_at,
            end: a.ends_at,
            organizer_name: s.organizer_name.clone(),
            organizer_mail: s.organizer_mail.clone(),
        },
    }
}

/// The short NemSMS text (MeMo `notification` of a NEMSMS message).
pub fn sms_text(letter: &Letter, on_paper: bool) -> String {
    let tail = match (letter.language, on_paper) {
        (Language::Danish, false) => "Læs brevet i din digitale postkasse.",
        (Language::Danish, true) => "Brevet kommer med posten.",
        (Language::English, false) => "Read the letter in your Digital Post inbox.",
        (Language::English, true) => "The letter is on its way by post.",
    };
    format!("{}. {tail}", letter.title)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PostChannel;

    fn site() -> Site {
        Site {
            name: "Øresundshallen".into(),
            address: "Ågade 1".into(),
            postcode: "2300".into(),
        }
    }

    fn citizen(lang: Language) -> Citizen {
        Citizen {
            given_name: "Søren".into(),
            family_name: "Æbelø".into(),
            address: "Gade 1".into(),
            postcode: "8000".into(),
            city: "Aarhus".into(),
            channel: PostChannel::Digital,
            nemsms: false,
            language: lang,
        }
    }

    fn appointment() -> Appointment {
        Appointment {
            booking_id: Uuid::now_v7(),
            slot_id: 1,
            site_id: 2,
            campaign_id: 3,
            starts_at: "2026-12-01T08:00:00Z".parse().unwrap(),
            ends_at: "2026-12-01T08:10:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn confirmation_has_a_calendar_entry_in_local_time() {
        let settings = LetterSettings::default();
        let site = site();
        let c = citizen(Language::Danish);
        let a = appointment();
        let ctx = LetterContext {
            citizen: Some(&c),
            site: Some(&site),
            campaign_name: Some("Vaccination mod COVID-19"),
            settings: &settings,
        };
        let letter = compose(&Notice::BookingConfirmed(a.clone()), &ctx).unwrap();
        assert_eq!(letter.salutation, "Kære Søren Æbelø,");
        assert!(letter
            .paragraphs
            .iter()
            .any(|p| p.contains("1. december 2026 kl. 09:00")));
        match letter.action {
            Some(Action::Appointment { reservation, .. }) => {
                assert_eq!(reservation.uuid, a.booking_id);
                assert_eq!(reservation.start, a.starts_at);
                assert!(reservation.location.contains("Øresundshallen"));
            }
            other => panic!("expected AFTALE, got {other:?}"),
        }
    }

    #[test]
    fn english_and_neutral_salutation() {
        let settings = LetterSettings::default();
        let c = citizen(Language::English);
        let notice = Notice::Invitation {
            campaign_id: 3,
            wave_id: Some(1),
        };
        let ctx = LetterContext {
            citizen: Some(&c),
            site: None,
            campaign_name: Some("COVID-19"),
            settings: &settings,
        };
        let letter = compose(&notice, &ctx).unwrap();
        assert_eq!(letter.language, Language::English);
        assert!(letter.title.starts_with("You can now book"));
        let ctx = LetterContext {
            citizen: None,
            ..ctx
        };
        let letter = compose(&notice, &ctx).unwrap();
        assert_eq!(letter.salutation, "Kære modtager,");
        assert_eq!(
            letter.action,
            Some(Action::SelfService {
                label: "Book tid".into(),
                url: "https://booking.example.dk/campaigns/3".into()
            })
        );
    }

    #[test]
    fn missing_site_or_campaign_is_an_error() {
        let settings = LetterSettings::default();
        let ctx = LetterContext {
            citizen: None,
            site: None,
            campaign_name: Some("x"),
            settings: &settings,
        };
        assert_eq!(
            compose(&Notice::BookingConfirmed(appointment()), &ctx),
            Err(RenderError::MissingSite(2))
        );
        let ctx = LetterContext {
            campaign_name: None,
            ..ctx
        };
        assert_eq!(
            compose(&Notice::Reminder { campaign_id: 9 }, &ctx),
            Err(RenderError::MissingCampaign(9))
        );
    }
}
