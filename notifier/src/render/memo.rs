//! MeMo 1.2 messages (namespace `https://DigitalPost.dk/MeMo-1`), element order as in
//! the official v1.2 examples (`shared/testdata/memo/samples/`, MEMO-STRUCTURE.md §3.2):
//! a DIGITALPOST message with the letter as a PDF MainDocument and its Action, and a
//! NEMSMS message (header only, the SMS text in `notification`).

use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use quick_xml::escape::escape;
use uuid::Uuid;

use super::text::{Action, Letter};
use crate::domain::Cpr;
use crate::settings::LetterSettings;

pub const NAMESPACE: &str = "https://DigitalPost.dk/MeMo-1";
pub const VERSION: &str = "1.2";

/// A tiny writer that keeps indentation and escapes every text node.
struct Xml {
    out: String,
    depth: usize,
}

impl Xml {
    fn new() -> Self {
        Self {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            depth: 0,
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push('\t');
        }
    }

    fn open(&mut self, name: &str) {
        self.indent();
        self.out.push_str(&format!("<memo:{name}>\n"));
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.out.push_str(&format!("</memo:{name}>\n"));
    }

    fn leaf(&mut self, name: &str, text: &str) {
        self.indent();
        self.out
            .push_str(&format!("<memo:{name}>{}</memo:{name}>\n", escape(text)));
    }
}

fn utc(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Characters MeMo forbids in a file name (digitaliser.dk "øget validering", Nov 2024).
pub fn sanitise_filename(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if "<>:\"/\\|?*".contains(c) || c.is_control() || (c.is_whitespace() && c != ' ') {
                '_'
            } else {
                c
            }
        })
        .collect();
    if cleaned.trim().is_empty() {
        "brev.pdf".into()
    } else {
        cleaned
    }
}

/// Who a message is from and to, and its id.
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a> {
    /// messageUUID: the outbox row id (or derived from it), so a resend is the same message.
    pub uuid: Uuid,
    pub recipient: &'a Cpr,
    /// The recipient's name, when known (MeMo Recipient/label).
    pub recipient_label: Option<&'a str>,
    pub sender: &'a LetterSettings,
}

fn header(
    x: &mut Xml,
    message_type: &str,
    env: &Envelope<'_>,
    label: &str,
    notification: Option<&str>,
) {
    let (recipient, recipient_label, sender) = (env.recipient, env.recipient_label, env.sender);
    x.open("MessageHeader");
    x.leaf("messageType", message_type);
    x.leaf("messageUUID", &env.uuid.to_string());
    x.leaf("label", label);
    if let Some(text) = notification {
        x.leaf("notification", text);
    }
    if message_type == "DIGITALPOST" {
        x.leaf("mandatory", "false");
        x.leaf("legalNotification", "false");
        x.leaf("postType", "MYNDIGHEDSPOST");
    }
    x.open("Sender");
    x.leaf("senderID", &sender.sender_cvr);
    x.leaf("idType", "CVR");
    x.leaf("label", &sender.sender_label);
    x.close("Sender");
    x.open("Recipient");
    x.leaf("recipientID", recipient.as_str());
    x.leaf("idType", "CPR");
    if let Some(label) = recipient_label {
        x.leaf("label", label);
    }
    x.close("Recipient");
    x.close("MessageHeader");
}

fn root_open(x: &mut Xml) {
    x.out.push_str(&format!(
        "<memo:Message xmlns:memo=\"{NAMESPACE}\" memoVersion=\"{VERSION}\">\n"
    ));
    x.depth = 1;
}

fn root_close(x: &mut Xml) {
    x.out.push_str("</memo:Message>\n");
}

