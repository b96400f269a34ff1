//! Words and what they stand for, for matching a question to a schema by meaning rather
//! than spelling: words split from names (`order_items`, `OrderItems`), stems (Porter2,
//! from `rust-stemmers`), and the word relations of `data/lexicon.txt` (synonym sets,
//! adjective attributes and pertainyms derived from WordNet by `cargo xtask lexicon`).
//!
//! Nothing here names a particular database: the data file is a general English
//! resource, and the code only splits, stems and looks words up.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

/// The word relations, as shipped.
const LEXICON: &str = include_str!("../data/lexicon.txt");

/// The parsed data file.
pub(crate) struct Lexicon {
    stemmer: Stemmer,
    /// A stem (of one word, or of two joined by a space) → the synonym sets it is in.
    sets: HashMap<String, Vec<u32>>,
    /// An adjective's stem → the stems of the nouns it is an attribute of (`old` → `age`).
    attributes: HashMap<String, Vec<String>>,
    /// An adjective (lower case) → the nouns it pertains to (`french` → `france`).
    pertainyms: HashMap<String, Vec<String>>,
    /// The single words of the data, stemmed, for splitting glued names.
    vocabulary: HashSet<String>,
}

static SHARED: LazyLock<Lexicon> = LazyLock::new(|| Lexicon::parse(LEXICON));

/// The lexicon every part of the agent shares (parsed on first use).
pub(crate) fn lexicon() -> &'static Lexicon {
    &SHARED
}

impl Lexicon {
    fn parse(text: &str) -> Self {
        let mut lexicon = Self {
            stemmer: Stemmer::create(Algorithm::English),
            sets: HashMap::new(),
            attributes: HashMap::new(),
            pertainyms: HashMap::new(),
            vocabulary: HashSet::new(),
        };
        let mut set_id = 0u32;
        for line in text.lines() {
            let Some((kind, rest)) = line.split_once(' ') else {
                continue;
            };
            match kind {
                "s" => {
                    for word in rest.split('|') {
                        let stem = lexicon.stem_phrase(word);
                        if !word.contains(' ') {
                            lexicon.vocabulary.insert(stem.clone());
                        }
                        lexicon.sets.entry(stem).or_default().push(set_id);
                    }
                    set_id += 1;
                }
                "a" | "p" => {
                    let Some((adjective, noun)) = rest.split_once('|') else {
                        continue;
                    };
                    if kind == "a" {
                        let (a, n) = (lexicon.stem(adjective), lexicon.stem_phrase(noun));
                        lexicon.attributes.entry(a).or_default().push(n);
                    } else {
                        lexicon
                            .pertainyms
                            .entry(adjective.to_string())
                            .or_default()
                            .push(noun.to_string());
                    }
                }
                _ => {}
            }
        }
        lexicon
    }

    /// The Porter2 stem of one lower-case word.
    pub(crate) fn stem(&self, word: &str) -> String {
        self.stemmer.stem(word).into_owned()
    }

