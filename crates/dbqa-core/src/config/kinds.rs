//! The enumerated settings: backends, providers, strategies and modes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Declares a settings enum with its accepted spellings, `FromStr` (naming the choices on
/// error), `Display` (the canonical spelling) and serde in that spelling.
macro_rules! setting_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vmeta:meta])* $variant:ident => $canonical:literal $(| $alias:literal)* ),+ $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $canonical)] $variant, )+
        }

        impl $name {
            /// The canonical spelling.
            pub fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $canonical, )+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $( $canonical $(| $alias)* => Ok($name::$variant), )+
                    _ => Err(format!("expected one of: {}", [$($canonical),+].join(", "))),
                }
            }
        }
    };
}

setting_enum! {
    /// Where cached values live (`CACHE_BACKEND`).
    CacheBackendKind {
        /// In-process memory (moka).
        Memory => "memory",
        /// A local SQLite file.
        Sqlite => "sqlite",
        /// A Redis server, shareable between processes.
        Redis => "redis",
    }
}

setting_enum! {
    /// Where chat sessions live (`SESSION_BACKEND`).
    SessionBackendKind {
        /// A local SQLite file (durable; the default).
        Sqlite => "sqlite",
        /// In-process memory (lost on exit).
        Memory => "memory",
        /// A Redis server, shareable between processes.
        Redis => "redis",
    }
}

setting_enum! {
    /// Which LLM API to call (`LLM_PROVIDER`).
    ProviderKind {
        /// OpenAI's Chat Completions API.
        OpenAi => "openai",
        /// Anthropic's Messages API.
        Anthropic => "anthropic" | "claude",
        /// A local Ollama server (its OpenAI-compatible endpoint).
        Ollama => "ollama",
        /// Any server speaking OpenAI's Chat Completions API (vLLM, llama.cpp, LM Studio, …).
        OpenAiCompatible => "openai-compatible" | "openai_compatible" | "compatible",
    }
}

setting_enum! {
    /// How a model is picked per question (`MODEL_STRATEGY`).
    ModelStrategy {
        /// Route by question complexity to the fast, balanced or complex model.
        Adaptive => "adaptive",
        /// Always the balanced model.
        Fixed => "fixed",
    }
}

setting_enum! {
    /// How the model is asked for SQL (`LLM_TOOL_MODE`); weak and local models need
    /// something other than free tool choice.
    ToolMode {
        /// Tools offered, the model chooses.
        Auto => "auto",
        /// A tool call is forced (a `reply` tool keeps plain answers possible).
        Required => "required",
        /// A JSON-schema answer (`{"sql": …}` or `{"reply": …}`).
        Json => "json",
        /// SQL read from a fenced code block in plain text.
        Text => "text",
    }
}

setting_enum! {
    /// How the natural-language answer is written (`ANSWER_MODE`).
    AnswerMode {
        /// One LLM call: fill the model's answer template locally, or, without a usable
        /// one, answer with a sentence built from the rows.
        Template => "template",
        /// Always a second LLM call that writes the answer from the rows (streams tokens).
        Llm => "llm",
        /// No natural-language answer: SQL and rows only.
        None => "none",
    }
}

setting_enum! {
    /// What to do with a question that looks like prompt injection (`PROMPT_INJECTION`).
    InjectionPolicy {
        /// Refuse the question with a typed error.
        Refuse => "refuse",
        /// Answer, but add a warning to the response.
        Warn => "warn",
        /// Do not check.
        Off => "off",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_is_case_insensitive_and_lists_choices() {
        assert_eq!(
            "Redis".parse::<CacheBackendKind>(),
            Ok(CacheBackendKind::Redis)
        );
        assert_eq!(
            "claude".parse::<ProviderKind>(),
            Ok(ProviderKind::Anthropic)
        );
        let err = "disk".parse::<CacheBackendKind>().unwrap_err();
        assert_eq!(err, "expected one of: memory, sqlite, redis");
        assert_eq!(ToolMode::Json.to_string(), "json");
    }
}
