//! Every fenced block of the guides is checked: `sh` blocks run (against the demo
//! database, a scripted LLM server and the test Redis), `json` blocks parse, `toml`
//! blocks name only features the facade has, and there is no other kind of block (Rust
//! code belongs in doctests and `crates/dbqa/examples/`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use dbqa::cache::{RedisCache, RedisOptions, RedisSessionStore};
use dbqa::core::{CacheStore, SecretUrl};
use dbqa_fake_llm::{FakeLlm, RecordedRequest, Reply};
use serde_json::json;

use crate::configuration::config_variables;
use crate::support::{read_doc, redis_url, repo_root, service_down};

/// The guides whose blocks are checked.
const GUIDES: [&str; 3] = ["INTEGRATION.md", "CONFIGURATION.md", "TROUBLESHOOTING.md"];

/// A fenced block: its language and text.
struct Block {
    doc: &'static str,
    lang: String,
    text: String,
}

fn blocks() -> Vec<Block> {
    let mut out = Vec::new();
    for doc in GUIDES {
        let markdown = read_doc(doc);
        let mut current: Option<(String, String)> = None;
        for line in markdown.lines() {
            match (&mut current, line.strip_prefix("```")) {
                (None, Some(lang)) => current = Some((lang.trim().to_string(), String::new())),
                (Some(_), Some(_)) => {
                    if let Some((lang, text)) = current.take() {
                        out.push(Block { doc, lang, text });
                    }
                }
                (Some((_, text)), None) => {
                    text.push_str(line);
                    text.push('\n');
                }
                (None, None) => {}
            }
        }
        assert!(current.is_none(), "{doc}: a code block is not closed");
    }
    out
}

/// A fake model good enough for every example in every tool mode: it counts customers.
fn fake_model(request: &RecordedRequest) -> Reply {
    const SQL: &str = "SELECT COUNT(*) AS n FROM customers";
    let system = request.system_text().unwrap_or_default();
    if system.starts_with("You write the answer") {
        return Reply::stream_text(["There are ", "500 customers."]);
    }
    const TEMPLATE: &str = "There are {n} customers.";
    if request.tool_names().iter().any(|t| t == "run_sql") {
        return Reply::tool_call(
            "run_sql",
            json!({ "sql": SQL, "answer_template": TEMPLATE }),
        );
    }
    if request.body.get("response_format").is_some() {
        return Reply::text(json!({ "sql": SQL, "answer_template": TEMPLATE }).to_string());
    }
    Reply::text(format!("```sql\n{SQL}\n```"))
}

/// The directory the examples are built into (`cargo test` builds them).
fn examples_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/it-<hash> -> target/<profile>/examples
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .map(|p| p.join("examples"))
        .expect("target directory");
    for name in [
        "ask",
        "chat_session",
        "stream",
        "guard_only",
        "axum_service",
    ] {
        assert!(
            dir.join(name).exists(),
            "example `{name}` is not built in {}: run `cargo test -p dbqa` (it builds the examples) or `cargo build -p dbqa --examples` first",
            dir.display()
        );
    }
    dir
}

