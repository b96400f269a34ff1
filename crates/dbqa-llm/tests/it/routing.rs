//! Adaptive model selection decides which model is called.

use dbqa_core::{Environment, ModelConfig, ModelTier};
use dbqa_fake_llm::{FakeLlm, Reply};
use dbqa_llm::{choose_model, provider_from_config};

use crate::support::question;

fn config(strategy: &str, base_url: &str) -> ModelConfig {
    let env = Environment::from_maps(
        [
            ("LLM_BASE_URL", base_url),
            ("MODEL_STRATEGY", strategy),
            ("FAST_MODEL", "small-fast"),
            ("BALANCED_MODEL", "mid-balanced"),
            ("COMPLEX_MODEL", "big-complex"),
        ],
        Vec::<(&str, &str)>::new(),
    );
    ModelConfig::from_env(&env).unwrap()
}

const SIMPLE: &str = "How many singers are there?";
const COMPLEX: &str = "Compare the average age of singers per country versus the concerts they joined in the last 2 years";
const MIDDLE: &str = "Show the names of singers and their songs";

#[tokio::test]
async fn adaptive_routes_by_complexity_and_the_model_is_really_called() {
    let fake = FakeLlm::start().await;
    let config = config("adaptive", &fake.base_url());
    let provider = provider_from_config(&config).unwrap();
    let cases = [
        (SIMPLE, ModelTier::Fast, "small-fast"),
        (COMPLEX, ModelTier::Complex, "big-complex"),
        (MIDDLE, ModelTier::Balanced, "mid-balanced"),
    ];
    for (text, tier, model) in cases {
        let chosen = choose_model(&config, text);
        assert_eq!(chosen, (tier, model.to_string()), "{text}");
        fake.push(Reply::text("ok"));
        let mut request = question(text);
        request.model = chosen.1;
        let response = provider.chat(&request).await.unwrap();
        assert_eq!(
            response.model, model,
            "the answer reports the model that answered"
        );
        assert_eq!(fake.last_request().unwrap().model(), model);
    }
}

#[test]
fn fixed_always_uses_the_balanced_model() {
    let config = config("fixed", "http://127.0.0.1:9/v1");
    for text in [SIMPLE, COMPLEX, MIDDLE] {
        assert_eq!(
            choose_model(&config, text),
            (ModelTier::Balanced, "mid-balanced".to_string()),
            "{text}"
        );
    }
}
