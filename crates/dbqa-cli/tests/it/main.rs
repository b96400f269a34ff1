//! Runs the real `dbqa` binary.
// Test helpers may unwrap: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod ask;
mod attacks;
mod chat;
mod check;
mod examples;
mod readme;
mod schema;
mod serve;

use assert_cmd::Command;

/// The binary with a clean environment: no database or LLM settings leak in from the
/// machine, and the demo database lives in `data_home`.
pub(crate) fn dbqa(data_home: &std::path::Path) -> Command {
    clean(
        Command::cargo_bin("dbqa").expect("binary is built"),
        data_home,
    )
}

/// The binary run by `wrapper` (e.g. `/usr/bin/time -v`), with the same clean environment.
pub(crate) fn dbqa_under(wrapper: &[&str], data_home: &std::path::Path) -> Command {
    let (program, args) = wrapper.split_first().expect("a wrapper program");
    let mut cmd = Command::new(program);
    cmd.args(args).arg(assert_cmd::cargo::cargo_bin("dbqa"));
    clean(cmd, data_home)
}

fn clean(mut cmd: Command, data_home: &std::path::Path) -> Command {
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", data_home)
        .env("XDG_DATA_HOME", data_home)
        .env("NO_COLOR", "1")
        .current_dir(data_home);
    cmd
}
