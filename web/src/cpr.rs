//! Showing a CPR number to a person: in full only on the person's own page, masked
//! everywhere else (helpers, headers, titles). Never in URLs or logs.

/// `DDMMYY-****`: the birth date a helper needs to be sure of the person, not the rest.
pub fn masked(cpr: &str) -> String {
    let digits: String = cpr.chars().filter(char::is_ascii_digit).collect();
    match digits.get(..6) {
        Some(birth) if digits.len() == 10 => format!("{birth}-****"),
        _ => "******-****".to_owned(),
    }
}

/// `DDMMYY-SSSS`, for the person's own page.
pub fn formatted(cpr: &str) -> String {
    let digits: String = cpr.chars().filter(char::is_ascii_digit).collect();
    match (digits.get(..6), digits.get(6..)) {
        (Some(a), Some(b)) if digits.len() == 10 => format!("{a}-{b}"),
        _ => "******-****".to_owned(),
    }
}

/// A CPR number as a person types it: dashes and spaces anywhere are allowed.
pub fn parse_typed(raw: &str) -> Option<identity::Cpr> {
    let digits: String = raw.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    identity::Cpr::parse(&digits).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_the_serial_number() {
        assert_eq!(masked("0101701234"), "010170-****");
        assert_eq!(masked("010170-1234"), "010170-****");
        assert_eq!(masked("12"), "******-****");
        assert_eq!(formatted("0101701234"), "010170-1234");
        assert_eq!(formatted("x"), "******-****");
    }
}
