//! Each verification step fails on its own kind of bad input, with its own error.

use super::common::*;
use certificate::codec::{CoseError, InflateError, PrefixError};
use certificate::issue::{Claims, Issuer};
use certificate::payload::CertificateType;
use certificate::revocation::{self, HashType, RevocationList};
use certificate::verify::{
    ExpiryError, KeyUsageError, KidError, NotRun, RevocationError, SignatureError, Step, StepError,
    Verifier,
};
use chrono::{Duration, Utc};

fn issue(t: CertificateType, signer_type: CertificateType, claims: &Claims) -> String {
    Issuer::new(signer_for(signer_type))
        .issue(&payload(t), claims)
        .expect("issue")
        .into_string()
}

fn claims() -> Claims {
    let now = Utc::now().timestamp();
    Claims {
        issuer: "DK".into(),
        issued_at: now - 60,
        expires_at: now + 86_400,
    }
}

#[test]
fn transport_layer_errors_are_typed() {
    let trust = trust_list();
    let v = Verifier::new(&trust, "DK");
    let r = v.verify("HC2:ABC", Utc::now());
    assert_eq!(
        r.prefix,
        Step::Failed(StepError(PrefixError::Unsupported("HC2:".into())))
    );
    assert_eq!(r.base45, Step::NotRun(NotRun::EarlierStepFailed));
    assert!(!r.is_valid());
    assert!(v.verify("HC1:abc", Utc::now()).base45.failed());
    // Valid Base45 of non-zlib bytes.
    let r = v.verify(
        &format!("HC1:{}", certificate::base45::encode(b"\xd2\x84garbage")),
        Utc::now(),
    );
    assert!(matches!(
        r.inflate,
        Step::Failed(StepError(InflateError::Corrupt(_)))
    ));
    // A zlib bomb stays under the cap.
    let big = vec![0u8; 1 << 20];
    let mut issuer = Issuer::new(signer_for(CertificateType::Test));
    let z = issuer.compress(&big).expect("compress");
    let r = v.verify(
        &format!("HC1:{}", certificate::base45::encode(&z)),
        Utc::now(),
    );
    assert!(matches!(
        r.inflate,
        Step::Failed(StepError(InflateError::TooLarge { .. }))
    ));
    // Compressed, but not COSE.
    let z = issuer
        .compress(&[0x83, 0x01, 0x02, 0x03])
        .expect("compress");
    let r = v.verify(
        &format!("HC1:{}", certificate::base45::encode(&z)),
        Utc::now(),
    );
    assert!(matches!(
        r.cose,
        Step::Failed(StepError(CoseError::Structure(_)))
    ));
}

#[test]
fn good_certificate_passes_every_configured_step() {
    let trust = trust_list();
    let hc1 = issue(
        CertificateType::Vaccination,
        CertificateType::Vaccination,
        &claims(),
    );
    let revoked = RevocationList::new();
    let r = Verifier::new(&trust, "DK")
        .with_schemas(schemas())
        .with_revocation(&revoked)
        .verify(&hc1, Utc::now());
    assert!(r.is_valid(), "{r:#?}");
    assert_eq!(r.rules, Step::NotRun(NotRun::NotConfigured));
    assert_eq!(r.value_sets, Step::NotRun(NotRun::NotConfigured));
    assert!(r.revocation.passed());
}

#[test]
fn wrong_type_for_dsc_fails_key_usage() {
    let trust = trust_list();
    let hc1 = issue(
        CertificateType::Vaccination,
        CertificateType::Test,
        &claims(),
    );
    let r = Verifier::new(&trust, "DK").verify(&hc1, Utc::now());
    assert!(r.signature.passed());
    assert_eq!(
        r.key_usage,
        Step::Failed(KeyUsageError::NotAllowed(CertificateType::Vaccination))
    );
    assert!(!r.is_valid());
}

#[test]
fn expiry_is_checked_against_the_clock() {
    let trust = trust_list();
    let hc1 = issue(CertificateType::Test, CertificateType::Test, &claims());
    let v = Verifier::new(&trust, "DK");
    assert_eq!(
        v.verify(&hc1, Utc::now() + Duration::days(2)).expiry,
        Step::Failed(ExpiryError::Expired)
    );
    assert_eq!(
        v.verify(&hc1, Utc::now() - Duration::hours(1)).expiry,
        Step::Failed(ExpiryError::IssuedInFuture)
    );
    // exp beyond the DSC's notAfter
    let now = Utc::now().timestamp();
    let long = Claims {
        issuer: "DK".into(),
        issued_at: now - 60,
        expires_at: now + 5 * 365 * 86_400,
    };
    let hc1 = issue(CertificateType::Test, CertificateType::Test, &long);
    assert_eq!(
        v.verify(&hc1, Utc::now()).expiry,
        Step::Failed(ExpiryError::OutlivesCertificate)
    );
}

