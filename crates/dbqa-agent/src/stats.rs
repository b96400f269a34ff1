//! Statistics: counters and latency percentiles in bounded memory.
//!
//! Latencies are kept per stage in a ring of the most recent [`RESERVOIR`] samples (plus an
//! all-time maximum), so memory stays constant however long the agent runs; percentiles
//! describe recent traffic.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use dbqa_core::{PoolStatus, Usage};
use serde::Serialize;

use crate::response::{CacheLevel, Timings};

/// Samples kept per stage for percentiles.
pub(crate) const RESERVOIR: usize = 1024;

/// A query stage whose latency is tracked.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// Loading the schema (cache or database).
    Schema,
    /// LLM calls.
    Llm,
    /// SQL validation.
    Guard,
    /// Running SQL.
    Execute,
    /// The whole question.
    Total,
}

const STAGES: [Stage; 5] = [
    Stage::Schema,
    Stage::Llm,
    Stage::Guard,
    Stage::Execute,
    Stage::Total,
];

/// Latency summary of one stage, in milliseconds.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct LatencySummary {
    /// Samples recorded in all (not only those held).
    pub count: u64,
    /// Median of the recent samples.
    pub p50_ms: f64,
    /// 95th percentile of the recent samples.
    pub p95_ms: f64,
    /// Largest sample ever recorded.
    pub max_ms: f64,
}

/// A snapshot of the agent's statistics.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Stats {
    /// Questions received (casual ones included).
    pub total_queries: u64,
    /// Questions answered.
    pub successful_queries: u64,
    /// Questions that ended in an error.
    pub failed_queries: u64,
    /// Failures by [`Error::kind`](crate::Error::kind).
    pub failures_by_kind: BTreeMap<String, u64>,
    /// Answers served by the LLM-response cache.
    pub llm_cache_hits: u64,
    /// Answers served by the query-result cache (the LLM still wrote the SQL).
    pub query_cache_hits: u64,
    /// Schema loads served by the schema cache.
    pub schema_cache_hits: u64,
    /// Schema loads that read the database.
    pub schema_cache_misses: u64,
    /// LLM calls made.
    pub llm_calls: u64,
    /// Tokens sent to and received from the LLM.
    pub tokens: Usage,
    /// Latency per stage.
    pub latency: BTreeMap<Stage, LatencySummary>,
    /// The database pool's occupancy now.
    pub pool: PoolStatus,
    /// Chat sessions known to the session store.
    pub sessions: u64,
    /// Tables in the schema (0 before it is loaded).
    pub schema_tables: u64,
}

#[derive(Debug, Default)]
struct Ring {
    samples: Vec<u64>,
    next: usize,
    count: u64,
    max: u64,
}

impl Ring {
    fn record(&mut self, micros: u64) {
        if self.samples.len() < RESERVOIR {
            self.samples.push(micros);
        } else {
            self.samples[self.next] = micros;
        }
        self.next = (self.next + 1) % RESERVOIR;
        self.count += 1;
        self.max = self.max.max(micros);
    }