    /// The stems of a phrase's words, joined by single spaces.
    pub(crate) fn stem_phrase(&self, phrase: &str) -> String {
        phrase
            .split_whitespace()
            .map(|w| self.stem(&w.to_lowercase()))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The synonym sets a stem (of a word, or of a two-word phrase) belongs to, with those
    /// of the nouns it is an attribute of (`old` → the sets of `age`), sorted: two words
    /// are related when their sets meet.
    pub(crate) fn sets(&self, stem: &str) -> Vec<u32> {
        let mut sets: Vec<u32> = self.sets.get(stem).cloned().unwrap_or_default();
        for noun in self.attributes.get(stem).into_iter().flatten() {
            sets.extend(self.sets.get(noun).into_iter().flatten());
        }
        sets.sort_unstable();
        sets.dedup();
        sets
    }

    /// The base of a comparative or superlative adjective the lexicon knows (`tallest`,
    /// `taller` → `tall`; `heaviest` → `heavy`; `largest` → `large`), stemmed.
    pub(crate) fn adjective_base(&self, word: &str) -> Option<String> {
        let candidates = [
            word.strip_suffix("iest").map(|w| format!("{w}y")),
            word.strip_suffix("ier").map(|w| format!("{w}y")),
            word.strip_suffix("est").map(str::to_string),
            word.strip_suffix("st").map(str::to_string),
            word.strip_suffix("er").map(str::to_string),
            word.strip_suffix('r').map(str::to_string),
        ];
        candidates
            .into_iter()
            .flatten()
            .filter(|base| base.len() >= 3)
            .map(|base| self.stem(&base))
            .find(|stem| self.attributes.contains_key(stem))
    }

    /// The nouns an adjective pertains to (`french` → `france`), lower case.
    pub(crate) fn pertainyms(&self, word: &str) -> &[String] {
        self.pertainyms.get(word).map_or(&[], Vec::as_slice)
    }

    /// A glued name part split into two words the lexicon knows (`productcategory` →
    /// `product`, `category`), stemmed; `None` when no split gives two known words.
    pub(crate) fn split_compound(&self, word: &str) -> Option<(String, String)> {
        const MIN_PART: usize = 3;
        if word.len() < 2 * MIN_PART + 1 || !word.is_ascii() || self.is_known(word) {
            return None;
        }
        (MIN_PART..=word.len() - MIN_PART)
            .rev()
            .map(|at| word.split_at(at))
            .find(|(left, right)| self.is_known(left) && self.is_known(right))
            .map(|(left, right)| (self.stem(left), self.stem(right)))
    }

    fn is_known(&self, word: &str) -> bool {
        self.vocabulary.contains(&self.stem(word))
    }
}

/// Splits a name or a sentence into lower-case words: at `_`, spaces, punctuation, and
/// lower-to-upper case changes (`OrderItems` → `order`, `items`), and between letters
/// and digits.
pub(crate) fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev: Option<char> = None;
    for c in text.chars() {
        if c.is_alphanumeric() {
            let boundary = prev.is_some_and(|p| {
                (p.is_lowercase() && c.is_uppercase())
                    || (p.is_alphabetic() && c.is_numeric())
                    || (p.is_numeric() && c.is_alphabetic())
            });
            if boundary && !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            current.extend(c.to_lowercase());
            prev = Some(c);
        } else {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            prev = None;
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_words() {
        assert_eq!(split_words("OrderItems"), ["order", "items"]);
        assert_eq!(split_words("order_items"), ["order", "items"]);
        assert_eq!(split_words("Staff2024 id"), ["staff", "2024", "id"]);
        assert_eq!(split_words("How many clients?"), ["how", "many", "clients"]);
    }

    #[test]
    fn stems_fold_inflections() {
        let l = lexicon();
        assert_eq!(l.stem("customers"), l.stem("customer"));
        assert_eq!(l.stem("shipped"), l.stem("ship"));
        assert_eq!(l.stem("categories"), l.stem("category"));
    }

    #[test]
    fn synonyms_and_attributes_share_concepts() {
        let l = lexicon();
        let related = |a: &str, b: &str| {
            let (ra, rb) = (l.sets(&l.stem(a)), l.sets(&l.stem(b)));
            ra.iter().any(|c| rb.contains(c))
        };
        assert!(related("vocalists", "singer"));
        assert!(related("automobile", "car"));
        assert!(related("client", "customer"));
        assert!(related("old", "age"));
        assert!(!related("singer", "stadium"));
        assert_eq!(l.pertainyms("french"), ["france"]);
    }

    #[test]
    fn glued_names_split_into_known_words() {
        let l = lexicon();
        assert_eq!(
            l.split_compound("countrylanguage"),
            Some((l.stem("country"), l.stem("language")))
        );
        assert_eq!(l.split_compound("customer"), None);
        assert_eq!(l.split_compound("xq"), None);
    }
}
