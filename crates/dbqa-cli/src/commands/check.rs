//! `dbqa check`: vet SQL with the guard, one statement or a stream of them.

use std::io::{BufRead, Read};

use dbqa_guard::{Guard, GuardConfig, Verdict};

use crate::cli::CheckArgs;
use crate::failure::{EXIT_FAILED, EXIT_USAGE, Failure};
use crate::output;

pub(crate) fn run(args: CheckArgs) -> Result<u8, Failure> {
    let mut config = GuardConfig::new(args.dialect.into());
    config.read_only = !args.read_write;
    config.allowed_tables = args.allow_tables.clone();
    config.blocked_tables = args.block_tables.clone();
    config.allowed_functions = args.allow_functions.clone();
    if let Some(schema) = &args.default_schema {
        config.name_rules = config
            .name_rules
            .clone()
            .with_default_schema(Some(schema.clone()));
    }
    config.max_rows = args.max_rows;
    let guard = Guard::new(config);
    if args.jsonl {
        return check_lines(&guard, std::io::stdin().lock());
    }
    let sql = read_sql(&args)?;
    let result = guard.check(&sql);
    let accepted = result.is_ok();
    if args.json {
        output::print_json(&Verdict::from(&result))?;
    } else {
        match &result {
            Ok(statement) => {
                println!("accepted");
                println!("sql: {}", statement.sql);
                println!("tables: {}", statement.tables.join(", "));
                for warning in &statement.warnings {
                    println!("warning: {warning}");
                }
            }
            Err(rejection) => {
                println!("rejected");
                for violation in &rejection.violations {
                    println!("- {}: {violation}", violation.kind());
                }
            }
        }
    }
    Ok(if accepted { 0 } else { EXIT_FAILED })
}

/// The SQL from the argument, the file, or stdin.
fn read_sql(args: &CheckArgs) -> Result<String, Failure> {
    if let Some(sql) = &args.sql {
        return Ok(sql.clone());
    }
    if let Some(path) = &args.file {
        return std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())));
    }
    let mut sql = String::new();
    std::io::stdin()
        .read_to_string(&mut sql)
        .map_err(|e| Failure::usage(format!("cannot read stdin: {e}")))?;
    Ok(sql)
}

/// `--jsonl`: one `{"sql": ...}` object per line in, one verdict per line out. A line that
/// is not such an object gets an `{"error": ...}` line and makes the exit code 2.
fn check_lines(guard: &Guard, input: impl BufRead) -> Result<u8, Failure> {
    #[derive(serde::Deserialize)]
    struct Line {
        sql: String,
    }
    let mut code = 0;
    for (number, line) in input.lines().enumerate() {
        let line = line.map_err(|e| Failure::usage(format!("cannot read stdin: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let out = match serde_json::from_str::<Line>(&line) {
            Ok(item) => {
                let result = guard.check(&item.sql);
                if result.is_err() && code == 0 {
                    code = EXIT_FAILED;
                }
                serde_json::to_string(&Verdict::from(&result))
            }
            Err(e) => {
                code = EXIT_USAGE;
                let message = format!("line {}: expected {{\"sql\": \"...\"}}: {e}", number + 1);
                serde_json::to_string(&serde_json::json!({ "error": message }))
            }
        };
        let out = out.map_err(|e| Failure::failed(format!("cannot encode JSON: {e}")))?;
        println!("{out}");
    }
    Ok(code)
}
