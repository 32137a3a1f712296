//! A ranked full-text index (BM25) over any keyed documents: articles and ticket rows alike.
//!
//! Documents are added, replaced and removed one at a time, so a change to one article or ticket
//! costs only that document's terms. A document is a few fields, each with a weight (a title counts
//! more than a body); a term's frequency is the weighted sum over fields (the BM25F idea, kept
//! simple). A query scores only the postings of its own terms.
//!
//! ```
//! use innerdesk_core::domain::knowledge::index::{Query, SearchIndex};
//! let mut index = SearchIndex::default();
//! index.upsert(1, &[("Reset your password", 3.0), ("Open the self-service portal", 1.0)]);
//! index.upsert(2, &[("打印机卡纸", 3.0), ("打开前盖，取出纸张", 1.0)]);
//! let hits = index.search(&Query::new("resetting passwords"), 10, |_| true);
//! assert_eq!(hits[0].key, 1);
//! assert_eq!(index.search(&Query::new("打印机"), 10, |_| true)[0].key, 2);
//! ```

use super::analysis::terms;
use std::collections::HashMap;
use std::hash::Hash;

/// BM25's term-frequency saturation and length normalisation (the usual values).
const K1: f32 = 1.2;
const B: f32 = 0.75;
/// A pasted wall of text is searched by its beginning: enough to rank, never a hang.
pub const MAX_QUERY_CHARS: usize = 1_000;
/// Distinct terms a query keeps (matches are tracked in a 64-bit mask).
const MAX_QUERY_TERMS: usize = 64;

/// What a search asks for: the distinct terms of the text typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub terms: Vec<String>,
}

impl Query {
    pub fn new(text: &str) -> Self {
        let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
        let mut unique: Vec<String> = Vec::new();
        for term in terms(&text) {
            if !unique.contains(&term) && unique.len() < MAX_QUERY_TERMS {
                unique.push(term);
            }
        }
        Self { terms: unique }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

/// One ranked result: the document, its score and which query terms it contains (bit `i` for
/// `query.terms[i]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit<K> {
    pub key: K,
    pub score: f32,
    pub matched: u64,
}

#[derive(Debug, Clone, Copy)]
struct Posting {
    slot: u32,
    frequency: f32,
}

#[derive(Debug, Clone)]
struct Entry<K> {
    key: K,
    length: f32,
    terms: Vec<String>,
}

/// The index. Slots of removed documents are reused.
#[derive(Debug, Clone)]
pub struct SearchIndex<K> {
    entries: Vec<Option<Entry<K>>>,
    free: Vec<u32>,
    slots: HashMap<K, u32>,
    postings: HashMap<String, Vec<Posting>>,
    total_length: f64,
}

impl<K> Default for SearchIndex<K> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            free: Vec::new(),
            slots: HashMap::new(),
            postings: HashMap::new(),
            total_length: 0.0,
        }
    }
}