/// A Digital Post letter with the PDF as its MainDocument.
pub fn digital_post(
    env: &Envelope<'_>,
    letter: &Letter,
    pdf: &[u8],
    created: DateTime<Utc>,
) -> String {
    let uuid = env.uuid;
    let mut x = Xml::new();
    root_open(&mut x);
    header(&mut x, "DIGITALPOST", env, &letter.title, None);
    x.open("MessageBody");
    x.leaf("createdDateTime", &utc(created));
    x.open("MainDocument");
    x.leaf("mainDocumentID", &uuid.to_string());
    x.leaf("label", &letter.title);
    x.open("File");
    x.leaf("encodingFormat", "application/pdf");
    x.leaf("filename", &sanitise_filename(&letter.filename));
    x.leaf("language", letter.language.code());
    x.leaf(
        "content",
        &base64::engine::general_purpose::STANDARD.encode(pdf),
    );
    x.close("File");
    match &letter.action {
        Some(Action::SelfService { label, url }) => {
            x.open("Action");
            x.leaf("label", label);
            x.leaf("actionCode", "SELVBETJENING");
            x.open("EntryPoint");
            x.leaf("url", url);
            x.close("EntryPoint");
            x.close("Action");
        }
        Some(Action::Appointment {
            label,
            reservation: r,
        }) => {
            x.open("Action");
            x.leaf("label", label);
            x.leaf("actionCode", "AFTALE");
            x.leaf("startDateTime", &utc(r.start));
            x.leaf("endDateTime", &utc(r.end));
            x.open("Reservation");
            x.leaf("description", &r.description);
            x.leaf("reservationUUID", &r.uuid.to_string());
            x.leaf("abstract", &r.abstract_text);
            x.leaf("location", &r.location);
            x.leaf("startDateTime", &utc(r.start));
            x.leaf("endDateTime", &utc(r.end));
            x.leaf("organizerMail", &r.organizer_mail);
            x.leaf("organizerName", &r.organizer_name);
            x.close("Reservation");
            x.close("Action");
        }
        None => {}
    }
    x.close("MainDocument");
    x.close("MessageBody");
    root_close(&mut x);
    x.out
}

/// A NemSMS notice: header only, the SMS text in `notification` (samples/MeMo_NemSMS.xml).
pub fn nemsms(env: &Envelope<'_>, label: &str, text: &str) -> String {
    let mut x = Xml::new();
    root_open(&mut x);
    header(&mut x, "NEMSMS", env, label, Some(text));
    root_close(&mut x);
    x.out
}

