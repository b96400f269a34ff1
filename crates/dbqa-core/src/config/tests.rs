//! Precedence and validation for every setting.

use secrecy::ExposeSecret;

use super::*;

/// Reads one setting out of a resolved configuration, as text.
type Reader = fn(&AgentConfig) -> String;

/// Every setting: variable, default (as read back), a valid non-default value, the same
/// value as read back, and how to read it.
fn settings() -> Vec<(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    Reader,
)> {
    vec![
        (
            "DATABASE_URL",
            "None",
            "sqlite://x.db",
            "sqlite://x.db",
            |c| {
                c.database
                    .url
                    .as_ref()
                    .map(|u| u.expose().to_string())
                    .unwrap_or_else(|| "None".into())
            },
        ),
        ("DB_POOL_SIZE", "10", "3", "3", |c| {
            c.database.pool_size.to_string()
        }),
        ("DB_MAX_OVERFLOW", "20", "0", "0", |c| {
            c.database.max_overflow.to_string()
        }),
        ("DB_POOL_TIMEOUT", "30s", "2.5", "2.5s", |c| {
            format!("{:?}", c.database.pool_timeout)
        }),
        ("DB_POOL_RECYCLE", "3600s", "60", "60s", |c| {
            format!("{:?}", c.database.pool_recycle)
        }),
        (
            "DB_SCHEMAS",
            "[]",
            "sales, hr",
            "[\"sales\", \"hr\"]",
            |c| format!("{:?}", c.database.schemas),
        ),
        ("SSL_ENABLED", "false", "yes", "true", |c| {
            c.database.ssl.enabled.to_string()
        }),
        ("SSL_CA", "None", "/ca.pem", "Some(\"/ca.pem\")", |c| {
            format!("{:?}", c.database.ssl.ca)
        }),
        ("SSL_CERT", "None", "/c.pem", "Some(\"/c.pem\")", |c| {
            format!("{:?}", c.database.ssl.cert)
        }),
        ("SSL_KEY", "None", "/k.pem", "Some(\"/k.pem\")", |c| {
            format!("{:?}", c.database.ssl.key)
        }),
        ("SSL_VERIFY", "true", "0", "false", |c| {
            c.database.ssl.verify.to_string()
        }),
        (
            "LLM_PROVIDER",
            "None",
            "Anthropic",
            "Some(Anthropic)",
            |c| format!("{:?}", c.model.provider),
        ),
        (
            "LLM_BASE_URL",
            "None",
            "http://127.0.0.1:9/v1",
            "Some(\"http://127.0.0.1:9/v1\")",
            |c| format!("{:?}", c.model.base_url.as_ref().map(|u| u.expose())),
        ),
        (
            "OPENAI_BASE_URL",
            "None",
            "http://127.0.0.1:8/v1",
            "Some(\"http://127.0.0.1:8/v1\")",
            |c| format!("{:?}", c.model.base_url.as_ref().map(|u| u.expose())),
        ),
        ("OPENAI_API_KEY", "None", "sk-test", "sk-test", |c| {
            c.model
                .openai_api_key
                .as_ref()
                .map(|k| k.expose_secret().to_string())
                .unwrap_or_else(|| "None".into())
        }),
        ("ANTHROPIC_API_KEY", "None", "ak-test", "ak-test", |c| {
            c.model
                .anthropic_api_key
                .as_ref()
                .map(|k| k.expose_secret().to_string())
                .unwrap_or_else(|| "None".into())
        }),
        ("MODEL_STRATEGY", "Adaptive", "FIXED", "Fixed", |c| {
            format!("{:?}", c.model.strategy)
        }),
        ("FAST_MODEL", "gpt-4o-mini", "f-1", "f-1", |c| {
            c.model.model_for(ModelTier::Fast)
        }),
        ("BALANCED_MODEL", "gpt-4.1-mini", "b-1", "b-1", |c| {
            c.model.model_for(ModelTier::Balanced)
        }),
        ("COMPLEX_MODEL", "gpt-4.1", "c-1", "c-1", |c| {
            c.model.model_for(ModelTier::Complex)
        }),
        ("MODEL_TEMPERATURE", "0", "0.7", "0.7", |c| {
            c.model.temperature.to_string()
        }),
        ("MODEL_MAX_TOKENS", "1024", "256", "256", |c| {
            c.model.max_tokens.to_string()
        }),
        ("LLM_TOOL_MODE", "Auto", "text", "Text", |c| {
            format!("{:?}", c.model.tool_mode)
        }),
        ("LLM_TIMEOUT", "60s", "5", "5s", |c| {
            format!("{:?}", c.model.request_timeout)
        }),
        ("LLM_MAX_RETRIES", "3", "0", "0", |c| {
            c.model.max_retries.to_string()
        }),
        ("CACHE_ENABLED", "true", "off", "false", |c| {
            c.cache.enabled.to_string()
        }),
        ("CACHE_BACKEND", "Memory", "redis", "Redis", |c| {
            format!("{:?}", c.cache.backend)
        }),
        ("CACHE_SCHEMA_TTL", "3600s", "10", "10s", |c| {
            format!("{:?}", c.cache.schema_ttl)
        }),
        ("CACHE_QUERY_TTL", "300s", "11", "11s", |c| {
            format!("{:?}", c.cache.query_ttl)
        }),
        ("CACHE_LLM_TTL", "3600s", "12", "12s", |c| {
            format!("{:?}", c.cache.llm_ttl)
        }),
        (
            "REDIS_URL",
            "redis://127.0.0.1:6379",
            "redis://h:1/2",
            "redis://h:1/2",
            |c| c.cache.redis_url.expose().to_string(),
        ),
        ("CACHE_KEY_PREFIX", "dbqa:", "team-a:", "team-a:", |c| {
            c.cache.key_prefix.clone()
        }),
        (
            "CACHE_DB_PATH",
            "./dbqa-cache.db",
            "/tmp/c.db",
            "/tmp/c.db",
            |c| c.cache.sqlite_path.display().to_string(),
        ),
        ("CACHE_MAX_ENTRIES", "10000", "5", "5", |c| {
            c.cache.max_entries.to_string()
        }),
        ("CACHE_MAX_BYTES", "67108864", "2048", "2048", |c| {
            c.cache.max_bytes.to_string()
        }),
        ("READ_ONLY", "true", "No", "false", |c| {
            c.safety.read_only.to_string()
        }),
        ("ALLOWED_TABLES", "[]", "a,b", "[\"a\", \"b\"]", |c| {
            format!("{:?}", c.safety.allowed_tables)
        }),
        ("BLOCKED_TABLES", "[]", "secret", "[\"secret\"]", |c| {
            format!("{:?}", c.safety.blocked_tables)
        }),
        (
            "ALLOWED_FUNCTIONS",
            "[]",
            "similarity",
            "[\"similarity\"]",
            |c| format!("{:?}", c.safety.allowed_functions),
        ),
        ("MAX_RESULT_BYTES", "16777216", "4096", "4096", |c| {
            c.safety.max_result_bytes.to_string()
        }),
        ("SEND_ROWS_TO_LLM", "true", "false", "false", |c| {
            c.safety.send_rows_to_llm.to_string()
        }),
        ("QUERY_TIMEOUT", "30s", "0.5", "500ms", |c| {
            format!("{:?}", c.safety.query_timeout)
        }),
        ("MAX_RESULT_ROWS", "10000", "7", "7", |c| {
            c.safety.max_result_rows.to_string()
        }),
        ("MAX_QUESTION_LENGTH", "4000", "100", "100", |c| {
            c.safety.max_question_length.to_string()
        }),
        ("MAX_SQL_LENGTH", "10000", "500", "500", |c| {
            c.safety.max_sql_length.to_string()
        }),
        ("PROMPT_INJECTION", "Refuse", "warn", "Warn", |c| {
            format!("{:?}", c.safety.prompt_injection)
        }),
        ("LAZY_SCHEMA_LOADING", "true", "false", "false", |c| {
            c.lazy_schema_loading.to_string()
        }),
        ("MAX_TABLES_IN_CONTEXT", "8", "9", "9", |c| {
            c.max_tables_in_context.to_string()
        }),
        ("SCHEMA_TOKEN_BUDGET", "3000", "500", "500", |c| {
            c.schema_token_budget.to_string()
        }),
        (
            "SCHEMA_GLOSSARY",
            "None",
            "/tmp/g.txt",
            "Some(\"/tmp/g.txt\")",
            |c| format!("{:?}", c.schema_glossary),
        ),
        ("ENABLE_STREAMING", "false", "1", "true", |c| {
            c.enable_streaming.to_string()
        }),
        ("WARMUP_ON_INIT", "false", "true", "true", |c| {
            c.warmup_on_init.to_string()
        }),
        ("SESSION_BACKEND", "Sqlite", "memory", "Memory", |c| {
            format!("{:?}", c.session_backend)
        }),
        (
            "SESSION_DB_PATH",
            "./sessions.db",
            "/tmp/s.db",
            "/tmp/s.db",
            |c| c.session_db_path.display().to_string(),
        ),
        ("MAX_RETRIES", "2", "0", "0", |c| c.max_retries.to_string()),
        ("ANSWER_MODE", "Template", "llm", "Llm", |c| {
            format!("{:?}", c.answer_mode)
        }),
        (
            "EXAMPLES_FILE",
            "None",
            "/tmp/e.json",
            "Some(\"/tmp/e.json\")",
            |c| format!("{:?}", c.examples_file),
        ),
        ("EXAMPLES_IN_PROMPT", "3", "0", "0", |c| {
            c.examples_in_prompt.to_string()
        }),
        ("REUSE_VERIFIED_EXAMPLES", "true", "no", "false", |c| {
            c.reuse_verified_examples.to_string()
        }),
    ]
}

