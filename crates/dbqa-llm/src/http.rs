//! The HTTP transport every provider shares: timeouts, retries with backoff and jitter,
//! `Retry-After`, status-to-error mapping and the attempt counter.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use dbqa_core::{ExposeSecret, LlmError, ModelConfig, SecretString};
use rand::Rng;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// Connection and retry settings of one provider.
///
/// `Debug` shows the key as `[REDACTED]`.
#[derive(Debug, Clone)]
pub struct ProviderOptions {
    /// The API root, e.g. `https://api.openai.com/v1` (paths such as `/chat/completions`
    /// are appended).
    pub base_url: String,
    /// The API key; optional for OpenAI-compatible servers and Ollama.
    pub api_key: Option<SecretString>,
    /// Limit for one attempt: the whole answer, or for a stream the headers and then each
    /// gap between events (`LLM_TIMEOUT`, 60 s).
    pub request_timeout: Duration,
    /// Limit for opening a connection (10 s, or the request timeout when shorter).
    pub connect_timeout: Duration,
    /// Retries after the first attempt on 429, 5xx and connection errors (`LLM_MAX_RETRIES`, 3).
    pub max_retries: u32,
    /// First backoff delay; doubled per retry, with jitter (500 ms).
    pub backoff_base: Duration,
    /// Largest backoff delay (8 s).
    pub backoff_max: Duration,
    /// Largest wait honoured from a `Retry-After` header (30 s).
    pub retry_after_cap: Duration,
}

impl ProviderOptions {
    /// Defaults for an API root.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            api_key: None,
            request_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            max_retries: 3,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(8),
            retry_after_cap: Duration::from_secs(30),
        }
    }

    /// Timeouts and retries from a [`ModelConfig`], for this API root and key.
    pub fn from_config(
        config: &ModelConfig,
        base_url: impl Into<String>,
        api_key: Option<SecretString>,
    ) -> Self {
        let mut options = Self::new(base_url);
        options.api_key = api_key;
        options.request_timeout = config.request_timeout;
        options.connect_timeout = options.connect_timeout.min(config.request_timeout);
        options.max_retries = config.max_retries;
        options
    }

    /// Sets the API key.
    pub fn with_api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(SecretString::from(key.into()));
        self
    }

    /// Sets the per-attempt timeout.
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets how often to retry.
    pub fn with_max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Sets the first backoff delay (tests use a few milliseconds).
    pub fn with_backoff_base(mut self, base: Duration) -> Self {
        self.backoff_base = base;
        self
    }
}

/// How a failed attempt is treated.
enum Attempt {
    Done(reqwest::Response),
    Retry {
        error: LlmError,
        retry_after: Option<Duration>,
    },
    Fail(LlmError),
}

/// A reqwest client with one provider's settings.
pub(crate) struct Transport {
    provider: String,
    client: reqwest::Client,
    options: ProviderOptions,
    attempts: AtomicU64,
}

impl Transport {
    pub(crate) fn new(provider: &str, options: ProviderOptions) -> Result<Self, LlmError> {
        let client = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .build()
            .map_err(|e| LlmError::Connection {
                provider: provider.to_string(),
                endpoint: dbqa_core::redact_url(&options.base_url),
                message: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(Self {
            provider: provider.to_string(),
            client,
            options,
            attempts: AtomicU64::new(0),
        })
    }

    pub(crate) fn provider(&self) -> &str {
        &self.provider
    }

    pub(crate) fn options(&self) -> &ProviderOptions {
        &self.options
    }

    pub(crate) fn api_key(&self) -> Option<&str> {
        self.options.api_key.as_ref().map(|k| k.expose_secret())
    }

    /// HTTP attempts made so far (first tries and retries).
    pub(crate) fn attempts(&self) -> u64 {
        self.attempts.load(Ordering::Relaxed)
    }

    fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.options.base_url.trim_end_matches('/'), path)
    }

