//! Latency samples reduced to percentiles, and the number formats the
//! report uses.
//!
//! Percentiles use the nearest-rank method on the sorted samples. Deciding
//! what to sample is left to the sections.

use std::time::Duration;

/// Percentiles of one set of latency samples.
#[derive(Debug, Clone, Copy, Default)]
pub struct Latency {
    /// Number of samples.
    pub count: usize,
    /// Median.
    pub p50: Duration,
    /// 90th percentile.
    pub p90: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Largest sample.
    pub max: Duration,
}

impl Latency {
    /// Sorts `samples` and takes their percentiles; all zero when empty.
    pub fn from_samples(mut samples: Vec<Duration>) -> Latency {
        samples.sort_unstable();
        Latency {
            count: samples.len(),
            p50: percentile(&samples, 50),
            p90: percentile(&samples, 90),
            p99: percentile(&samples, 99),
            max: samples.last().copied().unwrap_or_default(),
        }
    }
}

/// Returns the nearest-rank `percent` percentile of sorted `samples`.
fn percentile(samples: &[Duration], percent: usize) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let rank = (samples.len() * percent).div_ceil(100).max(1);
    samples[rank - 1]
}

/// Sorts `samples` and returns their median.
pub fn median(samples: &mut [Duration]) -> Duration {
    samples.sort_unstable();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}

/// Formats a duration in microseconds with one decimal below 10 ms, such
/// as `182.4 µs`, and in milliseconds with two decimals from 10 ms up, such
/// as `12.35 ms`.
pub fn duration_text(duration: Duration) -> String {
    if duration < Duration::from_millis(10) {
        format!("{:.1} µs", duration.as_secs_f64() * 1e6)
    } else {
        format!("{:.2} ms", duration.as_secs_f64() * 1e3)
    }
}

/// Returns the tunnel's latency minus the direct one, in microseconds.
pub fn added_micros(tunnel: Duration, direct: Duration) -> f64 {
    (tunnel.as_secs_f64() - direct.as_secs_f64()) * 1e6
}

/// Formats a signed microsecond figure like [`duration_text`], such as
/// `+41.0 µs` or `-12.50 ms`.
pub fn signed_micros(value: f64) -> String {
    if value.abs() < 10_000.0 {
        format!("{value:+.1} µs")
    } else {
        format!("{:+.2} ms", value / 1e3)
    }
}

/// Formats a rate with thousands separators and no decimals, such as `12,345`.
pub fn rate(per_second: f64) -> String {
    thousands(per_second.round() as u64)
}

/// Formats an integer with thousands separators.
pub fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (position, digit) in digits.chars().enumerate() {
        if position > 0 && (digits.len() - position) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Formats a ratio such as `0.62×`; `n/a` when the denominator is zero.
pub fn ratio(numerator: f64, denominator: f64) -> String {
    if denominator > 0.0 {
        format!("{:.2}×", numerator / denominator)
    } else {
        "n/a".to_owned()
    }
}

/// Formats a byte count in KiB with one decimal.
pub fn kib(bytes: f64) -> String {
    format!("{:.1} KiB", bytes / 1024.0)
}

/// Formats a byte count in MiB with one decimal.
pub fn mib(bytes: f64) -> String {
    format!("{:.1} MiB", bytes / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The median of 1..=100 ms by nearest rank is 50 ms.
    #[test]
    fn percentiles_use_nearest_rank() {
        let samples = (1..=100).map(Duration::from_millis).collect();
        let latency = Latency::from_samples(samples);
        assert_eq!(latency.p50, Duration::from_millis(50));
        assert_eq!(latency.p99, Duration::from_millis(99));
        assert_eq!(latency.max, Duration::from_millis(100));
    }

    /// One sample is every percentile.
    #[test]
    fn single_sample_is_every_percentile() {
        let latency = Latency::from_samples(vec![Duration::from_micros(7)]);
        assert_eq!(latency.p50, Duration::from_micros(7));
        assert_eq!(latency.p90, Duration::from_micros(7));
    }

    /// No samples gives zeros instead of a panic.
    #[test]
    fn empty_samples_are_zero() {
        let latency = Latency::from_samples(Vec::new());
        assert_eq!(latency.count, 0);
        assert_eq!(latency.max, Duration::ZERO);
    }

    /// Short durations are shown in µs and long ones in ms.
    #[test]
    fn duration_text_switches_unit_at_10_ms() {
        assert_eq!(duration_text(Duration::from_micros(1825)), "1825.0 µs");
        assert_eq!(duration_text(Duration::from_micros(12_345)), "12.35 ms");
    }

    /// Signed figures switch to ms at 10 ms, like unsigned ones.
    #[test]
    fn signed_micros_switches_unit_at_10_ms() {
        assert_eq!(signed_micros(41.0), "+41.0 µs");
        assert_eq!(signed_micros(-12_500.0), "-12.50 ms");
    }

    /// Thousands separators go every three digits from the right.
    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
