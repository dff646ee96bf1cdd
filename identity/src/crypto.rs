//! jsonwebtoken's crypto provider for this workspace: RustCrypto as jsonwebtoken ships
//! it, except ES256 verification, which goes to ring. A citizen's first request verifies
//! their token, and RustCrypto's portable P-256 made that verification a large share of
//! a booking's CPU; ring's assembly P-256 does the same check several times faster
//! (`cargo bench -p identity --bench tokens`). Signing (the development identity
//! provider only) and every other algorithm stay on RustCrypto.

use jsonwebtoken::crypto::{rust_crypto, CryptoProvider, JwkUtils, JwtVerifier};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::{Algorithm, DecodingKey};
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: rust_crypto::DEFAULT_PROVIDER.signer_factory,
    verifier_factory: new_verifier,
    jwk_utils: JwkUtils {
        extract_rsa_public_key_components: rust_crypto::DEFAULT_PROVIDER
            .jwk_utils
            .extract_rsa_public_key_components,
        extract_ec_public_key_coordinates: rust_crypto::DEFAULT_PROVIDER
            .jwk_utils
            .extract_ec_public_key_coordinates,
        compute_digest: rust_crypto::DEFAULT_PROVIDER.jwk_utils.compute_digest,
    },
};

/// Makes this the process's provider; true if it is (now or already). jsonwebtoken
/// picks its provider on first use, so this must run before any token is signed or
/// verified: [`crate::verifier::TokenVerifier::new`] and the development identity
/// provider call it.
pub fn install() -> bool {
    match PROVIDER.install_default() {
        Ok(()) => true,
        Err(installed) => std::ptr::eq(installed, &PROVIDER),
    }
}

fn new_verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    match (alg, key.kind()) {
        (Algorithm::ES256, jsonwebtoken::DecodingKeyKind::SecretOrDer(point))
            if key.family() == jsonwebtoken::AlgorithmFamily::Ec =>
        {
            // ring takes uncompressed SEC1 points only; anything else RustCrypto judges.
            if point.len() == 65 && point[0] == 0x04 {
                return Ok(Box::new(Es256(point.clone())));
            }
            (rust_crypto::DEFAULT_PROVIDER.verifier_factory)(alg, key)
        }
        (Algorithm::ES256, _) => Err(ErrorKind::InvalidKeyFormat.into()),
        _ => (rust_crypto::DEFAULT_PROVIDER.verifier_factory)(alg, key),
    }
}

/// ES256 with ring: the JWS signature is the fixed-size r‖s (RFC 7518 §3.4).
struct Es256(Vec<u8>);

impl signature::Verifier<Vec<u8>> for Es256 {
    fn verify(&self, msg: &[u8], sig: &Vec<u8>) -> Result<(), signature::Error> {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &self.0)
            .verify(msg, sig)
            .map_err(|_| signature::Error::new())
    }
}

impl JwtVerifier for Es256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::ES256
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::{signature::Signer, Signature, SigningKey};

    #[test]
    fn this_provider_is_the_one_installed() {
        assert!(install());
        assert!(install(), "installing twice keeps it");
    }

    fn key_pair() -> (SigningKey, DecodingKey) {
        let signing = SigningKey::random(&mut rand::rngs::OsRng);
        let point = signing.verifying_key().to_encoded_point(false);
        let b64 = |b: &[u8]| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
        };
        let key = DecodingKey::from_ec_components(
            &b64(point.x().expect("x")),
            &b64(point.y().expect("y")),
        )
        .expect("key");
        (signing, key)
    }

    #[test]
    fn ring_accepts_what_p256_signed_and_refuses_any_change() {
        let (signing, key) = key_pair();
        let verifier = new_verifier(&Algorithm::ES256, &key).expect("verifier");
        let sig: Signature = signing.sign(b"header.payload");
        let sig = sig.to_bytes().to_vec();
        assert!(verifier.verify(b"header.payload", &sig).is_ok());
        assert!(verifier.verify(b"header.payloaD", &sig).is_err());
        let mut flipped = sig.clone();
        flipped[10] ^= 1;
        assert!(verifier.verify(b"header.payload", &flipped).is_err());
        assert!(verifier
            .verify(b"header.payload", &sig[..63].to_vec())
            .is_err());
        let (_, other) = key_pair();
        let other = new_verifier(&Algorithm::ES256, &other).expect("verifier");
        assert!(other.verify(b"header.payload", &sig).is_err());
    }
}