impl<K: Clone + Eq + Hash> SearchIndex<K> {
    /// How many documents are indexed.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Adds a document, or replaces it: `fields` are texts with their weights.
    pub fn upsert(&mut self, key: K, fields: &[(&str, f32)]) {
        self.remove(&key);
        let mut frequency: HashMap<String, f32> = HashMap::new();
        let mut length = 0.0;
        for (text, weight) in fields {
            for term in terms(text) {
                *frequency.entry(term).or_default() += weight;
                length += weight;
            }
        }
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.entries.push(None);
                (self.entries.len() - 1) as u32
            }
        };
        let mut entry_terms = Vec::with_capacity(frequency.len());
        for (term, frequency) in frequency {
            self.postings
                .entry(term.clone())
                .or_default()
                .push(Posting { slot, frequency });
            entry_terms.push(term);
        }
        self.total_length += f64::from(length);
        self.slots.insert(key.clone(), slot);
        self.entries[slot as usize] = Some(Entry {
            key,
            length,
            terms: entry_terms,
        });
    }

    /// Takes a document out of the index, if it is there.
    pub fn remove(&mut self, key: &K) {
        let Some(slot) = self.slots.remove(key) else {
            return;
        };
        let Some(entry) = self.entries[slot as usize].take() else {
            return;
        };
        for term in &entry.terms {
            if let Some(list) = self.postings.get_mut(term) {
                list.retain(|p| p.slot != slot);
                if list.is_empty() {
                    self.postings.remove(term);
                }
            }
        }
        self.total_length -= f64::from(entry.length);
        self.free.push(slot);
    }

    /// How telling a term is: rare terms weigh more (BM25's inverse document frequency). A term
    /// no document has weighs the most.
    pub fn idf(&self, term: &str) -> f32 {
        let n = self.len() as f32;
        let df = self.postings.get(term).map_or(0, Vec::len) as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// Whether any document has the term.
    pub fn knows(&self, term: &str) -> bool {
        self.postings.contains_key(term)
    }

    /// The best `limit` documents `wanted` lets through, best first.
    pub fn search(&self, query: &Query, limit: usize, wanted: impl Fn(&K) -> bool) -> Vec<Hit<K>> {
        if query.is_empty() || self.is_empty() || limit == 0 {
            return Vec::new();
        }
        let average = (self.total_length / self.len() as f64).max(1.0) as f32;
        let mut scores: HashMap<u32, (f32, u64)> = HashMap::new();
        for (i, term) in query.terms.iter().enumerate() {
            let Some(list) = self.postings.get(term) else {
                continue;
            };
            let idf = self.idf(term);
            for posting in list {
                let length = self.entries[posting.slot as usize]
                    .as_ref()
                    .map_or(average, |e| e.length);
                let tf = posting.frequency;
                let norm = K1 * (1.0 - B + B * length / average);
                let score = idf * tf * (K1 + 1.0) / (tf + norm);
                let slot = scores.entry(posting.slot).or_default();
                slot.0 += score;
                slot.1 |= 1 << i;
            }
        }
        let mut hits: Vec<Hit<K>> = scores
            .into_iter()
            .filter_map(|(slot, (score, matched))| {
                let entry = self.entries[slot as usize].as_ref()?;
                wanted(&entry.key).then(|| Hit {
                    key: entry.key.clone(),
                    score,
                    matched,
                })
            })
            .collect();
        let by_score = |a: &Hit<K>, b: &Hit<K>| b.score.total_cmp(&a.score);
        if hits.len() > limit {
            hits.select_nth_unstable_by(limit - 1, by_score);
            hits.truncate(limit);
        }
        hits.sort_by(by_score);
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> SearchIndex<u32> {
        let mut index = SearchIndex::default();
        index.upsert(
            1,
            &[
                ("Connect to the VPN", 3.0),
                ("Install the VPN client and sign in with your account.", 1.0),
            ],
        );
        index.upsert(
            2,
            &[
                ("Printer jams", 3.0),
                (
                    "Open the front cover and remove the paper. The printer restarts.",
                    1.0,
                ),
            ],
        );
        index.upsert(
            3,
            &[
                ("连接公司 VPN", 3.0),
                ("安装 VPN 客户端，用工号登录。", 1.0),
            ],
        );
        index.upsert(
            4,
            &[
                ("打印机卡纸", 3.0),
                ("打开前盖，取出卡住的纸张，打印机会自动重启。", 1.0),
            ],
        );
        index.upsert(
            5,
            &[
                ("Expense claims", 3.0),
                (
                    "Claims above 5000 need the finance director's approval.",
                    1.0,
                ),
            ],
        );
        index
    }

    fn first(index: &SearchIndex<u32>, text: &str) -> Option<u32> {
        index
            .search(&Query::new(text), 3, |_| true)
            .first()
            .map(|h| h.key)
    }

    #[test]
    fn the_right_document_ranks_first_in_either_language() {
        let index = index();
        assert_eq!(first(&index, "my printer is jammed"), Some(2));
        assert_eq!(first(&index, "打印机卡纸了怎么办"), Some(4));
        assert_eq!(first(&index, "vpn client install"), Some(1));
        assert_eq!(first(&index, "VPN 客户端"), Some(3));
        assert_eq!(first(&index, "expense claim approval"), Some(5));
        assert_eq!(first(&index, "holiday rota"), None);
        assert_eq!(first(&index, ""), None);
    }

    #[test]
    fn a_title_match_outranks_a_body_match() {
        let mut index = index();
        index.upsert(
            6,
            &[
                ("Office moves", 3.0),
                ("Ask facilities; the printer moves with you.", 1.0),
            ],
        );
        let hits = index.search(&Query::new("printer"), 10, |_| true);
        assert_eq!(hits[0].key, 2);
        assert_eq!(hits.len(), 2);
    }

    #[test]
    fn replacing_and_removing_keep_the_index_exact() {
        let mut index = index();
        index.upsert(2, &[("Scanner setup", 3.0), ("Scan to email.", 1.0)]);
        assert_eq!(first(&index, "printer"), None);
        assert_eq!(first(&index, "scanner"), Some(2));
        index.remove(&2);
        index.remove(&2);
        assert_eq!(first(&index, "scanner"), None);
        assert_eq!(index.len(), 4);
        index.upsert(7, &[("Scanner", 1.0)]);
        assert_eq!(first(&index, "scanner"), Some(7));
    }

    #[test]
    fn the_filter_and_limit_apply() {
        let index = index();
        let hits = index.search(&Query::new("vpn 打印机 printer"), 2, |k| *k != 1);
        assert_eq!(hits.len(), 2);
        assert!(hits.iter().all(|h| h.key != 1));
        assert!(hits[0].score >= hits[1].score);
    }

    #[test]
    fn a_huge_query_is_cut_to_its_beginning() {
        let query = Query::new(&"printer jams ".repeat(100_000));
        assert_eq!(query.terms, ["printer", "jam"]);
        let wall: String = (0..10_000).map(|i| format!("word{i} ")).collect();
        assert!(Query::new(&wall).terms.len() <= MAX_QUERY_TERMS);
    }
}