/// The NemSMS message id for a letter: derived from the letter's id, so a resend of the
/// SMS is the same message too.
pub fn nemsms_uuid(letter_id: Uuid) -> Uuid {
    Uuid::new_v5(&letter_id, b"nemsms")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Language;
    use crate::render::text::Reservation;
    use crate::sim::memo::{parse_message, MessageKind};

    fn letter(action: Option<Action>) -> Letter {
        Letter {
            language: Language::Danish,
            title: "Bekræftelse <&> \"tid\"".into(),
            salutation: "Kære".into(),
            paragraphs: vec![],
            action,
            filename: "Bekræftelse: tid?.pdf".into(),
        }
    }

    #[test]
    fn digital_post_round_trips_through_the_simulator_checks() {
        let id = Uuid::now_v7();
        let start: DateTime<Utc> = "2026-12-01T08:00:00Z".parse().unwrap();
        let action = Action::Appointment {
            label: "Opret aftale i kalender".into(),
            reservation: Reservation {
                uuid: Uuid::now_v7(),
                description: "Vaccination".into(),
                abstract_text: "COVID-19".into(),
                location: "Hal 1, Vej 2, 8000".into(),
                start,
                end: start + chrono::Duration::minutes(10),
                organizer_name: "Os".into(),
                organizer_mail: "os@example.dk".into(),
            },
        };
        let cpr = Cpr::parse("0101801234").unwrap();
        let sender = LetterSettings::default();
        let env = Envelope {
            uuid: id,
            recipient: &cpr,
            recipient_label: Some("Søren"),
            sender: &sender,
        };
        let xml = digital_post(&env, &letter(Some(action)), b"%PDF-1.7", start);
        assert!(xml.contains(
            "<memo:Message xmlns:memo=\"https://DigitalPost.dk/MeMo-1\" memoVersion=\"1.2\">"
        ));
        assert!(xml.contains("&lt;&amp;&gt;"));
        let msg = parse_message(xml.as_bytes()).unwrap();
        assert_eq!(msg.uuid, id);
        assert_eq!(msg.kind, MessageKind::DigitalPost);
        assert_eq!(msg.recipient, "0101801234");
        assert_eq!(msg.label, "Bekræftelse <&> \"tid\"");
        assert_eq!(msg.actions, vec!["AFTALE".to_string()]);
        assert!(msg.has_reservation);
        assert_eq!(msg.files[0].filename, "Bekræftelse_ tid_.pdf");
        assert_eq!(msg.files[0].content, b"%PDF-1.7");
    }

    #[test]
    fn element_order_follows_the_official_example() {
        let cpr = Cpr::parse("0101801234").unwrap();
        let sender = LetterSettings::default();
        let env = Envelope {
            uuid: Uuid::now_v7(),
            recipient: &cpr,
            recipient_label: None,
            sender: &sender,
        };
        let letter = letter(Some(Action::SelfService {
            label: "Book".into(),
            url: "https://example.dk/book".into(),
        }));
        let xml = digital_post(&env, &letter, b"x", Utc::now());
        let order = [
            "<memo:messageType>",
            "<memo:messageUUID>",
            "<memo:label>",
            "<memo:Sender>",
            "<memo:Recipient>",
            "</memo:MessageHeader>",
            "<memo:createdDateTime>",
            "<memo:MainDocument>",
            "<memo:File>",
            "<memo:encodingFormat>",
            "<memo:filename>",
            "<memo:language>",
            "<memo:content>",
            "<memo:Action>",
            "<memo:actionCode>SELVBETJENING",
            "<memo:EntryPoint>",
        ];
        let positions: Vec<usize> = order.iter().map(|t| xml.find(t).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{xml}");
    }

    #[test]
    fn nemsms_has_no_body() {
        let id = nemsms_uuid(Uuid::now_v7());
        let cpr = Cpr::parse("0101801234").unwrap();
        let sender = LetterSettings::default();
        let env = Envelope {
            uuid: id,
            recipient: &cpr,
            recipient_label: None,
            sender: &sender,
        };
        let xml = nemsms(&env, "Tid", "Din tid er bekræftet");
        assert!(!xml.contains("MessageBody"));
        let msg = parse_message(xml.as_bytes()).unwrap();
        assert_eq!(msg.kind, MessageKind::NemSms);
        assert_eq!(msg.notification.as_deref(), Some("Din tid er bekræftet"));
        assert_eq!(nemsms_uuid(id), nemsms_uuid(id));
    }

    proptest::proptest! {
        /// Whatever the text, the XML escapes it and the reader gets the same text back.
        #[test]
        fn any_title_round_trips(title in "x[a-zA-Z0-9æøåÆØÅ<>&\"' ;#]{0,40}x") {
            let cpr = Cpr::parse("0101801234").unwrap();
            let sender = LetterSettings::default();
            let env = Envelope { uuid: Uuid::now_v7(), recipient: &cpr, recipient_label: Some(&title), sender: &sender };
            let mut l = letter(None);
            l.title = title.clone();
            let msg = parse_message(digital_post(&env, &l, b"%PDF", Utc::now()).as_bytes()).unwrap();
            proptest::prop_assert_eq!(msg.label, title);
        }

        /// A valid message cut anywhere is refused (or, cut after the root, accepted),
        /// never a panic.
        #[test]
        fn truncated_messages_never_panic(cut in 0usize..4000) {
            let cpr = Cpr::parse("0101801234").unwrap();
            let sender = LetterSettings::default();
            let env = Envelope { uuid: Uuid::now_v7(), recipient: &cpr, recipient_label: None, sender: &sender };
            let xml = digital_post(&env, &letter(None), b"%PDF-1.7", Utc::now());
            let cut = cut.min(xml.len());
            let result = parse_message(&xml.as_bytes()[..cut]);
            if cut < xml.trim_end().len() {
                proptest::prop_assert!(result.is_err());
            }
        }

        /// Untrusted input never panics the simulator's reader.
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(proptest::arbitrary::any::<u8>(), 0..400)) {
            let _ = parse_message(&bytes);
        }
    }
}
