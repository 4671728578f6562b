//! Process-wide metrics in the Prometheus text format.
//!
//! Modules record into the global [`metrics()`] registry: counters and
//! gauges keyed by label values, and histograms with fixed buckets. The
//! admin API renders it at `/metrics`. Label values come from the registry
//! and the protocol's fixed names, never from tokens or header values.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

/// Upper bounds of the latency histogram buckets, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0, 30.0,
];

type Labels = Vec<(&'static str, String)>;

#[derive(Default)]
struct Histogram {
    counts: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum: f64,
}

struct Family<T> {
    help: &'static str,
    kind: &'static str,
    series: BTreeMap<Labels, T>,
}

/// The metric registry.
#[derive(Default)]
pub struct Metrics {
    values: Mutex<BTreeMap<&'static str, Family<f64>>>,
    histograms: Mutex<BTreeMap<&'static str, Family<Histogram>>>,
}

/// The process-wide registry.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::default)
}

fn labels(pairs: &[(&'static str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

impl Metrics {
    /// Adds `by` to a counter.
    pub fn increment(
        &self,
        name: &'static str,
        help: &'static str,
        pairs: &[(&'static str, &str)],
        by: u64,
    ) {
        self.update(name, help, "counter", pairs, |value| *value += by as f64);
    }

    /// Sets a gauge.
    pub fn set(
        &self,
        name: &'static str,
        help: &'static str,
        pairs: &[(&'static str, &str)],
        value: f64,
    ) {
        self.update(name, help, "gauge", pairs, |current| *current = value);
    }

    /// Adds `delta` (which may be negative) to a gauge.
    pub fn add(
        &self,
        name: &'static str,
        help: &'static str,
        pairs: &[(&'static str, &str)],
        delta: f64,
    ) {
        self.update(name, help, "gauge", pairs, |current| *current += delta);
    }

    /// Removes every series of `name` whose labels include `pair`, such as
    /// the series of a removed endpoint.
    pub fn forget(&self, name: &'static str, pair: (&'static str, &str)) {
        let mut values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(family) = values.get_mut(name) {
            family
                .series
                .retain(|labels, _| !labels.iter().any(|(k, v)| *k == pair.0 && v == pair.1));
        }
    }

    /// Records one observation in a latency histogram.
    pub fn observe(
        &self,
        name: &'static str,
        help: &'static str,
        pairs: &[(&'static str, &str)],
        elapsed: Duration,
    ) {
        let seconds = elapsed.as_secs_f64();
        let mut histograms = self
            .histograms
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let family = histograms.entry(name).or_insert_with(|| Family {
            help,
            kind: "histogram",
            series: BTreeMap::new(),
        });
        let histogram = family.series.entry(labels(pairs)).or_default();
        for (count, bound) in histogram.counts.iter_mut().zip(LATENCY_BUCKETS) {
            if seconds <= bound {
                *count += 1;
            }
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    fn update(
        &self,
        name: &'static str,
        help: &'static str,
        kind: &'static str,
        pairs: &[(&'static str, &str)],
        apply: impl FnOnce(&mut f64),
    ) {
        let mut values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        let family = values.entry(name).or_insert_with(|| Family {
            help,
            kind,
            series: BTreeMap::new(),
        });
        apply(family.series.entry(labels(pairs)).or_insert(0.0));
    }

    /// The current value of one series, for tests and status output.
    pub fn value(&self, name: &str, pairs: &[(&'static str, &str)]) -> Option<f64> {
        let values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        values.get(name)?.series.get(&labels(pairs)).copied()
    }

    /// Renders every metric in the Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let values = self.values.lock().unwrap_or_else(PoisonError::into_inner);
        for (name, family) in values.iter() {
            let _ = writeln!(
                out,
                "# HELP {name} {}\n# TYPE {name} {}",
                family.help, family.kind
            );
            for (labels, value) in &family.series {
                let _ = writeln!(out, "{name}{} {value}", format_labels(labels, None));
            }
        }
        drop(values);
        let histograms = self
            .histograms
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        for (name, family) in histograms.iter() {
            let _ = writeln!(
                out,
                "# HELP {name} {}\n# TYPE {name} {}",
                family.help, family.kind
            );
            for (labels, histogram) in &family.series {
                for (count, bound) in histogram.counts.iter().zip(LATENCY_BUCKETS) {
                    let _ = writeln!(
                        out,
                        "{name}_bucket{} {count}",
                        format_labels(labels, Some(&bound.to_string()))
                    );
                }
                let _ = writeln!(
                    out,
                    "{name}_bucket{} {}",
                    format_labels(labels, Some("+Inf")),
                    histogram.count
                );
                let _ = writeln!(
                    out,
                    "{name}_sum{} {}",
                    format_labels(labels, None),
                    histogram.sum
                );
                let _ = writeln!(
                    out,
                    "{name}_count{} {}",
                    format_labels(labels, None),
                    histogram.count
                );
            }
        }
        out
    }
}

fn format_labels(labels: &Labels, le: Option<&str>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Counters, gauges and histograms render in the exposition format.
    #[test]
    fn renders_each_kind() {
        let registry = Metrics::default();
        registry.increment(
            "nbwss_test_total",
            "A test counter.",
            &[("code", "A\"B")],
            2,
        );
        registry.set("nbwss_test_gauge", "A test gauge.", &[], 1.5);
        registry.observe(
            "nbwss_test_seconds",
            "A test histogram.",
            &[],
            Duration::from_millis(3),
        );
        let text = registry.render();
        assert!(text.contains("# TYPE nbwss_test_total counter"), "{text}");
        assert!(
            text.contains("nbwss_test_total{code=\"A\\\"B\"} 2"),
            "{text}"
        );
        assert!(text.contains("nbwss_test_gauge 1.5"), "{text}");
        assert!(
            text.contains("nbwss_test_seconds_bucket{le=\"0.005\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("nbwss_test_seconds_bucket{le=\"0.001\"} 0"),
            "{text}"
        );
        assert!(text.contains("nbwss_test_seconds_count 1"), "{text}");
    }
}