#[test]
fn unknown_kid_and_bad_signature() {
    let hc1 = issue(
        CertificateType::Recovery,
        CertificateType::Recovery,
        &claims(),
    );
    let empty = certificate::trust::TrustList::new();
    let r = Verifier::new(&empty, "DK").verify(&hc1, Utc::now());
    assert!(matches!(r.kid, Step::Failed(KidError::Unknown(_))));
    assert_eq!(r.signature, Step::NotRun(NotRun::EarlierStepFailed));

    // Same kid, different key: the pipeline tries every DSC with that kid.
    let trust = trust_list();
    let recovery_dsc = keys()
        .dscs
        .iter()
        .find(|d| d.types == vec![CertificateType::Recovery])
        .expect("dsc");
    let kid = certificate::trust::KeyId::of_certificate(&recovery_dsc.certificate_der);
    let other = keys()
        .dscs
        .iter()
        .find(|d| d.types == vec![CertificateType::Test])
        .expect("dsc");
    let mut colliding = certificate::trust::TrustList::new();
    colliding.add(
        certificate::trust::TrustedCertificate::from_der(&other.certificate_der, Some(kid.clone()))
            .expect("dsc"),
    );
    let r = Verifier::new(&colliding, "DK").verify(&hc1, Utc::now());
    assert!(
        matches!(r.signature, Step::Failed(SignatureError::NotVerified(ref v)) if v.len() == 1)
    );
    colliding.add(
        certificate::trust::TrustedCertificate::from_der(&recovery_dsc.certificate_der, None)
            .expect("dsc"),
    );
    assert!(Verifier::new(&colliding, "DK")
        .verify(&hc1, Utc::now())
        .signature
        .passed());
    assert!(Verifier::new(&trust, "DK")
        .verify(&hc1, Utc::now())
        .is_valid());
}

#[test]
fn revocation_by_each_hash_type() {
    let trust = trust_list();
    let hc1 = issue(
        CertificateType::Vaccination,
        CertificateType::Vaccination,
        &claims(),
    );
    let body = certificate::codec::strip_prefix(&hc1).expect("prefix");
    let cose =
        certificate::codec::inflate(&certificate::base45::decode(body).expect("b45"), 1 << 16)
            .expect("zlib");
    let msg = certificate::codec::parse_cose(&cose).expect("cose");
    let cwt = certificate::codec::parse_cwt(msg.payload()).expect("cwt");
    let hashes = revocation::hashes(&cwt.dcc, msg.algorithm(), msg.signature());
    for (kind, hash) in [
        (HashType::Uci, hashes.uci.expect("uci")),
        (
            HashType::CountryCodeUci,
            hashes.country_code_uci.expect("cc"),
        ),
        (HashType::Signature, hashes.signature),
    ] {
        let mut list = RevocationList::new();
        list.add(kind, hash);
        let r = Verifier::new(&trust, "DK")
            .with_revocation(&list)
            .verify(&hc1, Utc::now());
        assert_eq!(r.revocation, Step::Failed(RevocationError::Revoked(kind)));
        assert!(!r.is_valid());
    }
}

#[test]
fn business_rules_run_through_certlogic() {
    let trust = trust_list();
    let dir = testdata("business-rules/EU");
    let mut rules = Vec::new();
    for id in [
        "GR-EU-0000",
        "VR-EU-0000",
        "VR-EU-0001",
        "VR-EU-0002",
        "TR-EU-0000",
    ] {
        let text = std::fs::read_to_string(dir.join(id).join("rule.json")).expect("rule");
        rules.push(certlogic::rules::Rule::from_json_str(&text).expect("rule parses"));
    }
    let hc1 = issue(
        CertificateType::Vaccination,
        CertificateType::Vaccination,
        &claims(),
    );
    let r = Verifier::new(&trust, "DK")
        .with_value_sets(value_sets())
        .with_rules(&rules)
        .verify(&hc1, Utc::now());
    // The GR and three VR rules apply to a vaccination; TR-EU-0000 does not.
    assert_eq!(r.rules, Step::Passed(4), "{:#?}", r.rules);

    // A rule the certificate does not meet.
    let failing = certlogic::rules::Rule::from_json(&serde_json::json!({
        "Identifier": "VR-DK-9999", "Type": "Acceptance", "Country": "DK", "Version": "1.0.0",
        "SchemaVersion": "1.0.0", "Engine": "CERTLOGIC", "EngineVersion": "0.7.5",
        "CertificateType": "Vaccination",
        "Description": [{"lang": "en", "desc": "Dose 3 required."}],
        "ValidFrom": "2021-01-01T00:00:00Z", "ValidTo": "2099-01-01T00:00:00Z",
        "AffectedFields": ["v.0.dn"],
        "Logic": {">=": [{"var": "payload.v.0.dn"}, 3]}
    }))
    .expect("rule");
    let rules = [failing];
    let r = Verifier::new(&trust, "DK")
        .with_rules(&rules)
        .verify(&hc1, Utc::now());
    match &r.rules {
        Step::Failed(e) => assert_eq!(e.0[0].identifier, "VR-DK-9999"),
        other => panic!("expected failure, got {other:?}"),
    }
    assert!(!r.is_valid());
}

#[test]
fn trust_list_formats() {
    use base64::Engine as _;
    let dsc = &keys().dscs[0];
    let der = &dsc.certificate_der;
    let pem = certificate::sign::to_pem(der, "CERTIFICATE");
    let mut t = certificate::trust::TrustList::new();
    assert_eq!(t.load(der).expect("der"), 1);
    assert_eq!(t.load(pem.as_bytes()).expect("pem"), 1);
    let doc = serde_json::json!([{
        "kid": certificate::trust::KeyId::of_certificate(der).to_base64(),
        "country": "DK",
        "certificate": base64::engine::general_purpose::STANDARD.encode(der),
    }]);
    assert_eq!(t.load(doc.to_string().as_bytes()).expect("json"), 1);
    assert_eq!(t.len(), 3);
    let kid = certificate::trust::KeyId::of_certificate(der);
    assert_eq!(t.by_kid(kid.as_bytes()).len(), 3);
    assert!(t.load(b"not a certificate").is_err());
    // The EKU makes each DSC allow exactly its type.
    for d in &keys().dscs {
        let c = certificate::trust::TrustedCertificate::from_der(&d.certificate_der, None)
            .expect("dsc");
        for ty in CertificateType::ALL {
            assert_eq!(c.allowed_types().allows(ty), d.types.contains(&ty));
        }
        assert_eq!(c.country(), Some("DK"));
    }
}
