//! Shared helpers: test-data paths, development keys, sample payloads.

use std::path::PathBuf;
use std::sync::OnceLock;

use certificate::devkeys::{self, DevKeySet, DscLayout};
use certificate::payload::{
    CertificateType, DateOfBirth, Entry, Hcert, PersonName, Recovery, Test, Vaccination,
};
use certificate::schema::SchemaSet;
use certificate::trust::{TrustList, TrustedCertificate};
use certificate::valuesets::ValueSets;
use chrono::{NaiveDate, TimeZone, Utc};

/// `shared/` beside the workspace root.
pub fn shared() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared")
}

pub fn testdata(sub: &str) -> PathBuf {
    shared().join("testdata").join(sub)
}

pub fn schemas() -> &'static SchemaSet {
    static S: OnceLock<SchemaSet> = OnceLock::new();
    S.get_or_init(|| certificate::fs::load_schemas(&testdata("dcc-schema")).expect("schemas load"))
}

pub fn value_sets() -> &'static ValueSets {
    static V: OnceLock<ValueSets> = OnceLock::new();
    V.get_or_init(|| {
        certificate::fs::load_value_sets(&testdata("dcc-valuesets")).expect("value sets load")
    })
}

/// One development key set per test binary (key generation is the slow part).
pub fn keys() -> &'static DevKeySet {
    static K: OnceLock<DevKeySet> = OnceLock::new();
    K.get_or_init(|| {
        devkeys::generate(
            "DK",
            DscLayout::OnePerType,
            std::time::SystemTime::now() - std::time::Duration::from_secs(86_400),
            3650,
            730,
        )
        .expect("dev keys")
    })
}

pub fn trust_list() -> TrustList {
    let mut t = TrustList::new();
    for dsc in &keys().dscs {
        t.add(TrustedCertificate::from_der(&dsc.certificate_der, None).expect("dsc parses"));
    }
    t
}

pub fn signer_for(t: CertificateType) -> certificate::sign::Es256Signer {
    let dsc = keys()
        .dscs
        .iter()
        .find(|d| d.types == vec![t])
        .expect("dsc for type");
    certificate::sign::Es256Signer::from_pkcs8_der(&dsc.private_key_pkcs8, &dsc.certificate_der)
        .expect("signer")
}

pub fn name() -> PersonName {
    PersonName::new("Ærø-Sørensen", Some("Åse Marie")).expect("name")
}

pub fn payload(t: CertificateType) -> Hcert {
    let uvci = certificate::uvci::Uvci::new("DK", "0123456789ABCDEFGHIJ")
        .expect("uvci")
        .to_string();
    let entry = match t {
        CertificateType::Vaccination => Entry::Vaccination(Vaccination {
            tg: "840539006".into(),
            vp: "1119349007".into(),
            mp: "EU/1/20/1528".into(),
            ma: "ORG-100030215".into(),
            dn: 2,
            sd: 2,
            dt: NaiveDate::from_ymd_opt(2021, 6, 1).expect("date"),
            co: "DK".into(),
            is: "Sundhedsdatastyrelsen".into(),
            ci: uvci,
        }),
        CertificateType::Test => Entry::Test(Test {
            tg: "840539006".into(),
            tt: "LP6464-4".into(),
            nm: Some("Roche LightCycler qPCR".into()),
            ma: None,
            sc: Utc
                .with_ymd_and_hms(2021, 6, 1, 8, 0, 0)
                .single()
                .expect("time"),
            tr: "260415000".into(),
            tc: Some("Testcenter Amager".into()),
            co: "DK".into(),
            is: "Sundhedsdatastyrelsen".into(),
            ci: uvci,
        }),
        CertificateType::Recovery => Entry::Recovery(Recovery {
            tg: "840539006".into(),
            fr: NaiveDate::from_ymd_opt(2021, 5, 1).expect("date"),
            co: "DK".into(),
            is: "Sundhedsdatastyrelsen".into(),
            df: NaiveDate::from_ymd_opt(2021, 5, 12).expect("date"),
            du: NaiveDate::from_ymd_opt(2021, 10, 28).expect("date"),
            ci: uvci,
        }),
    };
    Hcert::new(
        name(),
        DateOfBirth::parse("1964-02-29").expect("dob"),
        entry,
    )
}
