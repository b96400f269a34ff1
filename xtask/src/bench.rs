//! `cargo xtask bench [--quick] [--skip NAME]…`: every benchmark (guard, schema, cache,
//! agent) one after the other, then one table of the figures against the targets of the
//! issues that set them. Criterion figures are read from `target/criterion/*/new/`;
//! figures the benches print (schema extraction, agent overhead) from their output. The
//! table is also written to `target/bench/summary.md`.
//!
//! `cargo xtask bench guard [ARGS]` runs the guard's criterion bench alone.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::eval::repo_root;

const PARTS: [&str; 4] = ["guard", "schema", "cache", "agent"];

/// One line of the table.
struct Row {
    name: String,
    figure: String,
    target: &'static str,
    met: Option<bool>,
}

/// `cargo xtask bench guard [ARGS]`: the guard's criterion benches (system allocator,
/// then mimalloc), ARGS to criterion.
pub(crate) fn guard(args: &[String]) -> Result<()> {
    for bench in ["guard", "guard_mimalloc"] {
        let status = cargo_bench("dbqa-guard", bench, args)
            .status()
            .context("running cargo bench")?;
        if !status.success() {
            bail!("guard benchmark {bench} failed ({status})");
        }
    }
    Ok(())
}

/// `cargo xtask bench`: everything, then the table.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let mut quick = false;
    let mut skip: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--skip" => skip.push(it.next().context("--skip needs a name")?.clone()),
            other => bail!(
                "unknown argument `{other}`: usage: cargo xtask bench [--quick] [--skip guard|schema|cache|agent]… \
                 or cargo xtask bench <guard|schema|cache|agent> [ARGS]"
            ),
        }
    }
    let criterion_args: Vec<String> = if quick {
        vec!["--quick".into()]
    } else {
        Vec::new()
    };
    let mut rows = Vec::new();
    let mut failed = Vec::new();
    for part in PARTS {
        if skip.iter().any(|s| s == part) {
            continue;
        }
        println!("\n==== bench {part} ====");
        let outcome = match part {
            "guard" => bench_guard(&criterion_args),
            "schema" => bench_schema(quick),
            "cache" => bench_cache(&criterion_args),
            _ => bench_agent(&criterion_args),
        };
        match outcome {
            Ok(mut r) => rows.append(&mut r),
            Err(e) => {
                rows.push(Row {
                    name: part.to_string(),
                    figure: format!("failed: {e:#}"),
                    target: "-",
                    met: None,
                });
                failed.push(part);
            }
        }
    }
    let table = render(&rows);
    println!("\n{table}");
    let dir = repo_root().join("target/bench");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("summary.md"), &table)?;
    println!("wrote {}", dir.join("summary.md").display());
    if !failed.is_empty() {
        bail!("benchmark(s) failed: {}", failed.join(", "));
    }
    Ok(())
}

fn render(rows: &[Row]) -> String {
    let mut out = String::from("| benchmark | figure | target | met |\n|---|---|---|---|\n");
    for r in rows {
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "NO",
            None => "-",
        };
        out.push_str(&format!(
            "| {} | {} | {} | {met} |\n",
            r.name, r.figure, r.target
        ));
    }
    out
}

/// `cargo bench -p PACKAGE --bench BENCH -- ARGS`. `cargo xtask bench NAME -- ARGS`
/// passes its own `--` through in ARGS: it is dropped.
pub(crate) fn cargo_bench(package: &str, bench: &str, args: &[String]) -> Command {
    let args = match args.first().map(String::as_str) {
        Some("--") => &args[1..],
        _ => args,
    };
    let mut command = crate::eval::cargo();
    command.args(["bench", "-p", package, "--bench", bench]);
    if !args.is_empty() {
        command.arg("--").args(args);
    }
    command
}

/// Runs `command`, echoing its standard output, and returns that output.
fn run_captured(mut command: Command) -> Result<String> {
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .context("starting the benchmark")?;
    let mut captured = String::new();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            println!("{line}");
            captured.push_str(&line);
            captured.push('\n');
        }
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("exited with {status}");
    }
    Ok(captured)
}

/// Criterion's median time per iteration (ns) and elements per iteration, if any.
fn criterion(id: &str) -> Result<(f64, Option<f64>)> {
    let dir = repo_root().join("target/criterion").join(id).join("new");
    let read = |name: &str| -> Result<serde_json::Value> {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("no criterion result at {}", path.display()))?;
        Ok(serde_json::from_str(&text)?)
    };
    let estimates = read("estimates.json")?;
    let median = estimates
        .pointer("/median/point_estimate")
        .and_then(serde_json::Value::as_f64)
        .with_context(|| format!("no median in {id}'s estimates"))?;
    let elements = read("benchmark.json").ok().and_then(|b| {
        b.pointer("/throughput/Elements")
            .and_then(serde_json::Value::as_f64)
    });
    Ok((median, elements))
}