fn none() -> Vec<(&'static str, &'static str)> {
    Vec::new()
}

#[test]
fn every_setting_has_its_default() {
    let config = AgentConfig::from_environment(&Environment::empty()).unwrap();
    for (name, default, _, _, read) in settings() {
        assert_eq!(read(&config), default, "default of {name}");
    }
}

#[test]
fn dotenv_beats_default_for_every_setting() {
    for (name, _, value, expected, read) in settings() {
        let env = Environment::from_maps(none(), [(name, value)]);
        let config = AgentConfig::from_environment(&env).unwrap();
        assert_eq!(read(&config), expected, ".env value of {name}");
    }
}

#[test]
fn process_env_beats_dotenv_for_every_setting() {
    for (name, default, value, expected, read) in settings() {
        // The .env file holds the default spelling, the process the other value.
        let dotenv_value = if default.starts_with(['[', 'N', 'S']) {
            ""
        } else {
            default.trim_end_matches('s')
        };
        let env = Environment::from_maps([(name, value)], [(name, dotenv_value)]);
        let config = AgentConfig::from_environment(&env).unwrap();
        assert_eq!(read(&config), expected, "process value of {name}");
    }
}

#[test]
fn explicit_values_beat_the_environment() {
    let env = Environment::from_maps([("READ_ONLY", "true"), ("MAX_RESULT_ROWS", "5")], none());
    let mut config = AgentConfig::from_environment(&env).unwrap();
    config.safety.read_only = false;
    config.safety.max_result_rows = 99;
    assert!(!config.safety.read_only);
    assert_eq!(config.safety.max_result_rows, 99);
}

