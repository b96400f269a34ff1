//! Request counters and latency histograms, rendered with the agent's statistics in the
//! Prometheus text format for `GET /metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use dbqa_agent::Stats;

/// Histogram bucket bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0,
];

#[derive(Debug, Default, Clone)]
struct Histogram {
    /// Counts per bucket (not cumulative); the last slot is `+Inf`.
    buckets: [u64; BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        let slot = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKETS.len());
        if let Some(bucket) = self.buckets.get_mut(slot) {
            *bucket += 1;
        }
        self.sum += seconds;
        self.count += 1;
    }
}

#[derive(Debug, Default)]
struct Recorded {
    /// Requests by (method, route, status).
    requests: BTreeMap<(String, String, u16), u64>,
    /// Latency by route.
    latency: BTreeMap<String, Histogram>,
}

/// The server's own counters; memory is bounded by the number of routes.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    recorded: Mutex<Recorded>,
    in_flight: AtomicI64,
}

impl Metrics {
    pub(crate) fn started(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn finished(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        let mut recorded = self.recorded.lock().unwrap_or_else(|e| e.into_inner());
        *recorded
            .requests
            .entry((method.to_string(), route.to_string(), status))
            .or_default() += 1;
        recorded
            .latency
            .entry(route.to_string())
            .or_default()
            .observe(elapsed.as_secs_f64());
    }

    /// Everything in the Prometheus text exposition format (version 0.0.4).
    pub(crate) fn render(&self, stats: &Stats) -> String {
        let (requests, latency) = {
            let recorded = self.recorded.lock().unwrap_or_else(|e| e.into_inner());
            (recorded.requests.clone(), recorded.latency.clone())
        };
        let mut out = String::new();
        header(
            &mut out,
            "dbqa_http_requests_total",
            "counter",
            "HTTP requests served, by method, route and status.",
        );
        for ((method, route, status), n) in &requests {
            let _ = writeln!(
                out,
                "dbqa_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        header(
            &mut out,
            "dbqa_http_request_duration_seconds",
            "histogram",
            "Time to the response head, by route.",
        );
        for (route, h) in &latency {
            let route = escape(route);
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(h.buckets.iter()) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "dbqa_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "dbqa_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "dbqa_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "dbqa_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        gauge(
            &mut out,
            "dbqa_http_requests_in_flight",
            "HTTP requests being served now.",
            self.in_flight.load(Ordering::Relaxed),
        );
        render_agent(&mut out, stats);
        out
    }
}

fn render_agent(out: &mut String, stats: &Stats) {
    let counter = |out: &mut String, name: &str, help: &str, value: u64| {
        header(out, name, "counter", help);
        let _ = writeln!(out, "{name} {value}");
    };
    counter(
        out,
        "dbqa_queries_total",
        "Questions received.",
        stats.total_queries,
    );
    counter(
        out,
        "dbqa_queries_succeeded_total",
        "Questions answered.",
        stats.successful_queries,
    );
    header(
        out,
        "dbqa_queries_failed_total",
        "counter",
        "Questions that ended in an error, by kind.",
    );
    for (kind, n) in &stats.failures_by_kind {
        let _ = writeln!(
            out,
            "dbqa_queries_failed_total{{kind=\"{}\"}} {n}",
            escape(kind)
        );
    }
    header(
        out,
        "dbqa_cache_hits_total",
        "counter",
        "Cache hits by level.",
    );
    for (level, n) in [
        ("llm", stats.llm_cache_hits),
        ("query", stats.query_cache_hits),
        ("schema", stats.schema_cache_hits),
    ] {
        let _ = writeln!(out, "dbqa_cache_hits_total{{level=\"{level}\"}} {n}");
    }
    counter(
        out,
        "dbqa_schema_loads_total",
        "Schema loads that read the database.",
        stats.schema_cache_misses,
    );
    counter(
        out,
        "dbqa_llm_calls_total",
        "LLM calls made.",
        stats.llm_calls,
    );
    header(
        out,
        "dbqa_llm_tokens_total",
        "counter",
        "Tokens sent to (prompt) and received from (completion) the LLM.",
    );
    let _ = writeln!(
        out,
        "dbqa_llm_tokens_total{{direction=\"prompt\"}} {}",
        stats.tokens.prompt_tokens
    );
    let _ = writeln!(
        out,
        "dbqa_llm_tokens_total{{direction=\"completion\"}} {}",
        stats.tokens.completion_tokens
    );
    header(
        out,
        "dbqa_stage_latency_seconds",
        "summary",
        "Latency per query stage over recent questions.",
    );
    for (stage, summary) in &stats.latency {
        let stage = serde_json::to_value(stage)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        for (q, ms) in [("0.5", summary.p50_ms), ("0.95", summary.p95_ms)] {
            let _ = writeln!(
                out,
                "dbqa_stage_latency_seconds{{stage=\"{stage}\",quantile=\"{q}\"}} {}",
                ms / 1000.0
            );
        }
        let _ = writeln!(
            out,
            "dbqa_stage_latency_seconds_count{{stage=\"{stage}\"}} {}",
            summary.count
        );
    }
    gauge(
        out,
        "dbqa_sessions",
        "Chat sessions in the session store.",
        stats.sessions as i64,
    );
    header(
        out,
        "dbqa_db_pool_connections",
        "gauge",
        "Database pool connections by state.",
    );
    for (state, n) in [
        ("in_use", stats.pool.in_use),
        ("idle", stats.pool.idle),
        ("max", stats.pool.max_size),
    ] {
        let _ = writeln!(out, "dbqa_db_pool_connections{{state=\"{state}\"}} {n}");
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn gauge(out: &mut String, name: &str, help: &str, value: i64) {
    header(out, name, "gauge", help);
    let _ = writeln!(out, "{name} {value}");
}

/// Escapes a label value (backslash, quote, newline).
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let metrics = Metrics::default();
        for ms in [0, 3, 700, 70_000] {
            metrics.started();
            metrics.finished("GET", "/x", 200, Duration::from_millis(ms));
        }
        let text = metrics.render(&Stats::default());
        for line in [
            "dbqa_http_requests_total{method=\"GET\",route=\"/x\",status=\"200\"} 4",
            "dbqa_http_request_duration_seconds_bucket{route=\"/x\",le=\"0.001\"} 1",
            "dbqa_http_request_duration_seconds_bucket{route=\"/x\",le=\"0.005\"} 2",
            "dbqa_http_request_duration_seconds_bucket{route=\"/x\",le=\"1\"} 3",
            "dbqa_http_request_duration_seconds_bucket{route=\"/x\",le=\"60\"} 3",
            "dbqa_http_request_duration_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4",
            "dbqa_http_request_duration_seconds_count{route=\"/x\"} 4",
            "dbqa_http_requests_in_flight 0",
        ] {
            assert!(text.contains(line), "missing {line} in\n{text}");
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