    fn summary(&self) -> LatencySummary {
        let mut sorted = self.samples.clone();
        sorted.sort_unstable();
        let pick = |q: f64| -> f64 {
            if sorted.is_empty() {
                return 0.0;
            }
            let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
            sorted[rank - 1] as f64 / 1000.0
        };
        LatencySummary {
            count: self.count,
            p50_ms: pick(0.50),
            p95_ms: pick(0.95),
            max_ms: self.max as f64 / 1000.0,
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    stats: Stats,
    rings: BTreeMap<Stage, Ring>,
}

/// The agent's live statistics, shared by every query.
#[derive(Debug, Default)]
pub(crate) struct StatsRecorder {
    inner: Mutex<Inner>,
}

impl StatsRecorder {
    fn with(&self, f: impl FnOnce(&mut Inner)) {
        // A poisoned lock only means another thread panicked mid-update: keep counting.
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut inner);
    }

    /// A question arrived.
    pub(crate) fn question(&self) {
        self.with(|i| i.stats.total_queries += 1);
    }

    /// A question was answered.
    pub(crate) fn success(&self, cached: CacheLevel, timings: &Timings) {
        self.with(|i| {
            i.stats.successful_queries += 1;
            match cached {
                CacheLevel::Llm => i.stats.llm_cache_hits += 1,
                CacheLevel::Query => i.stats.query_cache_hits += 1,
                CacheLevel::None => {}
            }
            record_timings(i, timings);
        });
    }

    /// A question failed.
    pub(crate) fn failure(&self, kind: &str, timings: &Timings) {
        self.with(|i| {
            i.stats.failed_queries += 1;
            *i.stats
                .failures_by_kind
                .entry(kind.to_string())
                .or_default() += 1;
            record_timings(i, timings);
        });
    }

    /// An LLM call finished.
    pub(crate) fn llm_call(&self, usage: Usage) {
        self.with(|i| {
            i.stats.llm_calls += 1;
            i.stats.tokens.add(usage);
        });
    }

    /// The schema was loaded, from the cache or not.
    pub(crate) fn schema_load(&self, from_cache: bool, tables: usize) {
        self.with(|i| {
            if from_cache {
                i.stats.schema_cache_hits += 1;
            } else {
                i.stats.schema_cache_misses += 1;
            }
            i.stats.schema_tables = tables as u64;
        });
    }

    /// A snapshot with the latency summaries filled in; pool and sessions are set by
    /// the caller, which knows them.
    pub(crate) fn snapshot(&self) -> Stats {
        let mut out = Stats::default();
        self.with(|i| {
            out = i.stats.clone();
            out.latency = STAGES
                .iter()
                .map(|s| (*s, i.rings.get(s).map(Ring::summary).unwrap_or_default()))
                .collect();
        });
        out
    }
}

fn record_timings(inner: &mut Inner, timings: &Timings) {
    for (stage, ms) in [
        (Stage::Schema, timings.schema_ms),
        (Stage::Llm, timings.llm_ms),
        (Stage::Guard, timings.guard_ms),
        (Stage::Execute, timings.execute_ms),
        (Stage::Total, timings.total_ms),
    ] {
        let micros = Duration::from_secs_f64((ms / 1000.0).max(0.0)).as_micros();
        inner
            .rings
            .entry(stage)
            .or_default()
            .record(u64::try_from(micros).unwrap_or(u64::MAX));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_over_a_bounded_ring() {
        let mut ring = Ring::default();
        for ms in 1..=100u64 {
            ring.record(ms * 1000);
        }
        let s = ring.summary();
        assert_eq!(
            (s.count, s.p50_ms, s.p95_ms, s.max_ms),
            (100, 50.0, 95.0, 100.0)
        );
        for _ in 0..(RESERVOIR * 3) {
            ring.record(1000);
        }
        assert_eq!(ring.samples.len(), RESERVOIR);
        let s = ring.summary();
        assert_eq!((s.p95_ms, s.max_ms), (1.0, 100.0));
    }

    #[test]
    fn counters() {
        let recorder = StatsRecorder::default();
        let timings = Timings {
            total_ms: 2.0,
            ..Timings::default()
        };
        recorder.question();
        recorder.question();
        recorder.success(CacheLevel::Llm, &timings);
        recorder.failure("validation", &timings);
        recorder.llm_call(Usage {
            prompt_tokens: 10,
            completion_tokens: 3,
        });
        recorder.schema_load(false, 7);
        let stats = recorder.snapshot();
        assert_eq!(stats.total_queries, 2);
        assert_eq!(stats.successful_queries, 1);
        assert_eq!(stats.failures_by_kind.get("validation"), Some(&1));
        assert_eq!(stats.llm_cache_hits, 1);
        assert_eq!(stats.tokens.total(), 13);
        assert_eq!(stats.schema_tables, 7);
        assert_eq!(stats.latency[&Stage::Total].p50_ms, 2.0);
    }
}
