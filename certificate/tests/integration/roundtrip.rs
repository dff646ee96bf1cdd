//! Issue → QR PNG → decode the image → verify, for each certificate type.

use super::common::*;
use certificate::issue::{Claims, Issuer};
use certificate::payload::CertificateType;
use certificate::qr::{self, RenderOptions};
use certificate::verify::{Step, Verifier};
use chrono::Utc;

fn claims() -> Claims {
    let now = Utc::now().timestamp();
    Claims {
        issuer: "DK".into(),
        issued_at: now - 60,
        expires_at: now + 30 * 86_400,
    }
}

#[test]
fn each_type_round_trips_through_a_png_qr_code() {
    let trust = trust_list();
    for t in CertificateType::ALL {
        let hcert = payload(t);
        let mut issuer = Issuer::new(signer_for(t));
        let hc1 = issuer.issue(&hcert, &claims()).expect("issue");
        assert!(hc1.as_str().starts_with("HC1:"));

        let png = qr::render_png(hc1.as_str(), RenderOptions::default()).expect("png");
        let scanned = qr::decode_image(&png).expect("scan");
        assert_eq!(scanned, hc1.as_str(), "{t}");

        let report = Verifier::new(&trust, "DK")
            .with_schemas(schemas())
            .with_value_sets(value_sets())
            .verify(&scanned, Utc::now());
        assert!(report.is_valid(), "{t}: {report:#?}");
        assert_eq!(report.key_usage, Step::Passed(t));
        assert_eq!(report.value_sets, Step::Passed(()), "{t}");
        let decoded = report.decoded.expect("decoded");
        assert_eq!(decoded.dcc, hcert.to_json().expect("json"));
        assert_eq!(decoded.dcc["nam"]["fnt"], "AEROE<SOERENSEN");
    }
}

#[test]
fn svg_and_qr_parameters() {
    let mut issuer = Issuer::new(signer_for(CertificateType::Vaccination));
    let hc1 = issuer
        .issue(&payload(CertificateType::Vaccination), &claims())
        .expect("issue");
    let code = qr::encode(hc1.as_str()).expect("qr");
    assert_eq!(code.error_correction_level(), qrcode::EcLevel::Q);
    let svg = qr::render_svg(hc1.as_str(), RenderOptions::default()).expect("svg");
    assert!(svg.contains("<svg"));
    assert!(matches!(
        qr::encode("hc1:lower"),
        Err(qr::QrCodeError::NotAlphanumeric)
    ));
}

#[test]
fn jpeg_photo_decodes() {
    let mut issuer = Issuer::new(signer_for(CertificateType::Test));
    let hc1 = issuer
        .issue(&payload(CertificateType::Test), &claims())
        .expect("issue");
    let png = qr::render_png(
        hc1.as_str(),
        RenderOptions {
            module_size: 6,
            quiet_zone: 4,
        },
    )
    .expect("png");
    let img = image::load_from_memory(&png)
        .expect("png decodes")
        .to_luma8();
    let mut jpeg = std::io::Cursor::new(Vec::new());
    img.write_to(&mut jpeg, image::ImageFormat::Jpeg)
        .expect("jpeg");
    assert_eq!(
        qr::decode_image(jpeg.get_ref()).expect("scan"),
        hc1.as_str()
    );
}

#[test]
fn signatures_are_raw_r_s_and_kid_is_protected() {
    let issuer = Issuer::new(signer_for(CertificateType::Recovery));
    let cose = issuer
        .sign(&payload(CertificateType::Recovery), &claims())
        .expect("sign");
    assert_eq!(cose[0], 0xD2, "tag 18");
    let msg = certificate::codec::parse_cose(&cose).expect("parse");
    assert_eq!(msg.signature().len(), 64, "ES256 is r||s, not DER");
    assert_eq!(msg.kid().map(<[u8]>::len), Some(8));
    assert_eq!(msg.tagging(), certificate::codec::CoseTagging::Sign1Tag);
    let cwt = certificate::codec::parse_cwt(msg.payload()).expect("cwt");
    assert_eq!(cwt.issuer.as_deref(), Some("DK"));
}
