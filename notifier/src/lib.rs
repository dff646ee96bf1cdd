//! Placeholder: this crate is built in its own issue.
