//! `provider_from_config` picks the provider the configuration names.

use dbqa_core::{Environment, LlmError, ModelConfig};
use dbqa_llm::provider_from_config;

fn config(vars: &[(&str, &str)]) -> ModelConfig {
    let env = Environment::from_maps(vars.iter().copied(), Vec::<(&str, &str)>::new());
    ModelConfig::from_env(&env).unwrap()
}

#[test]
fn providers_are_chosen_by_configuration() {
    let check = |vars: &[(&str, &str)], expect: &str| {
        let provider = provider_from_config(&config(vars)).unwrap();
        assert_eq!(provider.name(), expect, "{vars:?}");
    };
    check(&[("OPENAI_API_KEY", "sk-1")], "openai");
    check(&[("ANTHROPIC_API_KEY", "sk-ant-1")], "anthropic");
    check(&[("LLM_PROVIDER", "ollama")], "ollama");
    check(
        &[("LLM_BASE_URL", "http://127.0.0.1:8080/v1")],
        "openai-compatible",
    );
    check(
        &[
            ("LLM_PROVIDER", "openai"),
            ("LLM_BASE_URL", "http://127.0.0.1:8080/v1"),
        ],
        "openai",
    );
}

#[test]
fn missing_configuration_says_how_to_configure() {
    let error = provider_from_config(&config(&[])).err().unwrap();
    let LlmError::NotConfigured { hint } = &error else {
        panic!("expected NotConfigured, got {error}");
    };
    for needle in [
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "LLM_PROVIDER=ollama",
        "LLM_BASE_URL",
    ] {
        assert!(hint.contains(needle), "{needle} missing from: {hint}");
    }
    let check = |vars: &[(&str, &str)], needle: &str| {
        let error = provider_from_config(&config(vars)).err().unwrap();
        assert!(
            matches!(&error, LlmError::NotConfigured { hint } if hint.contains(needle)),
            "{vars:?}: {error}"
        );
    };
    check(&[("LLM_PROVIDER", "anthropic")], "ANTHROPIC_API_KEY");
    check(&[("LLM_PROVIDER", "openai")], "OPENAI_API_KEY");
    check(&[("LLM_PROVIDER", "openai-compatible")], "LLM_BASE_URL");
}

#[test]
fn keys_never_show_in_debug() {
    let config = config(&[("OPENAI_API_KEY", "sk-very-secret")]);
    let options =
        dbqa_llm::ProviderOptions::from_config(&config, "http://x", config.openai_api_key.clone());
    let provider = dbqa_llm::OpenAiProvider::new(options).unwrap();
    let debug = format!("{provider:?}");
    assert!(!debug.contains("sk-very-secret"), "{debug}");
    assert!(debug.contains("REDACTED"), "{debug}");
}
