//! The question sets the evaluations run on (`--set`):
//! - `dev`: the Spider dev set, all 1,034 questions;
//! - `tuning` and `report`: its two halves by database, fixed in
//!   `xtask/data/spider_split.json` before any tuning. Changes to the agent are looked at
//!   and tuned on `tuning` only; `report` is what is reported;
//! - `paraphrases`: the `report` questions reworded (`xtask/data/spider_report_paraphrases.json`,
//!   gold SQL unchanged);
//! - `demo-shop`: questions about the demo shop database (`xtask/data/demo_shop_questions.json`),
//!   a report set like `report`;
//! - `demo-shop-tuning`: other questions about the demo shop
//!   (`xtask/data/demo_shop_tuning_questions.json`), written later to tune the demo's glossary
//!   and prompt on without looking at `demo-shop`.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::OnceLock;

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use super::{Example, load_examples, repo_root};

/// The `db_id` of the demo shop questions.
pub(crate) const DEMO_SHOP: &str = "demo_shop";

/// Which questions to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QuestionSet {
    Dev,
    Tuning,
    Report,
    Paraphrases,
    DemoShop,
    DemoShopTuning,
}

impl FromStr for QuestionSet {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "dev" => Self::Dev,
            "tuning" => Self::Tuning,
            "report" => Self::Report,
            "paraphrases" => Self::Paraphrases,
            "demo-shop" => Self::DemoShop,
            "demo-shop-tuning" => Self::DemoShopTuning,
            other => bail!(
                "--set is dev, tuning, report, paraphrases, demo-shop or demo-shop-tuning, not `{other}`"
            ),
        })
    }
}

impl QuestionSet {
    /// The name used in reports and file names.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Dev => "dev",
            Self::Tuning => "tuning",
            Self::Report => "report",
            Self::Paraphrases => "paraphrases",
            Self::DemoShop => "demo-shop",
            Self::DemoShopTuning => "demo-shop-tuning",
        }
    }
}

#[derive(Deserialize)]
struct Split {
    tuning: Vec<String>,
    report: Vec<String>,
}

#[derive(Deserialize)]
struct Paraphrase {
    db_id: String,
    question: String,
    query: String,
    dev_index: usize,
}

fn data_file(name: &str) -> PathBuf {
    repo_root().join("xtask/data").join(name)
}

fn read<T: for<'de> Deserialize<'de>>(name: &str) -> Result<T> {
    let path = data_file(name);
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// The databases of each half.
fn split() -> Result<Split> {
    read("spider_split.json")
}

/// The questions of `set`, each with its index (dev.json's for Spider sets, the file's
/// for the demo shop).
pub(crate) fn load(set: QuestionSet, data: &Path) -> Result<Vec<(usize, Example)>> {
    let dev = || -> Result<Vec<(usize, Example)>> {
        Ok(load_examples(data)?.into_iter().enumerate().collect())
    };
    let half = |databases: Vec<String>| -> Result<Vec<(usize, Example)>> {
        Ok(dev()?
            .into_iter()
            .filter(|(_, e)| databases.contains(&e.db_id))
            .collect())
    };
    match set {
        QuestionSet::Dev => dev(),
        QuestionSet::Tuning => half(split()?.tuning),
        QuestionSet::Report => half(split()?.report),
        QuestionSet::Paraphrases => {
            let paraphrases: Vec<Paraphrase> = read("spider_report_paraphrases.json")?;
            Ok(paraphrases
                .into_iter()
                .map(|p| {
                    let example = Example {
                        db_id: p.db_id,
                        question: p.question,
                        query: p.query,
                    };
                    (p.dev_index, example)
                })
                .collect())
        }
        QuestionSet::DemoShop => demo_shop("demo_shop_questions.json"),
        QuestionSet::DemoShopTuning => demo_shop("demo_shop_tuning_questions.json"),
    }
}

/// The demo shop questions in `file`, numbered from 0.
fn demo_shop(file: &str) -> Result<Vec<(usize, Example)>> {
    let examples: Vec<Example> = read(file)?;
    Ok(examples.into_iter().enumerate().collect())
}

/// Whether `set` asks about the demo shop.
pub(crate) fn is_demo_shop(set: QuestionSet) -> bool {
    matches!(set, QuestionSet::DemoShop | QuestionSet::DemoShopTuning)
}

/// Every `k`-th question so that about `n` remain, spread over the whole set (and so over
/// every database): a smaller run that still looks like the whole.
pub(crate) fn sample(examples: Vec<(usize, Example)>, n: usize) -> Vec<(usize, Example)> {
    if n == 0 || n >= examples.len() {
        return examples;
    }
    let step = examples.len() as f64 / n as f64;
    (0..n)
        .filter_map(|i| examples.get((i as f64 * step) as usize).cloned())
        .collect()
}

/// The demo shop database file under `target/eval/`, written afresh on first use in each
/// run so that a change to the demo schema never meets a file left by an older build.
pub(crate) fn demo_shop_file() -> PathBuf {
    static WRITTEN: OnceLock<()> = OnceLock::new();
    let path = super::target_dir().join("eval/demo-shop.db");
    WRITTEN.get_or_init(|| {
        if let Err(e) = dbqa_schema::demo::create_demo_database(&path) {
            eprintln!("cannot write the demo shop database: {e}");
        }
    });
    path
}
