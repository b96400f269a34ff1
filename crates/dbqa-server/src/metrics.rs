//! `GET /metrics`: the server's request counters and latency histograms, and the agent's
//! statistics, in the Prometheus text format, through the `metrics` facade and
//! `metrics-exporter-prometheus`. Each server has its own recorder (used as a local
//! recorder, never installed globally), so several servers in one process count apart.

use std::time::Duration;

use dbqa_agent::Stats;
use metrics::{Recorder, counter, gauge, histogram, with_local_recorder};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};

/// The content type of the rendering.
pub(crate) const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Histogram bucket bounds, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 60.0,
];

/// The server's own recorder; memory is bounded by the number of routes.
pub(crate) struct Metrics {
    recorder: PrometheusRecorder,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let builder = PrometheusBuilder::new();
        // The bounds are constants, never empty: setting them cannot fail.
        let builder = match builder.set_buckets(&BUCKETS) {
            Ok(with_buckets) => with_buckets,
            Err(_) => PrometheusBuilder::new(),
        };
        Self {
            recorder: builder.build_recorder(),
        }
    }
}

impl Metrics {
    /// Runs `f` with this server's recorder as the recorder of the `metrics` macros.
    fn record(&self, f: impl FnOnce()) {
        with_local_recorder(&self.recorder as &dyn Recorder, f);
    }

    pub(crate) fn started(&self) {
        self.record(|| {
            gauge!("dbqa_http_requests_in_flight").increment(1.0);
        });
    }

    pub(crate) fn finished(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let (method, route, status) = (method.to_string(), route.to_string(), status.to_string());
        self.record(|| {
            gauge!("dbqa_http_requests_in_flight").decrement(1.0);
            counter!("dbqa_http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
                .increment(1);
            histogram!("dbqa_http_request_duration_seconds", "route" => route)
                .record(elapsed.as_secs_f64());
        });
    }

    /// The server's metrics and the agent's `stats` as they stand now.
    pub(crate) fn render(&self, stats: &Stats) -> String {
        self.record(|| record_agent(stats));
        let handle = self.recorder.handle();
        handle.run_upkeep();
        handle.render()
    }
}

/// The agent's statistics: counters set to their totals, latency quantiles and pool
/// occupancy as gauges.
fn record_agent(stats: &Stats) {
    counter!("dbqa_queries_total").absolute(stats.total_queries);
    counter!("dbqa_queries_succeeded_total").absolute(stats.successful_queries);
    for (kind, n) in &stats.failures_by_kind {
        counter!("dbqa_queries_failed_total", "kind" => kind.clone()).absolute(*n);
    }
    for (level, n) in [
        ("llm", stats.llm_cache_hits),
        ("query", stats.query_cache_hits),
        ("schema", stats.schema_cache_hits),
    ] {
        counter!("dbqa_cache_hits_total", "level" => level).absolute(n);
    }
    counter!("dbqa_schema_loads_total").absolute(stats.schema_cache_misses);
    counter!("dbqa_llm_calls_total").absolute(stats.llm_calls);
    counter!("dbqa_llm_tokens_total", "direction" => "prompt").absolute(stats.tokens.prompt_tokens);
    counter!("dbqa_llm_tokens_total", "direction" => "completion")
        .absolute(stats.tokens.completion_tokens);
    for (stage, summary) in &stats.latency {
        let stage = serde_json::to_value(stage)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        for (q, ms) in [("0.5", summary.p50_ms), ("0.95", summary.p95_ms)] {
            gauge!("dbqa_stage_latency_seconds", "stage" => stage.clone(), "quantile" => q)
                .set(ms / 1000.0);
        }
    }
    gauge!("dbqa_sessions").set(stats.sessions as f64);
    for (state, n) in [
        ("in_use", stats.pool.in_use),
        ("idle", stats.pool.idle),
        ("max", stats.pool.max_size),
    ] {
        gauge!("dbqa_db_pool_connections", "state" => state).set(f64::from(n));
    }
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
    fn two_servers_count_apart() {
        let (a, b) = (Metrics::default(), Metrics::default());
        a.finished("GET", "/a", 200, Duration::ZERO);
        let text = b.render(&Stats::default());
        assert!(!text.contains("route=\"/a\""), "{text}");
    }
}
