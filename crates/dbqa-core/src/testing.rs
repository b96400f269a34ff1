//! Test support shared by every crate's service-backed tests (feature `testing`): what
//! to do when PostgreSQL, MariaDB or Redis is not running.
//!
//! By default such a test is skipped, with one line on standard error (not captured by
//! the test harness) naming the service and how to start it: a newcomer's `cargo test`
//! passes and says what it left out. With `DBQA_TEST_REQUIRE_SERVICES=1` (as `.ci/run`
//! sets it) the test fails instead.

use std::io::Write;

/// The variable that turns a skip into a failure.
pub const REQUIRE_SERVICES: &str = "DBQA_TEST_REQUIRE_SERVICES";

/// How to start the services the tests use, for the skip line.
pub const HOW_TO_START: &str =
    "start them with `docker compose up -d` (compose.yaml) or see README.md#testing";

/// Reports that `service` at `url` is unreachable: `None` (skip, with a line on stderr)
/// unless [`REQUIRE_SERVICES`] is `1`, in which case this panics with `how`.
///
/// # Panics
/// When services are required and this one is down: the test fails, as it should.
pub fn service_down<T>(
    service: &str,
    url: &str,
    error: &dyn std::fmt::Display,
    how: &str,
) -> Option<T> {
    let url = crate::redact_url(url);
    if std::env::var(REQUIRE_SERVICES).as_deref() == Ok("1") {
        panic!(
            "{service} at {url} is unreachable: {error}\n{how}\n({REQUIRE_SERVICES}=1 requires it)"
        );
    }
    // Written to the process's stderr directly so that the harness does not swallow it.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED ({service} at {url} is unreachable: {error}): {how}"
    );
    None
}
