//! The page templates (`web/templates`, compiled into the binary) and their renderer.
//! HTML auto-escaping is on; an unknown variable or message key is an error, so a page
//! test catches a missing translation.

use minijinja::{Environment, UndefinedBehavior};

/// Every template, by name; `include_str!` puts them in the binary.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("signin.html", include_str!("../templates/signin.html")),
    ("book.html", include_str!("../templates/book.html")),
    ("sites.html", include_str!("../templates/sites.html")),
    ("site_day.html", include_str!("../templates/site_day.html")),
    ("hold.html", include_str!("../templates/hold.html")),
    ("receipt.html", include_str!("../templates/receipt.html")),
    ("bookings.html", include_str!("../templates/bookings.html")),
    ("cancel.html", include_str!("../templates/cancel.html")),
    ("audit.html", include_str!("../templates/audit.html")),
    ("passes.html", include_str!("../templates/passes.html")),
    ("pass.html", include_str!("../templates/pass.html")),
    ("console.html", include_str!("../templates/console.html")),
    (
        "console_attorney.html",
        include_str!("../templates/console_attorney.html"),
    ),
    ("wave.html", include_str!("../templates/wave.html")),
    ("queue.html", include_str!("../templates/queue.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("attorney.html", include_str!("../templates/attorney.html")),
    ("fields.html", include_str!("../templates/fields.html")),
    (
        "site_fields.html",
        include_str!("../templates/site_fields.html"),
    ),
    (
        "console_sites.html",
        include_str!("../templates/console_sites.html"),
    ),
    (
        "console_site.html",
        include_str!("../templates/console_site.html"),
    ),
];

pub struct Views {
    env: Environment<'static>,
}

impl Views {
    pub fn new() -> Result<Self, minijinja::Error> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)?;
        }
        Ok(Self { env })
    }

    pub fn render(&self, name: &str, ctx: &serde_json::Value) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(ctx)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_template_compiles() {
        super::Views::new().unwrap();
    }
}

#[cfg(test)]
mod field_errors {
    /// The last error's field is marked invalid and points at the message.
    #[test]
    fn a_bad_field_points_at_the_message() {
        let v = super::Views::new().unwrap();
        let ctx = serde_json::json!({
            "lang": "da", "other_lang": "en", "other_lang_name": "English",
            "t": crate::i18n::table(crate::i18n::Lang::Da), "title": "x", "user": null,
            "csrf": "c", "flash": {"kind": "error", "text": "bad", "field": "postcode"}, "here": "/", "here_encoded": "%2F",
            "dev_signin": true, "sites": [], "municipalities": [{"code": "101", "name": "København"}],
            "chosen": "", "campaigns": [{"code": "pcr-test", "name": "PCR", "checked": false, "offered": false}],
            "key": "k", "site": null,
        });
        let html = v.render("console_sites.html", &ctx).unwrap();
        assert!(html.contains("site-postcode-hint form-error"), "{html}");
    }
}
