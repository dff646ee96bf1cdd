//! Property tests: Base45 round trips and rejects, and no decoder panics on any input.

use proptest::prelude::*;

proptest! {
    #[test]
    fn base45_round_trips(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let text = certificate::base45::encode(&data);
        prop_assert_eq!(text.len(), data.len() / 2 * 3 + data.len() % 2 * 2);
        prop_assert!(text.bytes().all(|b| b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:".contains(&b)));
        prop_assert_eq!(certificate::base45::decode(&text), Ok(data));
    }

    #[test]
    fn base45_decode_never_panics_and_is_canonical(text in "[0-9A-Z $%*+\\-./:a-z#]{0,64}") {
        if let Ok(bytes) = certificate::base45::decode(&text) {
            // Any accepted string is the unique encoding of its bytes.
            prop_assert_eq!(certificate::base45::encode(&bytes), text);
        }
    }

    #[test]
    fn base45_rejects_lone_trailing_character(data in proptest::collection::vec(any::<u8>(), 0..64), c in "[0-9A-Z]") {
        let text = certificate::base45::encode(&data) + &c;
        if text.len() % 3 == 1 {
            let is_length_error = matches!(certificate::base45::decode(&text), Err(certificate::base45::Base45Error::InvalidLength { .. }));
            prop_assert!(is_length_error);
        }
    }

    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = certificate::codec::inflate(&bytes, 4096);
        if let Ok(m) = certificate::codec::parse_cose(&bytes) {
            let _ = certificate::codec::parse_cwt(m.payload());
            let _ = m.to_be_signed();
        }
        let _ = certificate::codec::parse_cwt(&bytes);
    }

    #[test]
    fn transliteration_is_machine_readable(name in "\\PC{1,40}") {
        if let Ok(t) = certificate::translit::transliterate(&name) {
            prop_assert!(certificate::translit::is_machine_readable(&t));
            prop_assert!(!t.starts_with('<') && !t.ends_with('<'));
        }
    }
}
