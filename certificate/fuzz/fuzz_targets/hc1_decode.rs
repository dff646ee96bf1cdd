//! The whole verification pipeline on arbitrary text: must never panic, whatever the
//! prefix, Base45, zlib or COSE content.
#![no_main]

use std::sync::OnceLock;

use certificate::trust::TrustList;
use certificate::verify::Verifier;
use libfuzzer_sys::fuzz_target;

fn trust() -> &'static TrustList {
    static T: OnceLock<TrustList> = OnceLock::new();
    T.get_or_init(TrustList::new)
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let verifier = Verifier::new(trust(), "DK");
    let report = verifier.verify(&text, chrono::DateTime::UNIX_EPOCH);
    let _ = report.is_valid();
    // The raw transport layers on their own, too.
    if let Ok(body) = certificate::codec::strip_prefix(&text) {
        if let Ok(z) = certificate::base45::decode(body) {
            let _ = certificate::codec::inflate(&z, 1 << 16);
        }
    }
});
