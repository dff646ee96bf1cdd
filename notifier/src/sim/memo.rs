//! Reading and checking a MeMo message as the gateway simulator receives it: the XML is
//! parsed into a small tree (no DTDs, no external entities), then checked against the
//! MeMo 1.2 structure (MEMO-STRUCTURE.md §3.2 and the official samples): root element
//! and namespace, required elements, element order, messageUUID, a CPR recipient, and
//! for DIGITALPOST a body with a MainDocument carrying at least one file. Untrusted
//! input: every failure is a `MemoError`, never a panic.

use base64::Engine;
use chrono::{DateTime, Utc};
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use uuid::Uuid;

use crate::domain::Cpr;
use crate::render::memo::NAMESPACE;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MemoError {
    #[error("not well-formed XML: {0}")]
    Xml(String),
    #[error("not a valid MeMo message: {0}")]
    Invalid(String),
}

fn invalid(msg: impl Into<String>) -> MemoError {
    MemoError::Invalid(msg.into())
}

/// An element of the parsed document.
#[derive(Debug, Default, Clone)]
struct Node {
    ns: Option<String>,
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn memo(&self, name: &str) -> Option<&Node> {
        self.children
            .iter()
            .find(|c| c.name == name && c.ns.as_deref() == Some(NAMESPACE))
    }

    fn memo_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children
            .iter()
            .filter(move |c| c.name == name && c.ns.as_deref() == Some(NAMESPACE))
    }

    fn required(&self, name: &str) -> Result<&Node, MemoError> {
        self.memo(name)
            .ok_or_else(|| invalid(format!("{} lacks the required memo:{name}", self.name)))
    }

    fn required_text(&self, name: &str) -> Result<String, MemoError> {
        let text = self.required(name)?.text.trim().to_owned();
        if text.is_empty() {
            return Err(invalid(format!("memo:{name} in {} is empty", self.name)));
        }
        Ok(text)
    }

    fn optional_text(&self, name: &str) -> Option<String> {
        self.memo(name)
            .map(|n| n.text.trim().to_owned())
            .filter(|t| !t.is_empty())
    }

    /// Children appear in the order of `order` (repeats allowed), nothing else.
    fn check_order(&self, order: &[&str]) -> Result<(), MemoError> {
        let mut last = 0;
        for child in &self.children {
            if child.ns.as_deref() != Some(NAMESPACE) {
                // Co-namespace content (grd:, kle:, ...) only lives inside ContentData
                // and AttentionData, which we do not descend into.
                return Err(invalid(format!(
                    "{} in {} is not in the MeMo namespace",
                    child.name, self.name
                )));
            }
            match order.iter().position(|n| *n == child.name) {
                Some(i) if i >= last => last = i,
                Some(_) => {
                    return Err(invalid(format!(
                        "memo:{} is out of order in memo:{}",
                        child.name, self.name
                    )))
                }
                None => {
                    return Err(invalid(format!(
                        "memo:{} is not allowed in memo:{}",
                        child.name, self.name
                    )))
                }
            }
        }
        Ok(())
    }
}

const MAX_DEPTH: usize = 32;

fn element(ns: Option<String>, e: &quick_xml::events::BytesStart<'_>) -> Result<Node, MemoError> {
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|e| MemoError::Xml(e.to_string()))?;
        let key = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| MemoError::Xml(e.to_string()))?
            .into_owned();
        attrs.push((key, value));
    }
    Ok(Node {
        ns,
        name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
        attrs,
        ..Node::default()
    })
}

