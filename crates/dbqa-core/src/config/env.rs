//! The environment layer of configuration: process variables over a `.env` file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use secrecy::SecretString;

use crate::{ConfigError, SecretUrl};

/// Where configuration values come from, below explicit values: process environment
/// variables first, then a `.env` file.
///
/// Reading never mutates the process environment, so tests can build one from plain maps.
///
/// ```
/// use dbqa_core::Environment;
/// let env = Environment::from_maps([("READ_ONLY", "no")], [("READ_ONLY", "yes"), ("MAX_RESULT_ROWS", "50")]);
/// assert_eq!(env.get("READ_ONLY"), Some("no"));      // process beats .env
/// assert_eq!(env.get("MAX_RESULT_ROWS"), Some("50")); // .env beats the default
/// ```
#[derive(Clone, Default)]
pub struct Environment {
    process: HashMap<String, String>,
    dotenv: HashMap<String, String>,
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may be secrets: show names only.
        let mut names: Vec<&String> = self.process.keys().chain(self.dotenv.keys()).collect();
        names.sort();
        names.dedup();
        f.debug_struct("Environment")
            .field("names", &names)
            .finish()
    }
}

impl Environment {
    /// No variables at all: every setting takes its default.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The process environment plus `./.env` when that file exists.
    pub fn from_process() -> Result<Self, ConfigError> {
        Self::from_process_and_file(Path::new(".env"))
    }

    /// The process environment plus the given `.env` file when it exists.
    pub fn from_process_and_file(dotenv_path: &Path) -> Result<Self, ConfigError> {
        let process = std::env::vars().collect();
        let dotenv = read_dotenv(dotenv_path)?;
        Ok(Self { process, dotenv })
    }

    /// An environment from explicit maps (process variables, `.env` entries).
    pub fn from_maps<K, V>(
        process: impl IntoIterator<Item = (K, V)>,
        dotenv: impl IntoIterator<Item = (K, V)>,
    ) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            process: process
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
            dotenv: dotenv
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The raw value of a variable; an empty value counts as unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.process
            .get(name)
            .or_else(|| self.dotenv.get(name))
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The first of several variable names that is set (for aliases such as
    /// `LLM_BASE_URL` / `OPENAI_BASE_URL`).
    pub fn get_any(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|n| self.get(n))
    }

    /// A string setting.
    pub fn string(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_string)
    }

    /// A secret setting (API key).
    pub fn secret(&self, name: &str) -> Option<SecretString> {
        self.get(name).map(|v| SecretString::from(v.to_string()))
    }

    /// A URL that may hold a password.
    pub fn secret_url(&self, name: &str) -> Option<SecretUrl> {
        self.get(name).map(SecretUrl::new)
    }

    /// A path setting.
    pub fn path(&self, name: &str, default: &str) -> PathBuf {
        PathBuf::from(self.get(name).unwrap_or(default))
    }

    /// A boolean: true/false/1/0/yes/no/on/off in any case.
    pub fn bool(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => parse_bool(raw).ok_or_else(|| ConfigError::Invalid {
                variable: name.to_string(),
                value: raw.to_string(),
                reason: String::from("expected true/false, 1/0, yes/no or on/off"),
            }),
        }
    }

    /// A number (or anything else `FromStr`), with a range check.
    pub fn number<T>(&self, name: &str, default: T, min: T, max: T) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + std::fmt::Display + Copy,
    {
        let Some(raw) = self.get(name) else {
            return Ok(default);
        };
        let invalid = |reason: String| ConfigError::Invalid {
            variable: name.to_string(),
            value: raw.to_string(),
            reason,
        };
        let value: T = raw
            .parse()
            .map_err(|_| invalid(format!("expected a number from {min} to {max}")))?;
        if value < min || value > max {
            return Err(invalid(format!("must be from {min} to {max}")));
        }
        Ok(value)
    }

    /// A duration given in whole or fractional seconds.
    pub fn seconds(
        &self,
        name: &str,
        default_secs: f64,
        min_secs: f64,
        max_secs: f64,
    ) -> Result<Duration, ConfigError> {
        let secs = self.number(name, default_secs, min_secs, max_secs)?;
        Ok(Duration::from_secs_f64(secs))
    }

    /// A value parsed by its `FromStr` (enums such as `CACHE_BACKEND`); the parse error's
    /// text becomes the reason.
    pub fn parsed<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|e: T::Err| ConfigError::Invalid {
                variable: name.to_string(),
                value: raw.to_string(),
                reason: e.to_string(),
            }),
        }
    }

    /// A comma-separated list; blanks are dropped.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|raw| {
                raw.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Parses the boolean spellings configuration accepts.
pub fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "y" => Some(true),
        "false" | "0" | "no" | "off" | "n" => Some(false),
        _ => None,
    }
}

fn read_dotenv(path: &Path) -> Result<HashMap<String, String>, ConfigError> {
    if !path.exists() {
        return Ok(HashMap::new());
    }
    let error = |message: String| ConfigError::DotEnv {
        path: path.display().to_string(),
        message,
    };
    let iter = dotenvy::from_path_iter(path).map_err(|e| error(e.to_string()))?;
    let mut map = HashMap::new();
    for item in iter {
        let (key, value) = item.map_err(|e| error(e.to_string()))?;
        map.insert(key, value);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans_accept_every_documented_spelling() {
        for raw in ["true", "TRUE", "1", "yes", "Yes", "on"] {
            assert_eq!(parse_bool(raw), Some(true), "{raw}");
        }
        for raw in ["false", "False", "0", "no", "NO", "off"] {
            assert_eq!(parse_bool(raw), Some(false), "{raw}");
        }
        assert_eq!(parse_bool("maybe"), None);
    }

    #[test]
    fn dotenv_file_is_read_and_process_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(
            &path,
            "DBQA_TEST_ONLY_A=from-file\n# comment\nDBQA_TEST_ONLY_B=\"quoted value\"\n",
        )
        .unwrap();
        let env = Environment::from_process_and_file(&path).unwrap();
        assert_eq!(env.get("DBQA_TEST_ONLY_A"), Some("from-file"));
        assert_eq!(env.get("DBQA_TEST_ONLY_B"), Some("quoted value"));
        assert!(env.get("PATH").is_some(), "process variables are read too");
    }

    #[test]
    fn a_broken_dotenv_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env");
        std::fs::write(&path, "GOOD=1\nthis line is not an assignment\n").unwrap();
        let err = Environment::from_process_and_file(&path).unwrap_err();
        assert!(err.to_string().contains(".env"), "{err}");
    }

    #[test]
    fn numbers_are_range_checked_with_the_variable_named() {
        let env = Environment::from_maps([("N", "0"), ("M", "abc")], Vec::<(&str, &str)>::new());
        let err = env.number("N", 5u32, 1, 10).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid value `0` for N: must be from 1 to 10"
        );
        let err = env.number("M", 5u32, 1, 10).unwrap_err();
        assert!(err.to_string().contains("for M"), "{err}");
    }
}