    /// POSTs `body` to `path`, retrying what can succeed later. For a stream, the timeout
    /// covers the response headers only. With `fast_fail`, server errors are returned at
    /// once (used to probe optional features).
    pub(crate) async fn post(
        &self,
        path: &str,
        headers: &HeaderMap,
        body: &Value,
        stream: bool,
        fast_fail: bool,
    ) -> Result<reqwest::Response, LlmError> {
        let url = self.endpoint(path);
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            self.attempts.fetch_add(1, Ordering::Relaxed);
            let outcome = self.attempt(&url, headers, body, stream, attempt).await;
            let (error, retry_after) = match outcome {
                Attempt::Done(response) => return Ok(response),
                Attempt::Fail(error) => return Err(error),
                Attempt::Retry { error, .. } if fast_fail => return Err(error),
                Attempt::Retry { error, retry_after } => (error, retry_after),
            };
            if attempt > self.options.max_retries {
                return Err(error);
            }
            let wait = match retry_after {
                Some(asked) => asked.min(self.options.retry_after_cap),
                None => self.backoff(attempt),
            };
            tracing::warn!(
                provider = %self.provider,
                attempt,
                wait_ms = wait.as_millis() as u64,
                error = %error,
                "LLM request failed; retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    async fn attempt(
        &self,
        url: &str,
        headers: &HeaderMap,
        body: &Value,
        stream: bool,
        attempt: u32,
    ) -> Attempt {
        let mut builder = self.client.post(url).headers(headers.clone()).json(body);
        let timeout = self.options.request_timeout;
        let sent = if stream {
            match tokio::time::timeout(timeout, builder.send()).await {
                Ok(sent) => sent,
                Err(_) => return Attempt::Fail(self.timeout()),
            }
        } else {
            builder = builder.timeout(timeout);
            builder.send().await
        };
        let response = match sent {
            Ok(response) => response,
            Err(e) if e.is_timeout() => return Attempt::Fail(self.timeout()),
            Err(e) => {
                return Attempt::Retry {
                    error: LlmError::Connection {
                        provider: self.provider.clone(),
                        endpoint: dbqa_core::redact_url(&self.options.base_url),
                        message: format!(
                            "{} (after {attempt} attempt(s))",
                            self.scrub(&error_chain(&e))
                        ),
                    },
                    retry_after: None,
                };
            }
        };
        let status = response.status().as_u16();
        if response.status().is_success() {
            return Attempt::Done(response);
        }
        let retry_after = retry_after(response.headers());
        let text = match tokio::time::timeout(timeout, response.text()).await {
            Ok(Ok(text)) => text,
            _ => String::new(),
        };
        let message = self.scrub(&error_message(&text));
        let provider = self.provider.clone();
        match status {
            401 | 403 => Attempt::Fail(LlmError::Authentication {
                provider,
                status,
                message,
            }),
            429 => Attempt::Retry {
                error: LlmError::RateLimited {
                    provider,
                    attempts: attempt,
                    retry_after,
                },
                retry_after,
            },
            500..=599 => Attempt::Retry {
                error: LlmError::Server {
                    provider,
                    status,
                    attempts: attempt,
                    message,
                },
                retry_after,
            },
            _ => Attempt::Fail(LlmError::BadRequest {
                provider,
                status,
                message,
            }),
        }
    }

    pub(crate) fn timeout(&self) -> LlmError {
        LlmError::Timeout {
            provider: self.provider.clone(),
            after: self.options.request_timeout,
        }
    }

    /// Exponential backoff with "equal jitter": half the delay fixed, half random.
    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
        let full = self
            .options
            .backoff_base
            .saturating_mul(factor)
            .min(self.options.backoff_max);
        let half = full / 2;
        let jitter_ms = rand::rng().random_range(0..=half.as_millis().max(1) as u64);
        half + Duration::from_millis(jitter_ms)
    }

    /// Removes the API key from text that came back from the server.
    /// `text` without the API key or any URL's password (error bodies, driver messages).
    pub(crate) fn scrub(&self, text: &str) -> String {
        let text = dbqa_core::redact_urls_in(text);
        match self.api_key() {
            Some(key) if key.len() >= 4 => text.replace(key, "[REDACTED]"),
            _ => text,
        }
    }

