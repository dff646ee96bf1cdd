//! jsonwebtoken's crypto provider for this workspace: RustCrypto as jsonwebtoken ships
//! it, except ES256, which goes to ring. A citizen's first request verifies their
//! token, and RustCrypto's portable P-256 made that verification a large share of a
//! booking's CPU; ring's assembly P-256 does the same check several times faster, and
//! signs (the development identity provider) many times faster
//! (`cargo bench -p identity --bench tokens`). Every other algorithm stays on
//! RustCrypto.

use jsonwebtoken::crypto::{rust_crypto, CryptoProvider, JwkUtils, JwtSigner, JwtVerifier};
use jsonwebtoken::errors::{Error, ErrorKind};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING,
};

static PROVIDER: CryptoProvider = CryptoProvider {
    signer_factory: new_signer,
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

fn new_signer(alg: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>, Error> {
    if *alg == Algorithm::ES256 && key.family() == AlgorithmFamily::Ec {
        // ring wants the public key inside the PKCS#8 document; a key without it is
        // signed by RustCrypto instead.
        let rng = SystemRandom::new();
        if let Ok(pair) =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, key.inner(), &rng)
        {
            return Ok(Box::new(Es256Signer { pair, rng }));
        }
    }
    (rust_crypto::DEFAULT_PROVIDER.signer_factory)(alg, key)
}

/// ES256 signing with ring: the fixed-size r‖s JWS wants.
struct Es256Signer {
    pair: EcdsaKeyPair,
    rng: SystemRandom,
}

impl signature::Signer<Vec<u8>> for Es256Signer {
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        self.pair
            .sign(&self.rng, msg)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| signature::Error::new())
    }
}

impl JwtSigner for Es256Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::ES256
    }
}

fn new_verifier(alg: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>, Error> {
    match (alg, key.kind()) {
        (Algorithm::ES256, jsonwebtoken::DecodingKeyKind::SecretOrDer(point))
            if key.family() == AlgorithmFamily::Ec =>
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
    fn what_ring_signs_p256_accepts() {
        use p256::ecdsa::signature::Verifier;
        use p256::pkcs8::EncodePrivateKey;
        let (signing, key) = key_pair();
        let der = signing.to_pkcs8_der().expect("pkcs8");
        let signer = new_signer(&Algorithm::ES256, &EncodingKey::from_ec_der(der.as_bytes()))
            .expect("signer");
        let sig = signer.try_sign(b"header.payload").expect("signature");
        assert_eq!(sig.len(), 64);
        let p256_sig = Signature::from_slice(&sig).expect("r||s");
        assert!(signing
            .verifying_key()
            .verify(b"header.payload", &p256_sig)
            .is_ok());
        let verifier = new_verifier(&Algorithm::ES256, &key).expect("verifier");
        assert!(verifier.verify(b"header.payload", &sig).is_ok());
        assert!(verifier.verify(b"header.payloaD", &sig).is_err());
        // The key as the development identity provider writes it is one ring takes, so
        // signing does not fall back to RustCrypto.
        let rng = SystemRandom::new();
        assert!(
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der.as_bytes(), &rng)
                .is_ok()
        );
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
