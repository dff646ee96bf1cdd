//! The manifest of a paper print batch, shaped after the Fjernprint `ForsendelseI`
//! (SF1600, `fjernprint-sf1600-xsd/SF1600_EP_SP1-2/xsd/oio/ForsendelseI.xsd`): per
//! letter the AfsendelseIdentifikator (our letter id), the recipient's name and postal
//! address, the file format and file, the document parameters (title, UUID, letter
//! date), the page count and the print parameters. The PDFs sit next to the manifest
//! instead of inline base64 (`MeddelelseIndholdData`), which print services also take.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use quick_xml::escape::escape;
use uuid::Uuid;

pub const NAMESPACE: &str = "urn:oio:fjernprint:1.0.0";

/// One letter in a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct PrintItem {
    pub letter_id: Uuid,
    pub recipient_name: String,
    pub address: String,
    pub postcode: String,
    pub city: String,
    pub title: String,
    pub file: String,
    pub pages: u32,
    pub letter_date: NaiveDate,
}

fn leaf(out: &mut String, indent: &str, name: &str, text: &str) {
    out.push_str(&format!(
        "{indent}<fjernprint:{name}>{}</fjernprint:{name}>\n",
        escape(text)
    ));
}

/// The manifest XML for a batch.
pub fn manifest(
    batch_id: Uuid,
    created: DateTime<Utc>,
    sender_cvr: &str,
    items: &[PrintItem],
) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<fjernprint:ForsendelseSamling xmlns:fjernprint=\"{NAMESPACE}\" batchID=\"{batch_id}\" createdDateTime=\"{}\" senderCVR=\"{}\" count=\"{}\">\n",
        created.to_rfc3339_opts(SecondsFormat::Secs, true),
        escape(sender_cvr),
        items.len()
    ));
    for item in items {
        out.push_str("\t<fjernprint:ForsendelseI>\n");
        // AfsendelseIdentifikator is at most 38 characters; a hyphenated UUID has 36.
        leaf(
            &mut out,
            "\t\t",
            "AfsendelseIdentifikator",
            &item.letter_id.to_string(),
        );
        out.push_str("\t\t<fjernprint:ForsendelseModtager>\n\t\t\t<fjernprint:ModtagerAdresse>\n");
        let i = "\t\t\t\t";
        leaf(&mut out, i, "PersonName", &item.recipient_name);
        leaf(&mut out, i, "PostalAddressFirstLineText", &item.address);
        leaf(&mut out, i, "PostCodeIdentifier", &item.postcode);
        leaf(&mut out, i, "DistrictName", &item.city);
        leaf(&mut out, i, "CountryIdentificationCode", "DK");
        out.push_str(
            "\t\t\t</fjernprint:ModtagerAdresse>\n\t\t</fjernprint:ForsendelseModtager>\n",
        );
        leaf(&mut out, "\t\t", "FilformatNavn", "PDF");
        leaf(&mut out, "\t\t", "MeddelelseIndholdFil", &item.file);
        out.push_str("\t\t<fjernprint:DokumentParametre>\n");
        leaf(&mut out, "\t\t\t", "TitelTekst", &item.title);
        leaf(
            &mut out,
            "\t\t\t",
            "UUIDIdentifikator",
            &item.letter_id.to_string(),
        );
        leaf(
            &mut out,
            "\t\t\t",
            "BrevDato",
            &item.letter_date.to_string(),
        );
        leaf(&mut out, "\t\t\t", "SideAntal", &item.pages.to_string());
        out.push_str("\t\t</fjernprint:DokumentParametre>\n");
        out.push_str("\t\t<fjernprint:PrintParametre>\n");
        leaf(&mut out, "\t\t\t", "SimplexDuplexKode", "Simplex");
        leaf(&mut out, "\t\t\t", "FarveSHKode", "SH");
        leaf(&mut out, "\t\t\t", "KuvertTypeKode", "C5");
        out.push_str("\t\t</fjernprint:PrintParametre>\n");
        out.push_str("\t</fjernprint:ForsendelseI>\n");
    }
    out.push_str("</fjernprint:ForsendelseSamling>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_letter_with_address_and_pages() {
        let id = Uuid::now_v7();
        let item = PrintItem {
            letter_id: id,
            recipient_name: "Åse Ørum & Co".into(),
            address: "Ærøvej 3".into(),
            postcode: "5970".into(),
            city: "Ærøskøbing".into(),
            title: "Invitation".into(),
            file: format!("{id}.pdf"),
            pages: 2,
            letter_date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        };
        let xml = manifest(Uuid::now_v7(), Utc::now(), "12345678", &[item]);
        assert!(xml.contains(&format!(
            "<fjernprint:AfsendelseIdentifikator>{id}</fjernprint:AfsendelseIdentifikator>"
        )));
        assert!(xml.contains("<fjernprint:PersonName>Åse Ørum &amp; Co</fjernprint:PersonName>"));
        assert!(xml.contains("<fjernprint:SideAntal>2</fjernprint:SideAntal>"));
        assert!(xml.contains("count=\"1\""));
    }
}
