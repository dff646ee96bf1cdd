use chrono::Datelike;
use identity::{Cpr, CprError};
use proptest::prelude::*;

proptest! {
    #[test]
    fn parse_never_panics(input in any::<String>()) {
        let _ = Cpr::parse(&input);
    }

    #[test]
    fn parse_never_panics_on_cpr_shaped_input(input in "[0-9\\- \u{0660}-\u{0669}x]{0,14}") {
        let _ = Cpr::parse(&input);
    }

    #[test]
    fn ten_digits_are_a_cpr_or_an_impossible_date(digits in "[0-9]{10}") {
        match Cpr::parse(&digits) {
            Ok(cpr) => {
                prop_assert_eq!(cpr.as_str(), digits.as_str());
                let dashed = format!("{}-{}", &digits[..6], &digits[6..]);
                prop_assert_eq!(Cpr::parse(&dashed), Ok(cpr.clone()));
                let date = cpr.birth_date();
                prop_assert_eq!(format!("{:02}{:02}{:02}", date.day(), date.month(), date.year() % 100), &digits[..6]);
                prop_assert!((1858..=2057).contains(&date.year()));
                let shown = format!("{cpr:?} {cpr}");
                prop_assert!(!shown.contains(&digits[..6]));
                prop_assert!(!shown.contains(&digits[6..]));
            }
            Err(e) => prop_assert_eq!(e, CprError::InvalidDate),
        }
    }

    #[test]
    fn age_never_decreases(digits in "(0[1-9]|1[0-9]|2[0-8])(0[1-9]|1[0-2])[0-9]{6}", days in 0i64..40000, step in 0i64..800) {
        let cpr = Cpr::parse(&digits).unwrap();
        let a = cpr.birth_date() + chrono::Duration::days(days);
        let b = a + chrono::Duration::days(step);
        prop_assert!(cpr.age_on(a) <= cpr.age_on(b));
        prop_assert!(cpr.age_on(b) - cpr.age_on(a) <= (step / 365 + 1) as u32);
    }
}