fn parse_tree(xml: &[u8]) -> Result<Node, MemoError> {
    let mut reader = NsReader::from_reader(xml);
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    let xml_err = |e: quick_xml::Error| MemoError::Xml(e.to_string());
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(xml_err)?;
        let ns = match ns {
            ResolveResult::Bound(n) => Some(String::from_utf8_lossy(n.as_ref()).into_owned()),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(p) => {
                return Err(MemoError::Xml(format!(
                    "unknown namespace prefix {}",
                    String::from_utf8_lossy(&p)
                )))
            }
        };
        match event {
            Event::Start(e) => {
                if root.is_some() {
                    return Err(MemoError::Xml("content after the root element".into()));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(MemoError::Xml("elements nested too deeply".into()));
                }
                stack.push(element(ns, &e)?);
            }
            Event::Empty(e) => {
                let node = element(ns, &e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None if root.is_none() => root = Some(node),
                    None => return Err(MemoError::Xml("content after the root element".into())),
                }
            }
            Event::End(_) => {
                let node = stack
                    .pop()
                    .ok_or_else(|| MemoError::Xml("unbalanced end tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None => root = Some(node),
                }
            }
            Event::Text(t) => {
                let text = t
                    .xml10_content()
                    .map_err(|e| MemoError::Xml(e.to_string()))?;
                match stack.last_mut() {
                    Some(top) => top.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(MemoError::Xml("text outside the root element".into())),
                }
            }
            Event::CData(c) => {
                let text = c.decode().map_err(|e| MemoError::Xml(e.to_string()))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text);
                }
            }
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref().map_err(xml_err)?.map(String::from)
                } else {
                    let name = r.decode().map_err(|e| MemoError::Xml(e.to_string()))?;
                    quick_xml::escape::resolve_predefined_entity(&name).map(str::to_owned)
                };
                let text =
                    resolved.ok_or_else(|| MemoError::Xml("unknown entity reference".into()))?;
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&text);
                }
            }
            Event::DocType(_) => return Err(MemoError::Xml("DTDs are not accepted".into())),
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(MemoError::Xml("the document ends inside an element".into()));
    }
    root.ok_or_else(|| MemoError::Xml("no root element".into()))
}

