//! `cargo xtask load-test [--clients N] [--seconds S] [--release]`: N concurrent clients
//! POST `/api/query` for S seconds against the `serve_demo` example of dbqa-server (the
//! demo shop in SQLite and a built-in fake LLM, on loopback), with the caches off so every
//! question goes through the LLM call, the guard and SQLite. Reports throughput, p50/p99
//! latency, errors and the server process's peak RSS (the fake LLM runs inside it).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

struct Options {
    clients: usize,
    seconds: u64,
    release: bool,
}

fn parse(args: &[String]) -> anyhow::Result<Options> {
    let mut options = Options {
        clients: 200,
        seconds: 30,
        release: false,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--clients" => options.clients = args.next().context("--clients N")?.parse()?,
            "--seconds" => options.seconds = args.next().context("--seconds S")?.parse()?,
            "--release" => options.release = true,
            other => bail!(
                "unknown argument `{other}`; usage: load-test [--clients N] [--seconds S] [--release]"
            ),
        }
    }
    if options.clients == 0 || options.seconds == 0 {
        bail!("--clients and --seconds must be positive");
    }
    Ok(options)
}

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let options = parse(args)?;
    let profile = if options.release { "release" } else { "debug" };
    let mut build = crate::eval::cargo();
    build.args(["build", "-p", "dbqa-server", "--example", "serve_demo"]);
    if options.release {
        build.arg("--release");
    }
    if !build.status()?.success() {
        bail!("cannot build the serve_demo example");
    }
    let exe = crate::eval::target_dir().join(format!("{profile}/examples/serve_demo"));
    let mut server = Command::new(&exe)
        .arg("127.0.0.1:0")
        .env("DBQA_MAX_CONCURRENT_REQUESTS", "256")
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", exe.display()))?;
    let pid = server.id();
    let mut line = String::new();
    BufReader::new(server.stdout.take().context("server stdout")?).read_line(&mut line)?;
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .context("the server did not say where it listens")?
        .to_string();
    println!(
        "load test: {} clients for {} s against {base} ({profile} build, pid {pid})",
        options.clients, options.seconds
    );

    let runtime = tokio::runtime::Runtime::new()?;
    let outcome = runtime.block_on(load(
        &base,
        options.clients,
        Duration::from_secs(options.seconds),
    ));
    let peak_rss = peak_rss_kib(pid);
    let _ = server.kill();
    let _ = server.wait();
    let (latencies, errors, elapsed) = outcome?;
    report(&latencies, &errors, elapsed, peak_rss);
    if !errors.is_empty() {
        bail!("{} request(s) failed", errors.len());
    }
    Ok(())
}

type Outcome = (Vec<Duration>, Vec<String>, Duration);

async fn load(base: &str, clients: usize, duration: Duration) -> anyhow::Result<Outcome> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .timeout(Duration::from_secs(60))
        .build()?;
    let url = format!("{base}/api/query");
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for client in 0..clients {
        let http = http.clone();
        let url = url.clone();
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = Vec::new();
            let mut n = 0u64;
            while Instant::now() < deadline {
                n += 1;
                let body = serde_json::json!({
                    "question": format!("How many customers are in France? (client {client}, #{n})"),
                    "options": {"use_cache": false}
                });
                let sent = Instant::now();
                match http.post(&url).json(&body).send().await {
                    Ok(response) if response.status().is_success() => {
                        match response.bytes().await {
                            Ok(_) => latencies.push(sent.elapsed()),
                            Err(e) => errors.push(format!("body: {e}")),
                        }
                    }
                    Ok(response) => {
                        let status = response.status();
                        let text = response.text().await.unwrap_or_default();
                        errors.push(format!("{status}: {text}"));
                    }
                    Err(e) => errors.push(e.to_string()),
                }
            }
            (latencies, errors)
        });
    }
    let mut latencies = Vec::new();
    let mut errors = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (l, e) = joined?;
        latencies.extend(l);
        errors.extend(e);
    }
    Ok((latencies, errors, started.elapsed()))
}

/// The process's peak resident set (`VmHWM`), in KiB, on Linux.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn report(latencies: &[Duration], errors: &[String], elapsed: Duration, peak_rss: Option<u64>) {
    let mut sorted = latencies.to_vec();
    sorted.sort_unstable();
    let pick = |q: f64| -> f64 {
        if sorted.is_empty() {
            return 0.0;
        }
        let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1].as_secs_f64() * 1000.0
    };
    let ok = latencies.len();
    println!("requests ok:   {ok}");
    println!("errors:        {}", errors.len());
    for e in errors.iter().take(5) {
        println!("  e.g. {e}");
    }
    println!(
        "throughput:    {:.0} req/s",
        ok as f64 / elapsed.as_secs_f64()
    );
    println!("latency p50:   {:.1} ms", pick(0.50));
    println!("latency p99:   {:.1} ms", pick(0.99));
    println!("latency max:   {:.1} ms", pick(1.0));
    match peak_rss {
        Some(kib) => println!("server peak RSS: {:.1} MiB", kib as f64 / 1024.0),
        None => println!("server peak RSS: unknown (no /proc)"),
    }
}