#[test]
fn invalid_values_name_the_variable_and_the_value() {
    let cases = [
        ("READ_ONLY", "perhaps"),
        ("DB_POOL_SIZE", "ten"),
        ("DB_POOL_SIZE", "0"),
        ("DB_POOL_TIMEOUT", "-1"),
        ("CACHE_BACKEND", "disk"),
        ("SESSION_BACKEND", "postgres"),
        ("LLM_PROVIDER", "gemini"),
        ("MODEL_STRATEGY", "random"),
        ("MODEL_TEMPERATURE", "3"),
        ("LLM_TOOL_MODE", "xml"),
        ("MAX_RESULT_ROWS", "many"),
        ("MAX_TABLES_IN_CONTEXT", "0"),
        ("SCHEMA_TOKEN_BUDGET", "10"),
        ("ANSWER_MODE", "poem"),
        ("PROMPT_INJECTION", "ignore"),
        ("CACHE_ENABLED", "2"),
        ("SSL_VERIFY", "sure"),
        ("QUERY_TIMEOUT", "soon"),
        ("MAX_RESULT_BYTES", "12"),
        ("SEND_ROWS_TO_LLM", "maybe"),
    ];
    for (name, value) in cases {
        let env = Environment::from_maps([(name, value)], none());
        let err = AgentConfig::from_environment(&env).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(name), "{name}: {text}");
        assert!(text.contains(&format!("`{value}`")), "{name}: {text}");
    }
}

#[test]
fn provider_is_inferred_from_the_keys_present() {
    let infer = |pairs: Vec<(&'static str, &'static str)>| {
        AgentConfig::from_environment(&Environment::from_maps(pairs, none()))
            .unwrap()
            .model
            .provider
    };
    assert_eq!(infer(vec![]), None);
    assert_eq!(
        infer(vec![("OPENAI_API_KEY", "sk")]),
        Some(ProviderKind::OpenAi)
    );
    assert_eq!(
        infer(vec![("ANTHROPIC_API_KEY", "ak")]),
        Some(ProviderKind::Anthropic)
    );
    assert_eq!(
        infer(vec![("LLM_BASE_URL", "http://h/v1")]),
        Some(ProviderKind::OpenAiCompatible)
    );
    assert_eq!(
        infer(vec![("LLM_PROVIDER", "ollama"), ("OPENAI_API_KEY", "sk")]),
        Some(ProviderKind::Ollama)
    );
}

#[test]
fn secrets_never_show_in_debug_output() {
    let env = Environment::from_maps(
        [
            ("DATABASE_URL", "postgres://app:pg-pass-123@db/shop"),
            ("OPENAI_API_KEY", "sk-secret-456"),
            ("ANTHROPIC_API_KEY", "ak-secret-789"),
            ("REDIS_URL", "redis://:redis-pass-000@127.0.0.1:6379"),
        ],
        none(),
    );
    let config = AgentConfig::from_environment(&env).unwrap();
    let debug = format!("{config:?} {env:?}");
    for secret in [
        "pg-pass-123",
        "sk-secret-456",
        "ak-secret-789",
        "redis-pass-000",
    ] {
        assert!(!debug.contains(secret), "{secret} leaked into {debug}");
    }
    assert!(debug.contains("postgres://app:***@db/shop"));
}
