//! `sqlite:` URL parsing.
//!
//! Accepted forms: `sqlite://relative/path.db`, `sqlite:///abs/path.db`, `sqlite:path.db`,
//! `sqlite::memory:`, `sqlite://:memory:`, with optional query parameters. `mode=ro` (the
//! default) opens read-only, `mode=rw` read-write, `mode=rwc` read-write and creates a
//! missing file, `mode=memory` an in-memory database. Other parameters are ignored.

use std::path::PathBuf;

use dbqa_core::DatabaseError;

/// Where a `sqlite:` URL points and how to open it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SqliteTarget {
    /// The file; `None` for an in-memory database.
    pub(crate) path: Option<PathBuf>,
    /// Whether the connector may write (when an execution also asks for it).
    pub(crate) writable: bool,
    /// Whether a missing file is created.
    pub(crate) create: bool,
}

impl SqliteTarget {
    /// Parses a `sqlite:` URL (a `+driver` suffix on the scheme is accepted).
    pub(crate) fn parse(url: &str) -> Result<Self, DatabaseError> {
        let invalid = |message: &str| DatabaseError::InvalidUrl {
            message: format!("{message} (url: {url})"),
        };
        let (scheme, rest) = url
            .split_once(':')
            .ok_or_else(|| invalid("expected sqlite:PATH"))?;
        let base = scheme.split('+').next().unwrap_or(scheme);
        if !base.eq_ignore_ascii_case("sqlite") && !base.eq_ignore_ascii_case("sqlite3") {
            return Err(invalid("not a sqlite url"));
        }
        let (location, query) = match rest.split_once('?') {
            Some((location, query)) => (location, Some(query)),
            None => (rest, None),
        };
        // `sqlite://x` → `x`, `sqlite:///abs` → `/abs`, `sqlite:x` → `x`.
        let location = location.strip_prefix("//").unwrap_or(location);
        let location = percent_decode(location).ok_or_else(|| invalid("bad %-escape in path"))?;

        let mut mode = None;
        for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            if key.eq_ignore_ascii_case("mode") {
                mode = Some(value.to_ascii_lowercase());
            }
        }
        let (writable, create, memory) = match mode.as_deref() {
            None | Some("ro") => (false, false, false),
            Some("rw") => (true, false, false),
            Some("rwc") => (true, true, false),
            Some("memory") => (false, false, true),
            Some(other) => {
                return Err(invalid(&format!(
                    "unknown mode `{other}`: expected ro, rw, rwc or memory"
                )));
            }
        };
        if memory || location == ":memory:" {
            return Ok(Self {
                path: None,
                writable,
                create,
            });
        }
        if location.is_empty() {
            return Err(invalid(
                "no database file given: expected sqlite://path/to/file.db",
            ));
        }
        Ok(Self {
            path: Some(PathBuf::from(location)),
            writable,
            create,
        })
    }
}

/// Decodes `%XX` escapes; `None` on a malformed escape or non-UTF-8 result.
fn percent_decode(text: &str) -> Option<String> {
    // A `%` not followed by two hex digits is a mistake, not a file name.
    let malformed = text.match_indices('%').any(|(at, _)| {
        text.get(at + 1..at + 3)
            .is_none_or(|hex| !hex.bytes().all(|b| b.is_ascii_hexdigit()))
    });
    if malformed {
        return None;
    }
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .ok()
        .map(|decoded| decoded.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(url: &str, expect: &str) {
        let got = match SqliteTarget::parse(url) {
            Ok(t) => format!(
                "{} writable={} create={}",
                t.path
                    .map_or_else(|| ":memory:".to_string(), |p| p.display().to_string()),
                t.writable,
                t.create
            ),
            Err(e) => format!("error: {e}"),
        };
        assert_eq!(got, expect, "for {url}");
    }

    #[test]
    fn url_forms() {
        check("sqlite://shop.db", "shop.db writable=false create=false");
        check(
            "sqlite://data/shop.db",
            "data/shop.db writable=false create=false",
        );
        check(
            "sqlite:///tmp/shop.db",
            "/tmp/shop.db writable=false create=false",
        );
        check("sqlite:shop.db", "shop.db writable=false create=false");
        check("sqlite::memory:", ":memory: writable=false create=false");
        check("sqlite://:memory:", ":memory: writable=false create=false");
        check(
            "sqlite://shop.db?mode=ro",
            "shop.db writable=false create=false",
        );
        check(
            "sqlite://shop.db?mode=rw&cache=shared",
            "shop.db writable=true create=false",
        );
        check(
            "sqlite://shop.db?mode=rwc",
            "shop.db writable=true create=true",
        );
        check(
            "sqlite+aiosqlite:///a%20b.db",
            "/a b.db writable=false create=false",
        );
        check(
            "sqlite://?mode=memory",
            ":memory: writable=false create=false",
        );
        check(
            "sqlite://",
            "error: invalid database url: no database file given: expected sqlite://path/to/file.db (url: sqlite://)",
        );
        check(
            "sqlite://x.db?mode=wat",
            "error: invalid database url: unknown mode `wat`: expected ro, rw, rwc or memory (url: sqlite://x.db?mode=wat)",
        );
        check(
            "postgres://h/db",
            "error: invalid database url: not a sqlite url (url: postgres://h/db)",
        );
        check(
            "sqlite://bad%zz.db",
            "error: invalid database url: bad %-escape in path (url: sqlite://bad%zz.db)",
        );
    }
}
