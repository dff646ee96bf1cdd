//! Rendering: the letter's words (`text`), its PDF (`pdf`), the MeMo 1.2 XML (`memo`)
//! and the print-batch manifest (`manifest`). Pure functions, no I/O.

pub mod manifest;
pub mod memo;
pub mod pdf;
pub mod text;

pub use text::{compose, Action, Letter, LetterContext, Reservation};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("site {0} does not exist")]
    MissingSite(i64),
    #[error("campaign {0} does not exist")]
    MissingCampaign(i64),
    #[error("the PDF could not be laid out: {0}")]
    Pdf(String),
}
