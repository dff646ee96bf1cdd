//! The service's own account of admitted requests: `booking_admitted_seconds`, the time
//! from admission to answer, read from each instance's `/metrics` before and after a
//! phase. The load generator's latency counts from each request's scheduled start and
//! so includes the generator's own waiting on a full machine; this one does not.

use std::collections::BTreeMap;

const METRIC: &str = "booking_admitted_seconds_bucket{";

/// Cumulative counts by bucket bound (seconds; `+Inf` as infinity) of one route.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Buckets(Vec<(f64, u64)>);

impl Buckets {
    /// The buckets of `route` in a Prometheus text exposition.
    pub fn parse(text: &str, route: &str) -> Self {
        let want = format!("route=\"{route}\"");
        let mut out = Vec::new();
        for line in text.lines() {
            let Some(rest) = line.strip_prefix(METRIC) else {
                continue;
            };
            let Some((labels, value)) = rest.split_once('}') else {
                continue;
            };
            if !labels.split(',').any(|l| l == want) {
                continue;
            }
            let le = labels
                .split(',')
                .find_map(|l| l.strip_prefix("le=\""))
                .and_then(|v| v.strip_suffix('"'));
            let bound = match le {
                Some("+Inf") => f64::INFINITY,
                Some(v) => match v.parse() {
                    Ok(b) => b,
                    Err(_) => continue,
                },
                None => continue,
            };
            if let Ok(n) = value.trim().parse::<f64>() {
                out.push((bound, n as u64));
            }
        }
        out.sort_by(|a, b| a.0.total_cmp(&b.0));
        Self(out)
    }

    /// These counts plus another instance's.
    pub fn add(&self, other: &Self) -> Self {
        let mut by: BTreeMap<u64, (f64, u64)> = BTreeMap::new();
        for (b, n) in self.0.iter().chain(&other.0) {
            by.entry(b.to_bits()).or_insert((*b, 0)).1 += n;
        }
        let mut v: Vec<(f64, u64)> = by.into_values().collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        Self(v)
    }

    /// What was counted after `earlier` was read.
    pub fn since(&self, earlier: &Self) -> Self {
        Self(
            self.0
                .iter()
                .map(|(b, n)| {
                    let before = earlier
                        .0
                        .iter()
                        .find(|(e, _)| e == b)
                        .map_or(0, |(_, m)| *m);
                    (*b, n.saturating_sub(before))
                })
                .collect(),
        )
    }

    pub fn total(&self) -> u64 {
        self.0.last().map_or(0, |(_, n)| *n)
    }

    /// The bound (ms) of the first bucket holding the `q` quantile: the quantile is at
    /// most this. `None` without counts; infinity past the last finite bound.
    pub fn quantile_bound_ms(&self, q: f64) -> Option<f64> {
        let total = self.total();
        if total == 0 {
            return None;
        }
        let rank = (q * total as f64).ceil().max(1.0) as u64;
        self.0
            .iter()
            .find(|(_, n)| *n >= rank)
            .map(|(b, _)| (b * 1e6).round() / 1e3)
    }

    /// The last finite bound, in ms.
    pub fn last_finite_ms(&self) -> f64 {
        self.0
            .iter()
            .rev()
            .find(|(b, _)| b.is_finite())
            .map_or(0.0, |(b, _)| (b * 1e6).round() / 1e3)
    }
}

/// The summed buckets of `route` over `hosts`.
pub async fn scrape(
    client: &reqwest::Client,
    hosts: &[String],
    route: &str,
) -> anyhow::Result<Buckets> {
    let mut sum = Buckets::default();
    for h in hosts {
        let text = client
            .get(format!("{h}/metrics"))
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        sum = sum.add(&Buckets::parse(&text, route));
    }
    Ok(sum)
}

/// `≤ 250` for a bound, `> 2500` past the last finite one.
pub fn bound_text(v: Option<f64>, last_finite_ms: f64) -> String {
    match v {
        None => "–".into(),
        Some(b) if b.is_infinite() => format!("> {last_finite_ms:.0}"),
        Some(b) => format!("≤ {b}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"# TYPE booking_admitted_seconds histogram
booking_admitted_seconds_bucket{route="/v1/holds",le="0.01"} 50
booking_admitted_seconds_bucket{route="/v1/holds",le="0.1"} 90
booking_admitted_seconds_bucket{route="/v1/holds",le="1"} 99
booking_admitted_seconds_bucket{route="/v1/holds",le="+Inf"} 100
booking_admitted_seconds_sum{route="/v1/holds"} 3.2
booking_admitted_seconds_count{route="/v1/holds"} 100
booking_admitted_seconds_bucket{route="/v1/bookings",le="0.01"} 7
booking_admitted_seconds_bucket{route="/v1/bookings",le="+Inf"} 8
"#;

    #[test]
    fn reads_one_routes_buckets() {
        let b = Buckets::parse(TEXT, "/v1/holds");
        assert_eq!(b.total(), 100);
        assert_eq!(b.quantile_bound_ms(0.5), Some(10.0));
        assert_eq!(b.quantile_bound_ms(0.9), Some(100.0));
        assert_eq!(b.quantile_bound_ms(0.95), Some(1000.0));
        assert_eq!(b.quantile_bound_ms(0.99), Some(1000.0));
        assert_eq!(b.quantile_bound_ms(1.0), Some(f64::INFINITY));
        assert_eq!(b.last_finite_ms(), 1000.0);
        assert_eq!(Buckets::parse(TEXT, "/v1/bookings").total(), 8);
        assert_eq!(
            Buckets::parse(TEXT, "/v1/other").quantile_bound_ms(0.5),
            None
        );
    }

    #[test]
    fn a_phase_is_the_difference_and_instances_add_up() {
        let before = Buckets::parse(TEXT, "/v1/holds");
        let later = TEXT
            .replace("} 50", "} 60")
            .replace("} 90", "} 180")
            .replace("} 99", "} 199")
            .replace("} 100\n", "} 200\n");
        let after = Buckets::parse(&later, "/v1/holds");
        let phase = after.since(&before);
        // In the phase: 10 under 10 ms, 80 more under 100 ms, 10 more under 1 s.
        assert_eq!(phase.total(), 100);
        assert_eq!(phase.quantile_bound_ms(0.05), Some(10.0));
        assert_eq!(phase.quantile_bound_ms(0.5), Some(100.0));
        assert_eq!(phase.quantile_bound_ms(0.95), Some(1000.0));
        let two = phase.add(&phase);
        assert_eq!(two.total(), 200);
        assert_eq!(two.quantile_bound_ms(0.9), Some(100.0));
        assert_eq!(two.quantile_bound_ms(0.91), Some(1000.0));
    }

    #[test]
    fn bounds_read_as_at_most() {
        assert_eq!(bound_text(Some(250.0), 2500.0), "≤ 250");
        assert_eq!(bound_text(Some(f64::INFINITY), 2500.0), "> 2500");
        assert_eq!(bound_text(None, 2500.0), "–");
    }
}