/// MessageHeader children in the order of the official v1.2 full example.
const HEADER_ORDER: &[&str] = &[
    "messageType",
    "messageUUID",
    "messageID",
    "messageCode",
    "label",
    "notification",
    "additionalNotification",
    "reply",
    "replyByDateTime",
    "doNotDeliverUntilDate",
    "mandatory",
    "legalNotification",
    "postType",
    "Sender",
    "Recipient",
    "ContentData",
    "ForwardData",
    "ReplyData",
];
const BODY_ORDER: &[&str] = &[
    "createdDateTime",
    "MainDocument",
    "AdditionalDocument",
    "TechnicalDocument",
];
const DOCUMENT_ORDER: &[&str] = &[
    "mainDocumentID",
    "additionalDocumentID",
    "technicalDocumentID",
    "label",
    "File",
    "Action",
];
const FILE_ORDER: &[&str] = &["encodingFormat", "filename", "language", "content"];
const ACTION_ORDER: &[&str] = &[
    "label",
    "actionCode",
    "startDateTime",
    "endDateTime",
    "EntryPoint",
    "Reservation",
];
const ACTION_CODES: &[&str] = &[
    "AFTALE",
    "BETALING",
    "SELVBETJENING",
    "INFORMATION",
    "UNDERSKRIV",
    "BEKRAEFT",
    "FORBEREDELSE",
    "TILMELDING",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    DigitalPost,
    NemSms,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DigitalPost => "DIGITALPOST",
            Self::NemSms => "NEMSMS",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoFile {
    pub encoding_format: String,
    pub filename: String,
    pub language: String,
    pub content: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MemoReservation {
    pub description: String,
    pub location: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// A checked MeMo message.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedMessage {
    pub uuid: Uuid,
    pub kind: MessageKind,
    pub label: String,
    pub notification: Option<String>,
    pub sender_id: String,
    pub sender_label: Option<String>,
    /// The recipient's CPR number (checked).
    pub recipient: String,
    pub created: Option<DateTime<Utc>>,
    pub files: Vec<MemoFile>,
    /// actionCode of each Action of the MainDocument, in order.
    pub actions: Vec<String>,
    pub entry_points: Vec<String>,
    pub reservation: Option<MemoReservation>,
    pub has_reservation: bool,
}

fn datetime(node: &Node, name: &str) -> Result<DateTime<Utc>, MemoError> {
    let text = node.required_text(name)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| invalid(format!("memo:{name} is not an ISO 8601 date-time")))
}

/// Parses and checks a MeMo message.
pub fn parse_message(xml: &[u8]) -> Result<ParsedMessage, MemoError> {
    let root = parse_tree(xml)?;
    if root.name != "Message" || root.ns.as_deref() != Some(NAMESPACE) {
        return Err(invalid(format!(
            "the root element must be memo:Message in namespace {NAMESPACE}"
        )));
    }
    match root.attrs.iter().find(|(k, _)| k == "memoVersion") {
        Some((_, v)) if v == "1.2" || v == "1.1" => {}
        Some(_) => return Err(invalid("memoVersion must be 1.2 (or 1.1)")),
        None => return Err(invalid("memo:Message lacks the memoVersion attribute")),
    }
    root.check_order(&["MessageHeader", "MessageBody"])?;
    let header = root.required("MessageHeader")?;
    header.check_order(HEADER_ORDER)?;
    let kind = match header.required_text("messageType")?.as_str() {
        "DIGITALPOST" => MessageKind::DigitalPost,
        "NEMSMS" => MessageKind::NemSms,
        _ => return Err(invalid("messageType must be DIGITALPOST or NEMSMS")),
    };
    let uuid = Uuid::parse_str(&header.required_text("messageUUID")?)
        .map_err(|_| invalid("messageUUID is not a UUID"))?;
    let label = header.required_text("label")?;

    let sender = header.required("Sender")?;
    let sender_id = sender.required_text("senderID")?;
    match sender.required_text("idType")?.as_str() {
        "CVR" | "CPR" => {}
        _ => return Err(invalid("Sender idType must be CVR or CPR")),
    }
    let sender_label = sender.optional_text("label");

    let recipient = header.required("Recipient")?;
    if recipient.required_text("idType")? != "CPR" {
        return Err(invalid("Recipient idType must be CPR"));
    }
    let cpr = Cpr::parse(&recipient.required_text("recipientID")?)
        .map_err(|e| invalid(format!("recipientID: {e}")))?;

    let notification = header.optional_text("notification");
    let mut msg = ParsedMessage {
        uuid,
        kind,
        label,
        notification,
        sender_id,
        sender_label,
        recipient: cpr.as_str().to_owned(),
        created: None,
        files: Vec::new(),
        actions: Vec::new(),
        entry_points: Vec::new(),
        reservation: None,
        has_reservation: false,
    };
    match kind {
        MessageKind::NemSms => {
            if root.memo("MessageBody").is_some() {
                return Err(invalid("a NEMSMS message has no MessageBody"));
            }
            if msg.notification.is_none() {
                return Err(invalid(
                    "a NEMSMS message needs the SMS text in notification",
                ));
            }
        }
        MessageKind::DigitalPost => {
            let body = root.required("MessageBody")?;
            body.check_order(BODY_ORDER)?;
            msg.created = Some(datetime(body, "createdDateTime")?);
            let main = body.required("MainDocument")?;
            if body.memo_all("MainDocument").count() > 1 {
                return Err(invalid("only one MainDocument is allowed"));
            }
            main.check_order(DOCUMENT_ORDER)?;
            for file in main.memo_all("File") {
                msg.files.push(parse_file(file)?);
            }
            if msg.files.is_empty() {
                return Err(invalid("the MainDocument needs at least one memo:File"));
            }
            for action in main.memo_all("Action") {
                parse_action(action, &mut msg)?;
            }
        }
    }
    Ok(msg)
}

fn parse_file(file: &Node) -> Result<MemoFile, MemoError> {
    file.check_order(FILE_ORDER)?;
    let encoding_format = file.required_text("encodingFormat")?;
    let filename = file.required_text("filename")?;
    if filename
        .chars()
        .any(|c| "<>:\"/\\|?*".contains(c) || c.is_control())
    {
        return Err(invalid("filename contains a character MeMo forbids"));
    }
    let language = file.required_text("language")?;
    let encoded: String = file
        .required_text("content")?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let content = base64::engine::general_purpose::STANDARD
        .decode(encoded.as_bytes())
        .map_err(|_| invalid("File content is not base64"))?;
    if content.is_empty() {
        return Err(invalid("File content is empty"));
    }
    Ok(MemoFile {
        encoding_format,
        filename,
        language,
        content,
    })
}

fn parse_action(action: &Node, msg: &mut ParsedMessage) -> Result<(), MemoError> {
    action.check_order(ACTION_ORDER)?;
    action.required_text("label")?;
    let code = action.required_text("actionCode")?;
    if !ACTION_CODES.contains(&code.as_str()) {
        return Err(invalid(format!("unknown actionCode {code:?}")));
    }
    if let Some(entry) = action.memo("EntryPoint") {
        let url = entry.required_text("url")?;
        if !url.starts_with("https://") || url.len() <= "https://".len() {
            return Err(invalid("an EntryPoint url must be absolute https"));
        }
        msg.entry_points.push(url);
    }
    if let Some(r) = action.memo("Reservation") {
        r.check_order(&[
            "description",
            "reservationUUID",
            "abstract",
            "location",
            "startDateTime",
            "endDateTime",
            "organizerMail",
            "organizerName",
        ])?;
        Uuid::parse_str(&r.required_text("reservationUUID")?)
            .map_err(|_| invalid("reservationUUID is not a UUID"))?;
        let start = datetime(r, "startDateTime")?;
        let end = datetime(r, "endDateTime")?;
        if end < start {
            return Err(invalid("a Reservation ends before it starts"));
        }
        msg.reservation = Some(MemoReservation {
            description: r.required_text("description")?,
            location: r.required_text("location")?,
            start,
            end,
        });
        msg.has_reservation = true;
    }
    match code.as_str() {
        "AFTALE" if action.memo("Reservation").is_none() && action.memo("EntryPoint").is_none() => {
            return Err(invalid(
                "an AFTALE action needs a Reservation or an EntryPoint",
            ))
        }
        "SELVBETJENING" if action.memo("EntryPoint").is_none() => {
            return Err(invalid("a SELVBETJENING action needs an EntryPoint"))
        }
        _ => {}
    }
    msg.actions.push(code);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLES: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/testdata/memo/samples"
    );

    fn sample(name: &str) -> Option<Vec<u8>> {
        std::fs::read(format!("{SAMPLES}/{name}")).ok()
    }

    #[test]
    fn accepts_the_official_minimum_example() {
        // The shared test data lives outside the repository; skip only if it is absent.
        let Some(xml) = sample("MeMo_Minimum_Example.xml") else {
            return;
        };
        let msg = parse_message(&xml).unwrap();
        assert_eq!(msg.kind, MessageKind::DigitalPost);
        assert_eq!(msg.recipient, "2211771212");
        assert_eq!(msg.files.len(), 1);
    }

    #[test]
    fn accepts_the_official_full_example_with_bom() {
        let Some(xml) = sample("MeMo_Full_Example.xml") else {
            return;
        };
        let xml = xml
            .strip_prefix(b"\xef\xbb\xbf".as_slice())
            .unwrap_or(&xml)
            .to_vec();
        let msg = parse_message(&xml).unwrap();
        assert_eq!(
            msg.actions,
            vec!["SELVBETJENING".to_string(), "AFTALE".to_string()]
        );
        assert!(msg.has_reservation);
    }

    #[test]
    fn rejects_broken_messages() {
        let ok = r#"<memo:Message xmlns:memo="https://DigitalPost.dk/MeMo-1" memoVersion="1.2"><memo:MessageHeader><memo:messageType>DIGITALPOST</memo:messageType><memo:messageUUID>8C2EA15D-61FB-4BA9-9366-42F8B194C114</memo:messageUUID><memo:label>L</memo:label><memo:Sender><memo:senderID>12345678</memo:senderID><memo:idType>CVR</memo:idType><memo:label>K</memo:label></memo:Sender><memo:Recipient><memo:recipientID>2211771212</memo:recipientID><memo:idType>CPR</memo:idType></memo:Recipient></memo:MessageHeader><memo:MessageBody><memo:createdDateTime>2024-05-03T12:00:00Z</memo:createdDateTime><memo:MainDocument><memo:File><memo:encodingFormat>text/plain</memo:encodingFormat><memo:filename>a.txt</memo:filename><memo:language>da</memo:language><memo:content>VGhpcyBpcyBhIHRlc3Q=</memo:content></memo:File></memo:MainDocument></memo:MessageBody></memo:Message>"#;
        assert!(parse_message(ok.as_bytes()).is_ok());
        let broken = [
            ok.replace("8C2EA15D-61FB-4BA9-9366-42F8B194C114", "not-a-uuid"),
            ok.replace("2211771212", "22117712"),
            ok.replace("<memo:idType>CPR</memo:idType>", "<memo:idType>CVR</memo:idType>"),
            ok.replace("https://DigitalPost.dk/MeMo-1", "urn:other"),
            ok.replace("memoVersion=\"1.2\"", ""),
            ok.replace("<memo:label>L</memo:label>", ""),
            ok.replace("VGhpcyBpcyBhIHRlc3Q=", "***"),
            ok.replace("<memo:MessageBody>", "<memo:MessageBody><memo:bogus/>"),
            // label after Sender: out of order.
            ok.replace("<memo:label>L</memo:label>", "")
                .replace("</memo:Sender>", "</memo:Sender><memo:label>L</memo:label>"),
            ok.replace("</memo:Message>", ""),
            // A MainDocument without a file.
            ok.replace("<memo:File><memo:encodingFormat>text/plain</memo:encodingFormat><memo:filename>a.txt</memo:filename><memo:language>da</memo:language><memo:content>VGhpcyBpcyBhIHRlc3Q=</memo:content></memo:File>", ""),
            // A NEMSMS message with a body.
            ok.replace(">DIGITALPOST<", ">NEMSMS<"),
            // Actions: plain http, AFTALE without a calendar entry, an unknown code.
            ok.replace("</memo:File>", "</memo:File><memo:Action><memo:label>a</memo:label><memo:actionCode>SELVBETJENING</memo:actionCode><memo:EntryPoint><memo:url>http://x.dk</memo:url></memo:EntryPoint></memo:Action>"),
            ok.replace("</memo:File>", "</memo:File><memo:Action><memo:label>a</memo:label><memo:actionCode>AFTALE</memo:actionCode></memo:Action>"),
            ok.replace("</memo:File>", "</memo:File><memo:Action><memo:label>a</memo:label><memo:actionCode>RING</memo:actionCode></memo:Action>"),
            String::from("<!DOCTYPE x [<!ENTITY a \"b\">]><x/>"),
            String::new(),
        ];
        for (i, xml) in broken.iter().enumerate() {
            assert!(parse_message(xml.as_bytes()).is_err(), "case {i} accepted");
        }
    }

    #[test]
    fn never_panics_on_arbitrary_bytes() {
        for input in [
            &b"\xff\xfe<"[..],
            b"<a><b></a>",
            b"<<<<",
            b"&amp;",
            b"<memo:Message>",
        ] {
            assert!(parse_message(input).is_err());
        }
    }
}
