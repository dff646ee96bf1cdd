//! The crate's one integration-test binary: the conformance and business-rule suites of
//! `shared/testdata`, the runners' report format, and a no-panic property test.

mod no_panics;
mod suites;
