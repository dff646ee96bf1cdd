//! Letters reach the right channel with the right content.

use crate::helpers::TestApp;
use notifier::sim::memo::{parse_message, MessageKind};
use serde_json::json;

const DIGITAL: &str = "0101801234";
const EXEMPT: &str = "0202802345";
const SMS: &str = "0303803456";
const UNKNOWN: &str = "0404804567";

#[tokio::test]
async fn a_digital_citizen_gets_one_valid_invitation_with_selvbetjening() {
    let app = TestApp::spawn().await;
    app.citizen(DIGITAL, "digital", false, "da").await;
    let id = app.enqueue("invitation", DIGITAL, app.invitation()).await;

    let report = app.worker.drain().await.unwrap();
    assert_eq!(report.delivered, 1);

    let inbox = app.sim.state.inbox(DIGITAL, MessageKind::DigitalPost);
    assert_eq!(inbox.len(), 1);
    let m = &inbox[0].message;
    assert_eq!(m.uuid, id);
    assert_eq!(m.actions, vec!["SELVBETJENING".to_string()]);
    assert_eq!(
        m.entry_points,
        vec![format!(
            "https://booking.example.dk/campaigns/{}",
            app.campaign_id
        )]
    );
    assert_eq!(m.files.len(), 1);
    assert_eq!(m.files[0].encoding_format, "application/pdf");
    assert_eq!(m.files[0].language, "da");
    assert!(m.files[0].content.starts_with(b"%PDF-"));
    // The stored XML passes the checks again on its own.
    assert_eq!(parse_message(inbox[0].xml.as_bytes()).unwrap().uuid, id);

    let row = app.row(id).await;
    assert_eq!(row.status, "delivered");
    assert_eq!(row.channel.as_deref(), Some("digital_post"));
    assert_eq!(row.attempts, 1);
    assert!(app.sim.state.inbox(DIGITAL, MessageKind::NemSms).is_empty());
    assert!(app.batches().is_empty());
}

#[tokio::test]
async fn confirmation_and_move_carry_an_aftale_with_a_reservation() {
    let app = TestApp::spawn().await;
    app.citizen(DIGITAL, "digital", false, "en").await;
    let confirmed = app
        .enqueue("booking_confirmed", DIGITAL, app.confirmation())
        .await;
    let mut moved = app.confirmation();
    moved["previous_booking_id"] = json!(uuid::Uuid::now_v7());
    moved["previous_starts_at"] = json!("2026-11-30T08:00:00Z");
    let moved_id = app.enqueue("booking_moved", DIGITAL, moved).await;
    let mut cancelled = app.confirmation();
    cancelled.as_object_mut().unwrap().remove("ends_at");
    let cancelled_id = app.enqueue("booking_cancelled", DIGITAL, cancelled).await;
    let pass_id = app.enqueue("pass_ready", DIGITAL, json!({})).await;

    app.worker.drain().await.unwrap();

    for id in [confirmed, moved_id] {
        let m = app.sim.state.get(id).unwrap().message;
        assert_eq!(m.actions, vec!["AFTALE".to_string()]);
        let r = m.reservation.expect("a calendar entry");
        assert_eq!(r.start.to_rfc3339(), "2026-12-01T08:00:00+00:00");
        assert_eq!(r.end.to_rfc3339(), "2026-12-01T08:10:00+00:00");
        assert!(r.location.contains("Øresundshallen"));
        assert!(r.location.contains("Ågade 1"));
        assert_eq!(m.files[0].language, "en");
    }
    let c = app.sim.state.get(cancelled_id).unwrap().message;
    assert!(c.label.contains("cancelled"));
    let p = app.sim.state.get(pass_id).unwrap().message;
    assert!(p.label.contains("pass"));
    assert_eq!(
        app.sim.state.inbox(DIGITAL, MessageKind::DigitalPost).len(),
        4
    );
}

#[tokio::test]
async fn an_exempt_citizen_gets_a_print_batch_letter_and_no_digital_post() {
    let app = TestApp::spawn().await;
    app.citizen(EXEMPT, "exempt", false, "da").await;
    let id = app
        .enqueue("booking_confirmed", EXEMPT, app.confirmation())
        .await;

    app.worker.drain().await.unwrap();

    assert!(app.sim.state.messages().is_empty());
    let batches = app.batches();
    assert_eq!(batches.len(), 1);
    let pdf = std::fs::read(batches[0].join(format!("{id}.pdf"))).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    // The recipient block for the window envelope.
    let text = notifier::render::pdf::extract_text(&pdf);
    assert!(
        text.contains("Søren Ærøe\nBlåbærvej 7\n5970 Ærøskøbing"),
        "{text}"
    );
    let manifest = std::fs::read_to_string(batches[0].join("manifest.xml")).unwrap();
    assert!(manifest.contains(&format!(
        "<fjernprint:AfsendelseIdentifikator>{id}</fjernprint:AfsendelseIdentifikator>"
    )));
    assert!(manifest.contains("<fjernprint:PersonName>Søren Ærøe</fjernprint:PersonName>"));
    assert!(
        manifest.contains("<fjernprint:PostCodeIdentifier>5970</fjernprint:PostCodeIdentifier>")
    );
    assert!(manifest.contains("<fjernprint:SideAntal>1</fjernprint:SideAntal>"));
    // No half-written batch is left behind.
    let leftovers = std::fs::read_dir(&app.print_dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.')
        })
        .count();
    assert_eq!(leftovers, 0);
    let row = app.row(id).await;
    assert_eq!(row.status, "delivered");
    assert_eq!(row.channel.as_deref(), Some("paper"));
}

