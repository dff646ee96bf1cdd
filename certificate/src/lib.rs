//! EU Digital COVID Certificate (DCC): payload types, the HC1 codec, signing, the
//! verification pipeline, trust list, revocation, QR codes and the EU conformance harness.
//!
//! Everything here is pure except [`fs`], which loads schemas, value sets, trust lists
//! and test vectors from disk for the `dcc` command and tests. The signing key is only
//! ever held by a [`sign::Signer`].
//!
//! Issue: [`issue::Issuer`] (payload → `HC1:`), [`qr`] (PNG/SVG). Verify:
//! [`verify::Verifier`] (each step a typed outcome). The Danish domestic pass (`DK1:`,
//! less data, same signer): [`domestic`]. Keys for development: [`devkeys`].

pub mod base45;
pub mod codec;
pub mod conformance;
pub mod devkeys;
pub mod domestic;
pub mod fs;
pub mod issue;
pub mod payload;
pub mod qr;
pub mod revocation;
pub mod schema;
pub mod sign;
pub mod translit;
pub mod trust;
pub mod uvci;
pub mod valuesets;
pub mod verify;