    /// GETs `path` once, within `limit`, and reads its JSON body: no retries, since what
    /// it asks is optional.
    pub(crate) async fn get_json(
        &self,
        path: &str,
        headers: &HeaderMap,
        limit: Duration,
    ) -> Result<Value, LlmError> {
        self.attempts.fetch_add(1, Ordering::Relaxed);
        let sent = self
            .client
            .get(self.endpoint(path))
            .headers(headers.clone())
            .timeout(limit.min(self.options.request_timeout))
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) if e.is_timeout() => return Err(self.timeout()),
            Err(e) => {
                return Err(LlmError::Connection {
                    provider: self.provider.clone(),
                    endpoint: dbqa_core::redact_url(&self.options.base_url),
                    message: self.scrub(&error_chain(&e)),
                });
            }
        };
        if !response.status().is_success() {
            return Err(LlmError::BadRequest {
                provider: self.provider.clone(),
                status: response.status().as_u16(),
                message: format!("GET {path} is not served"),
            });
        }
        self.read_json(response).await
    }

    /// Reads a complete JSON body.
    pub(crate) async fn read_json(&self, response: reqwest::Response) -> Result<Value, LlmError> {
        let bytes = response.bytes().await.map_err(|e| {
            if e.is_timeout() {
                self.timeout()
            } else {
                self.invalid(format!("cannot read the body: {}", error_chain(&e)))
            }
        })?;
        serde_json::from_slice(&bytes).map_err(|e| {
            let head: String = String::from_utf8_lossy(&bytes).chars().take(120).collect();
            self.invalid(format!("malformed JSON ({e}): {}", self.scrub(&head)))
        })
    }

    pub(crate) fn invalid(&self, message: impl Into<String>) -> LlmError {
        LlmError::InvalidResponse {
            provider: self.provider.clone(),
            message: message.into(),
        }
    }
}

/// The error's message with its sources (reqwest hides the useful part in the chain).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

/// `Retry-After` in seconds (or OpenAI's `retry-after-ms`); HTTP dates are ignored.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.trim().parse::<f64>().ok()) {
        return (ms.is_finite() && ms >= 0.0).then(|| Duration::from_secs_f64(ms / 1000.0));
    }
    let seconds = header("retry-after")?.trim().parse::<f64>().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(86_400.0)))
}

/// The `error.message` of an OpenAI or Anthropic error body, else the start of the text.
fn error_message(text: &str) -> String {
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        let message = value
            .pointer("/error/message")
            .or_else(|| value.get("error").filter(|e| e.is_string()))
            .or_else(|| value.get("message"))
            .and_then(Value::as_str);
        if let Some(message) = message {
            return message.to_string();
        }
    }
    let trimmed: String = text.trim().chars().take(300).collect();
    if trimmed.is_empty() {
        "no details given".to_string()
    } else {
        trimmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let check = |name: &str, value: &str, expect: Option<Duration>| {
            let mut headers = HeaderMap::new();
            headers.insert(
                reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
            assert_eq!(retry_after(&headers), expect, "{name}: {value}");
        };
        check("retry-after", "2", Some(Duration::from_secs(2)));
        check("retry-after", "0.5", Some(Duration::from_millis(500)));
        check("retry-after-ms", "250", Some(Duration::from_millis(250)));
        check("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT", None);
        check("retry-after", "-3", None);
    }

    #[test]
    fn error_messages_are_extracted() {
        let check = |body: &str, expect: &str| assert_eq!(error_message(body), expect);
        check(r#"{"error":{"message":"slow down"}}"#, "slow down");
        check(
            r#"{"type":"error","error":{"type":"x","message":"overloaded"}}"#,
            "overloaded",
        );
        check(r#"{"error":"model not found"}"#, "model not found");
        check("", "no details given");
        check("<html>bad gateway</html>", "<html>bad gateway</html>");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let options =
            ProviderOptions::new("http://x").with_backoff_base(Duration::from_millis(100));
        let transport = Transport::new("test", options).unwrap();
        for attempt in 1..10 {
            let wait = transport.backoff(attempt);
            let full =
                Duration::from_millis(100 * 2u64.pow(attempt - 1)).min(Duration::from_secs(8));
            assert!(
                wait >= full / 2 && wait <= full + Duration::from_millis(1),
                "{attempt}: {wait:?}"
            );
        }
    }

    #[test]
    fn scrub_removes_the_key() {
        let options = ProviderOptions::new("http://x").with_api_key("sk-secret-123");
        let transport = Transport::new("test", options).unwrap();
        assert_eq!(
            transport.scrub("Incorrect API key provided: sk-secret-123."),
            "Incorrect API key provided: [REDACTED]."
        );
    }
}
