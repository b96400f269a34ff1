//! Which database a command talks to: `--db`, else `DATABASE_URL` (environment or `.env`),
//! else the built-in demo shop database, created on first use in the user's data directory
//! with its glossary of business terms (used unless `SCHEMA_GLOSSARY` names another).

use std::path::PathBuf;
use std::sync::Arc;

use dbqa_core::{AgentConfig, Database, Environment, SecretUrl};

use crate::cli::DbArgs;
use crate::failure::{self, Failure};

/// The configuration from the environment, with the database resolved from the flags.
pub(crate) fn resolve_config(db: &DbArgs) -> Result<AgentConfig, Failure> {
    resolve_config_in(&Environment::from_process()?, db)
}

/// [`resolve_config`] from an environment already read.
pub(crate) fn resolve_config_in(env: &Environment, db: &DbArgs) -> Result<AgentConfig, Failure> {
    let mut config = AgentConfig::from_environment(env)?;
    if let Some(url) = &db.db {
        config.database.url = Some(SecretUrl::new(url.clone()));
    }
    if config.database.url.is_none() {
        let path = ensure_demo_database()?;
        config.database.url = Some(SecretUrl::new(format!("sqlite://{}", path.display())));
        if config.schema_glossary.is_none() {
            config.schema_glossary = Some(ensure_demo_glossary(&path)?);
        }
    }
    // Sessions outlive the directory a command ran in: keep them in the user's data
    // directory unless SESSION_DB_PATH says otherwise.
    if let Some(dir) = data_dir().filter(|_| env.get("SESSION_DB_PATH").is_none()) {
        config.session_db_path = dir.join("sessions.db");
    }
    Ok(config)
}

/// `<user data dir>/dbqa`, created on demand.
pub(crate) fn data_dir() -> Option<PathBuf> {
    let dir = dirs::data_dir()?.join("dbqa");
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir)
}

/// Connects to the configured database.
pub(crate) async fn connect(config: &AgentConfig) -> Result<Arc<dyn Database>, Failure> {
    dbqa_schema::connect(&config.database)
        .await
        .map_err(|err| match err {
            dbqa_schema::Error::Database(db_error) => failure::from_database(db_error),
            dbqa_schema::Error::FileNotFound { .. } => Failure::unreachable(err),
            other => Failure::usage(other),
        })
}

/// The schema as the table lists let it be seen (blocked and non-allowed tables, and the
/// views over blocked ones, left out), read once.
pub(crate) async fn visible_schema(config: &AgentConfig) -> Result<dbqa_core::Schema, Failure> {
    let db = connect(config).await?;
    let full = db.extract_schema().await.map_err(failure::from_database);
    db.close().await;
    let guard = dbqa_guard::Guard::new(dbqa_guard::GuardConfig::for_database(
        db.as_ref(),
        &config.safety,
    ));
    Ok(guard.visible(&full?).0)
}

/// The demo database's path, writing it first if it does not exist yet.
fn ensure_demo_database() -> Result<PathBuf, Failure> {
    let dir = dirs::data_dir().map(|d| d.join("dbqa")).ok_or_else(|| {
        Failure::usage(
            "no DATABASE_URL and no user data directory for the demo database: pass --db URL",
        )
    })?;
    let path = dir.join("demo-shop.db");
    if !path.exists() {
        std::fs::create_dir_all(&dir)
            .map_err(|e| Failure::usage(format!("cannot create {}: {e}", dir.display())))?;
        eprintln!("creating the demo shop database at {}", path.display());
        dbqa_schema::demo::create_demo_database(&path)
            .map_err(|e| Failure::usage(format!("cannot create the demo database: {e}")))?;
    }
    Ok(path)
}

/// The demo shop's glossary beside its database, written if it is not there yet (an edited
/// one is kept).
fn ensure_demo_glossary(database: &std::path::Path) -> Result<PathBuf, Failure> {
    let path = database.with_extension("glossary");
    if !path.exists() {
        std::fs::write(&path, dbqa_schema::demo::DEMO_GLOSSARY)
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(path)
}