#[tokio::test]
async fn a_paper_letter_is_not_printed_twice_after_a_crash() {
    let app = TestApp::spawn().await;
    app.citizen(EXEMPT, "exempt", false, "da").await;
    let id = app.enqueue("invitation", EXEMPT, app.invitation()).await;
    app.worker.drain().await.unwrap();
    // The worker "died" after writing the batch but before marking the row.
    app.execute(&format!(
        "UPDATE outbox SET status = 'queued', delivered_at = NULL, next_attempt_at = now() - interval '1 second' WHERE id = '{id}'"
    ))
    .await;
    app.worker.drain().await.unwrap();
    assert_eq!(app.batches().len(), 1);
    assert_eq!(app.row(id).await.status, "delivered");
}

#[tokio::test]
async fn a_nemsms_opt_in_also_gets_an_sms() {
    let app = TestApp::spawn().await;
    app.citizen(SMS, "digital", true, "da").await;
    app.citizen(EXEMPT, "exempt", true, "da").await;
    let digital = app.enqueue("invitation", SMS, app.invitation()).await;
    let paper = app.enqueue("invitation", EXEMPT, app.invitation()).await;

    app.worker.drain().await.unwrap();

    assert_eq!(app.sim.state.inbox(SMS, MessageKind::DigitalPost).len(), 1);
    let sms = app.sim.state.inbox(SMS, MessageKind::NemSms);
    assert_eq!(sms.len(), 1);
    assert!(sms[0]
        .message
        .notification
        .as_deref()
        .unwrap()
        .contains("digitale postkasse"));
    assert_ne!(sms[0].message.uuid, digital);
    // Exempt with SMS: paper plus the SMS notice.
    assert_eq!(app.sim.state.inbox(EXEMPT, MessageKind::NemSms).len(), 1);
    assert!(app
        .sim
        .state
        .inbox(EXEMPT, MessageKind::DigitalPost)
        .is_empty());
    assert_eq!(app.batches().len(), 1);
    assert!(app.row(digital).await.nemsms_sent_at.is_some());
    assert!(app.row(paper).await.nemsms_sent_at.is_some());
}

#[tokio::test]
async fn a_cpr_without_a_citizen_row_still_gets_digital_post() {
    let app = TestApp::spawn().await;
    let id = app.enqueue("invitation", UNKNOWN, app.invitation()).await;
    app.worker.drain().await.unwrap();
    let inbox = app.sim.state.inbox(UNKNOWN, MessageKind::DigitalPost);
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].message.uuid, id);
    assert!(!inbox[0].xml.contains("<memo:Recipient>\n\t\t\t<memo:recipientID>0404804567</memo:recipientID>\n\t\t\t<memo:idType>CPR</memo:idType>\n\t\t\t<memo:label>"));
    let text = notifier::render::pdf::extract_text(&inbox[0].message.files[0].content);
    assert!(text.contains("Kære modtager,"), "{text}");
}

#[tokio::test]
async fn unknown_kinds_and_bad_payloads_are_dead_lettered_with_the_reason() {
    let app = TestApp::spawn().await;
    let unknown = app.enqueue("carrier_pigeon", DIGITAL, json!({})).await;
    let bad = app
        .enqueue("booking_confirmed", DIGITAL, json!({"booking_id": 1}))
        .await;
    let bad_cpr = app.enqueue("invitation", "12", app.invitation()).await;
    let good = app.enqueue("invitation", DIGITAL, app.invitation()).await;

    let report = app.worker.drain().await.unwrap();
    assert_eq!(report.dead, 3);
    assert_eq!(report.delivered, 1);
    let row = app.row(unknown).await;
    assert_eq!(row.status, "dead");
    assert!(row
        .last_error
        .unwrap()
        .contains("unknown notification kind \"carrier_pigeon\""));
    assert!(app
        .row(bad)
        .await
        .last_error
        .unwrap()
        .contains("payload of booking_confirmed"));
    assert!(app.row(bad_cpr).await.last_error.unwrap().contains("CPR"));
    assert_eq!(app.row(good).await.status, "delivered");
    assert_eq!(app.sim.state.messages().len(), 1);
}

#[tokio::test]
async fn opening_a_letter_in_the_simulator_sets_opened_at() {
    let app = TestApp::spawn().await;
    app.citizen(DIGITAL, "digital", false, "da").await;
    let id = app.enqueue("invitation", DIGITAL, app.invitation()).await;
    app.worker.drain().await.unwrap();
    assert!(app.row(id).await.opened_at.is_none());

    let client = reqwest::Client::new();
    let inbox = client
        .get(format!("{}/inbox/{DIGITAL}", app.sim.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(inbox.contains(&format!("/inbox/{DIGITAL}/{id}")));
    assert!(inbox.contains("Du kan nu booke tid"));
    let view = client
        .get(format!("{}/inbox/{DIGITAL}/{id}", app.sim.base_url()))
        .send()
        .await
        .unwrap();
    assert!(view.status().is_success());

    assert_eq!(app.worker.sync_receipts().await.unwrap(), 1);
    assert!(app.row(id).await.opened_at.is_some());
    // Polling again changes nothing.
    assert_eq!(app.worker.sync_receipts().await.unwrap(), 0);
}

#[tokio::test]
async fn the_simulator_rejects_invalid_memo_with_a_reason() {
    let app = TestApp::spawn().await;
    let response = reqwest::Client::new()
        .post(app.sim.memo_url())
        .body("<memo:Message xmlns:memo=\"https://DigitalPost.dk/MeMo-1\" memoVersion=\"1.2\"/>")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("MessageHeader"));
    assert!(app.sim.state.messages().is_empty());
}
