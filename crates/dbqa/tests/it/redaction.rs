//! No printed form of a URL shows its password, whatever characters the password holds:
//! random passwords through every place dbqa prints a URL (connection errors of each
//! connector, LLM connection errors, the configuration's `Debug`, the redacted identity).

use dbqa::core::{ChatRequest, Message};
use dbqa::{AgentConfig, Environment};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Everything dbqa prints about URLs built around `password`.
async fn printed_forms(password: &str) -> Vec<String> {
    let mut printed = Vec::new();
    let urls = [
        format!("postgres://app:{password}@127.0.0.1:1/shop"),
        format!("mysql://app:{password}@127.0.0.1:1/shop"),
        format!("mssql://sa:{password}@127.0.0.1:1/shop"),
    ];
    for url in &urls {
        let env = Environment::from_maps(
            [("DATABASE_URL", url.as_str()), ("DB_POOL_TIMEOUT", "2")],
            Vec::<(&str, &str)>::new(),
        );
        let config = AgentConfig::from_environment(&env).expect("config");
        printed.push(format!("{config:?}"));
        match dbqa::schema::connect(&config.database).await {
            Ok(db) => printed.push(db.identity().to_string()),
            Err(e) => printed.push(e.to_string()),
        }
    }
    let base = format!("http://user:{password}@127.0.0.1:1/v1");
    let env = Environment::from_maps(
        [
            ("LLM_BASE_URL", base.as_str()),
            ("LLM_MAX_RETRIES", "0"),
            ("LLM_TIMEOUT", "2"),
        ],
        Vec::<(&str, &str)>::new(),
    );
    let config = AgentConfig::from_environment(&env).expect("config");
    printed.push(format!("{config:?}"));
    match dbqa::llm::provider_from_config(&config.model) {
        Ok(llm) => {
            let request = ChatRequest::new("m", vec![Message::user("hi")]);
            if let Err(e) = llm.chat(&request).await {
                printed.push(e.to_string());
            }
        }
        Err(e) => printed.push(e.to_string()),
    }
    printed
}

#[test]
fn random_passwords_never_print() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut runner = TestRunner::new(Config {
        cases: 24,
        ..Config::default()
    });
    let strategy = "[ -~é€]{1,20}".prop_map(|p| format!("PW{p}QZ"));
    runner
        .run(&strategy, |password| {
            let printed = runtime.block_on(printed_forms(&password));
            for text in &printed {
                prop_assert!(!text.contains(&password), "{password:?} in {text}");
            }
            // Something was printed for every URL: the test looked at real errors.
            prop_assert!(printed.len() >= 7, "{printed:?}");
            Ok(())
        })
        .expect("no password printed");
}