/// Replaces the value of every `NAME=…` word in `script`.
fn set_assignment(script: &str, name: &str, value: &str) -> String {
    let prefix = format!("{name}=");
    script
        .lines()
        .map(|line| {
            line.split(' ')
                .map(|word| {
                    if word.starts_with(&prefix) {
                        format!("{prefix}{value}")
                    } else {
                        word.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The script with `cargo run -p dbqa --example X [--]` replaced by the built binary.
fn with_binaries(script: &str, examples: &Path) -> String {
    let mut out = script.to_string();
    for name in [
        "ask",
        "chat_session",
        "stream",
        "guard_only",
        "axum_service",
    ] {
        let binary = format!("'{}'", examples.join(name).display());
        out = out
            .replace(&format!("cargo run -p dbqa --example {name} --"), &binary)
            .replace(&format!("cargo run -p dbqa --example {name}"), &binary);
    }
    out
}

/// What every command runs with: no dbqa setting from the caller's environment, the fake
/// LLM, and a fresh working directory.
fn command(program: &str, fake: &FakeLlm, cwd: &Path) -> Command {
    let mut command = Command::new(program);
    for name in config_variables() {
        command.env_remove(name);
    }
    command
        .env("LLM_BASE_URL", fake.base_url())
        .env("LLM_MAX_RETRIES", "0")
        .current_dir(cwd)
        .stdin(Stdio::null());
    command
}

/// The example service, started on a free port; returns it and its address.
fn start_service(examples: &Path, fake: &FakeLlm, cwd: &Path) -> (Child, String) {
    let mut child = command(
        &examples.join("axum_service").display().to_string(),
        fake,
        cwd,
    )
    .arg("127.0.0.1:0")
    .stdout(Stdio::piped())
    .spawn()
    .expect("start axum_service");
    let stdout = child.stdout.take().expect("service stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read service output");
    let addr = line
        .trim()
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("axum_service printed {line:?} instead of its address"))
        .to_string();
    (child, addr)
}

#[test]
fn every_block_of_the_guides_is_checked() {
    let blocks = blocks();
    let features =
        std::fs::read_to_string(repo_root().join("crates/dbqa/Cargo.toml")).expect("Cargo.toml");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let fake = runtime.block_on(FakeLlm::start());
    fake.fallback(Reply::respond(fake_model));
    let examples = examples_dir();
    let cwd = tempfile::tempdir().expect("temp dir");
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let prefix = format!("dbqa-docs-{}-{stamp}:", std::process::id());
    let redis = redis_url();
    let mut uses_redis = false;
    let mut service: Option<(Child, String)> = None;
    let mut ran = 0;

    for block in &blocks {
        let where_ = format!("{} ({} block)", block.doc, block.lang);
        match block.lang.as_str() {
            "json" => {
                serde_json::from_str::<serde_json::Value>(&block.text)
                    .unwrap_or_else(|e| panic!("{where_}: invalid JSON: {e}\n{}", block.text));
            }
            "toml" => {
                let dbqa_lines = block
                    .text
                    .lines()
                    .filter(|l| l.trim_start_matches(['#', ' ']).starts_with("dbqa ="));
                for feature in dbqa_lines.flat_map(|l| l.split("features = [").skip(1)) {
                    let list = feature.split(']').next().unwrap_or("");
                    for name in list
                        .split(',')
                        .map(|f| f.trim().trim_matches('"'))
                        .filter(|f| !f.is_empty())
                    {
                        assert!(
                            features.contains(&format!("\n{name} = [")),
                            "{where_}: feature `{name}` is not a feature of crates/dbqa"
                        );
                    }
                }
            }
            "sh" => {
                let text = block.text.trim();
                if text.starts_with("cargo run -p dbqa --example axum_service")
                    && !text.contains('\n')
                {
                    service = Some(start_service(&examples, &fake, cwd.path()));
                    continue;
                }
                if block.text.contains("REDIS_URL=") {
                    if let Err(e) = runtime.block_on(redis_ping(&redis)) {
                        // Skipped, or failed with DBQA_TEST_REQUIRE_SERVICES=1.
                        service_down::<()>(
                            "Redis",
                            &redis,
                            &e,
                            "start Redis on 127.0.0.1:6379 or set DBQA_TEST_REDIS_URL",
                        );
                        continue;
                    }
                    uses_redis = true;
                }
                let mut script = with_binaries(&block.text, &examples);
                script = set_assignment(&script, "LLM_BASE_URL", &fake.base_url());
                script = set_assignment(&script, "REDIS_URL", &redis);
                script = set_assignment(&script, "CACHE_KEY_PREFIX", &prefix);
                if let Some((_, addr)) = &service {
                    script = script.replace("localhost:3000", addr);
                }
                let before = fake.request_count();
                let output = command("sh", &fake, cwd.path())
                    .arg("-euc")
                    .arg(&script)
                    .output()
                    .expect("run sh");
                let stdout = String::from_utf8_lossy(&output.stdout);
                let report = format!(
                    "{where_} failed:\n{}\n--- stdout\n{stdout}\n--- stderr\n{}",
                    block.text,
                    String::from_utf8_lossy(&output.stderr)
                );
                assert!(output.status.success(), "{report}");
                if !block.text.contains("guard_only") {
                    assert!(
                        fake.request_count() > before || stdout.contains("cached:   Llm"),
                        "no LLM call: {report}"
                    );
                }
                if block.text.contains("curl") {
                    // curl exits 0 on HTTP errors too: look at what came back.
                    assert!(
                        stdout.matches("\"natural_response\":\"There are").count() >= 3
                            && stdout.contains("event: done"),
                        "the service did not answer every request: {report}"
                    );
                }
                if block.text.contains("CACHE_BACKEND=redis") {
                    assert!(
                        stdout.contains("cached:   Llm, llm calls: 0"),
                        "the second server did not hit the shared cache: {report}"
                    );
                }
                if let Some((mut child, _)) = service.take() {
                    let _ = child.kill();
                    let _ = child.wait();
                }
                ran += 1;
            }
            other => panic!(
                "{where_}: a `{other}` block cannot be checked: put Rust code in a doctest or an example and reference it"
            ),
        }
    }
    if uses_redis {
        runtime.block_on(async {
            let options =
                RedisOptions::new(SecretUrl::new(redis.clone())).with_key_prefix(prefix.clone());
            if let Ok(cache) = RedisCache::new(&options) {
                let _ = cache.clear().await;
            }
            if let Ok(sessions) = RedisSessionStore::new(&options) {
                let _ = sessions.delete_all().await;
            }
        });
    }
    assert!(
        service.is_none(),
        "the axum_service block must be followed by a block that calls it"
    );
    assert!(ran >= 8, "only {ran} shell blocks ran");
}

async fn redis_ping(url: &str) -> Result<(), String> {
    let options =
        RedisOptions::new(SecretUrl::new(url.to_string())).with_key_prefix("dbqa-docs-ping:");
    let cache = RedisCache::new(&options).map_err(|e| e.to_string())?;
    cache.get("ping").await.map(drop).map_err(|e| e.to_string())
}