fn time(ns: f64) -> String {
    if ns < 1_000.0 {
        format!("{ns:.0} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.1} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

fn bench_guard(args: &[String]) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for (bench, allocator) in [
        ("guard", "system allocator"),
        ("guard_mimalloc", "mimalloc, as the dbqa binary"),
    ] {
        run_captured(cargo_bench("dbqa-guard", bench, args))?;
        let (ns, elements) = criterion(&format!("{bench}/check_spider_gold"))?;
        let per_second = elements.unwrap_or(1.0) / (ns / 1e9);
        rows.push(Row {
            name: format!(
                "guard: Spider dev gold statements validated per second (1 core, {allocator})"
            ),
            figure: format!(
                "{per_second:.0}/s ({} per statement)",
                time(ns / elements.unwrap_or(1.0))
            ),
            target: "≥ 100,000/s",
            met: Some(per_second >= 100_000.0),
        });
    }
    Ok(rows)
}

fn bench_schema(quick: bool) -> Result<Vec<Row>> {
    let exe = std::env::current_exe()?;
    let mut command = Command::new(exe);
    command.args(["bench", "schema"]);
    if quick {
        command.args(["--runs", "2"]);
    }
    let out = run_captured(command)?;
    let line = out
        .lines()
        .find(|l| l.starts_with("cold schema extraction"))
        .context("bench schema printed no summary line")?;
    let median = line
        .split("median ")
        .nth(1)
        .and_then(|rest| rest.split([',', ' ', ')']).next())
        .and_then(parse_duration_ns)
        .context("no median in bench schema's summary")?;
    Ok(vec![Row {
        name: "schema: cold extraction, PostgreSQL 1,000 tables × 20 columns (median)".into(),
        figure: time(median),
        target: "< 1 s",
        met: Some(median < 1e9),
    }])
}

/// Parses Rust's `Debug` rendering of a `Duration` (`254.3ms`, `1.2s`, `900µs`) to ns.
fn parse_duration_ns(text: &str) -> Option<f64> {
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (number, unit) = text.split_at(split);
    let n: f64 = number.parse().ok()?;
    let scale = match unit {
        "ns" => 1.0,
        "µs" | "us" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        _ => return None,
    };
    Some(n * scale)
}

fn bench_cache(args: &[String]) -> Result<Vec<Row>> {
    run_captured(cargo_bench("dbqa-cache", "cache", args))?;
    let mut rows = Vec::new();
    for (backend, get_target, get_limit) in [
        ("memory", "< 1 µs", Some(1_000.0)),
        ("sqlite", "-", None),
        ("redis", "< 1 ms", Some(1_000_000.0)),
    ] {
        for (op, label) in [("get_hit_256B", "get hit"), ("set_256B", "set")] {
            let id = format!("cache_{backend}/{op}");
            match criterion(&id) {
                Ok((ns, _)) => {
                    let is_get = op.starts_with("get");
                    rows.push(Row {
                        name: format!("cache {backend}: {label}, 256 B value"),
                        figure: time(ns),
                        target: if is_get { get_target } else { "-" },
                        met: if is_get {
                            get_limit.map(|limit| ns < limit)
                        } else {
                            None
                        },
                    });
                }
                Err(e) => rows.push(Row {
                    name: format!("cache {backend}: {label}"),
                    figure: format!("missing: {e:#}"),
                    target: "-",
                    met: None,
                }),
            }
        }
    }
    Ok(rows)
}

fn bench_agent(args: &[String]) -> Result<Vec<Row>> {
    let out = run_captured(cargo_bench("dbqa-agent", "agent", args))?;
    let mut rows = Vec::new();
    // "agent overhead per question (…): 85.2 µs of 310.4 µs total (…)"
    let overhead = out
        .lines()
        .find(|l| l.starts_with("agent overhead per question"))
        .and_then(|l| l.split("): ").nth(1))
        .and_then(|rest| rest.split(" µs").next())
        .and_then(|n| n.trim().parse::<f64>().ok());
    match overhead {
        Some(us) => rows.push(Row {
            name: "agent: own overhead per question (template answer, no cache, instant LLM)"
                .into(),
            figure: time(us * 1e3),
            target: "< 1 ms",
            met: Some(us < 1_000.0),
        }),
        None => bail!("bench agent printed no overhead line"),
    }
    let (ns, _) = criterion("agent/llm_cache_hit_memory")?;
    rows.push(Row {
        name: "agent: whole question answered from the memory LLM cache".into(),
        figure: time(ns),
        target: "µs (< 100 µs)",
        met: Some(ns < 100_000.0),
    });
    let (ns, _) = criterion("agent/question_template_uncached")?;
    rows.push(Row {
        name: "agent: whole question, no cache (SQLite demo + instant LLM)".into(),
        figure: time(ns),
        target: "-",
        met: None,
    });
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::{parse_duration_ns, time};

    #[test]
    fn durations_parse() {
        for (text, ns) in [
            ("254.3ms", Some(254_300_000.0)),
            ("1.2s", Some(1_200_000_000.0)),
            ("900µs", Some(900_000.0)),
            ("12ns", Some(12.0)),
            ("fast", None),
        ] {
            assert_eq!(parse_duration_ns(text).map(f64::round), ns, "{text}");
        }
        assert_eq!(time(1_500.0), "1.5 µs");
        assert_eq!(time(2.5e9), "2.50 s");
    }
}
