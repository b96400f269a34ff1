//! The SQL guard on its own: no database, no LLM, no async runtime.
//!
//! ```sh
//! cargo run -p dbqa --example guard_only
//! cargo run -p dbqa --example guard_only -- "SELECT * FROM salaries; DROP TABLE users"
//! ```
//!
//! With arguments it checks them as one statement; without, a few typical ones. Run
//! what the guard accepts (the `sql` of `Accepted`, never the input) in a read-only transaction:
//! the guard is one wall, not the only one.

use dbqa::{Dialect, Guard, GuardConfig};

fn main() {
    let guard = Guard::new(
        GuardConfig::new(Dialect::Postgres)
            .blocked_tables(["salaries"])
            .max_rows(Some(100)),
    );

    let args: Vec<String> = std::env::args().skip(1).collect();
    let statements = if args.is_empty() {
        vec![
            "SELECT name, created_at FROM customers WHERE country = 'France'".to_string(),
            "WITH recent AS (SELECT * FROM orders WHERE order_date > '2025-06-01') \
             SELECT COUNT(*) FROM recent"
                .to_string(),
            "DELETE FROM customers".to_string(),
            "SELECT pg_sleep(10), amount FROM public.Salaries".to_string(),
            "SELECT 1; DROP TABLE users".to_string(),
        ]
    } else {
        vec![args.join(" ")]
    };

    for sql in &statements {
        println!("{sql}");
        match guard.check(sql) {
            Ok(accepted) => {
                println!("  accepted, run: {}", accepted.sql);
                println!("  reads: {}", accepted.tables.join(", "));
                for warning in &accepted.warnings {
                    println!("  warning ({}): {warning}", warning.kind());
                }
            }
            Err(rejection) => {
                // Every reason, each with a stable kind for programs and a message for people.
                for violation in &rejection.violations {
                    println!("  rejected ({}): {violation}", violation.kind());
                }
            }
        }
    }
}
