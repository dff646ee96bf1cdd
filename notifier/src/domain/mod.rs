//! Pure types of the notifier: the CPR number and the notices the outbox carries.
//! No I/O here.

pub mod cpr;
pub mod notice;

pub use cpr::Cpr;
pub use notice::{Appointment, Notice, NoticeError};

/// The language a letter is written in (`citizens.language`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    Danish,
    English,
}

impl Language {
    /// From `citizens.language`; anything but `en` is Danish (the law's default).
    pub fn from_code(code: &str) -> Self {
        if code == "en" {
            Self::English
        } else {
            Self::Danish
        }
    }

    /// ISO 639-1 code as MeMo `File/language` wants it.
    pub fn code(self) -> &'static str {
        match self {
            Self::Danish => "da",
            Self::English => "en",
        }
    }
}

/// How a citizen is reached, from `citizens.digital_post`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostChannel {
    Digital,
    /// Exempt from Digital Post: a paper letter.
    Paper,
}

/// The citizen as the notifier needs them.
#[derive(Debug, Clone)]
pub struct Citizen {
    pub given_name: String,
    pub family_name: String,
    pub address: String,
    pub postcode: String,
    pub city: String,
    pub channel: PostChannel,
    pub nemsms: bool,
    pub language: Language,
}

impl Citizen {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
            .trim()
            .to_owned()
    }
}

/// A vaccination or test site as the letter shows it.
#[derive(Debug, Clone)]
pub struct Site {
    pub name: String,
    pub address: String,
    pub postcode: String,
}

impl Site {
    /// One line for the calendar entry's location.
    pub fn location(&self) -> String {
        format!("{}, {}, {}", self.name, self.address, self.postcode)
    }
}
