//! The COSE_Sign1 and CWT parsers, and everything that reads a parsed message, on
//! arbitrary bytes (as they come out of zlib): must never panic.
#![no_main]

use certificate::codec::{self, Algorithm};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = codec::parse_cose(data) {
        let _ = msg.kid();
        let _ = msg.algorithm();
        let _ = msg.to_be_signed();
        let sig = msg.signature().to_vec();
        if let Ok(cwt) = codec::parse_cwt(msg.payload()) {
            let _ = certificate::schema::exactly_one_group(&cwt.dcc);
            let _ = certificate::revocation::hashes(&cwt.dcc, Some(Algorithm::Es256), &sig);
            let _ = certificate::payload::Hcert::from_json(&cwt.dcc);
        }
    }
    let _ = codec::parse_cwt(data);
});
