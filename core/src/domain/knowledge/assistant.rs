//! The assistant: answers a question from the knowledge base on the device, or says it does not
//! know.
//!
//! It ranks the articles for the question (the same index search uses), then judges whether the
//! best one really answers it: the share of the question's meaningful terms (weighted by how
//! telling they are) that the article contains must reach [`CONFIDENT`]. A term no article has
//! counts against the answer ("yacht" in "book the company yacht") — except a Chinese bigram that
//! only bridges two known words ("重置" + "密码" make "置密"), which is an artefact of bigrams.
//! When it answers, it quotes the lines of the best articles that match the question best.

use super::analysis::{is_han, tokens};
use super::highlight::{matches_in, pieces, Piece};
use super::index::{Hit, Query, SearchIndex};
use std::hash::Hash;

/// The share of the question's weight the best article must cover to be given as the answer.
pub const CONFIDENT: f32 = 0.5;
/// How much a word no article has weighs against an answer, against the rarest known word: it may
/// be the point of the question ("yacht") or just the asker's phrasing ("today").
const UNKNOWN_WORD: f32 = 0.6;
/// How many articles and lines an answer quotes at most.
const QUOTED_ARTICLES: usize = 2;
const LINES_PER_ARTICLE: usize = 2;
/// A second article is quoted only when it scores close to the first.
const SECOND_WITHIN: f32 = 0.8;
/// Quotes are cut to about this many characters.
const QUOTE_CHARS: usize = 240;

/// A passage quoted from an article.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote<K> {
    pub article: K,
    pub pieces: Vec<Piece>,
}

/// What the assistant says.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply<K> {
    /// The best passages, best article first; `articles` are the articles quoted.
    Answer {
        quotes: Vec<Quote<K>>,
        articles: Vec<K>,
    },
    /// Nothing in the knowledge base answers it; `nearest` is the closest article, if any, to
    /// guide the request that is offered instead.
    Unknown { nearest: Option<K> },
    /// An empty question.
    Empty,
}

/// Answers `question` from the articles of `index` that `wanted` lets through; `lines` gives an
/// article's lines of text.
pub fn answer<K: Clone + Eq + Hash>(
    question: &str,
    index: &SearchIndex<K>,
    wanted: impl Fn(&K) -> bool,
    lines: impl Fn(&K) -> Vec<String>,
) -> Reply<K> {
    let query = Query::new(question);
    if query.is_empty() {
        return Reply::Empty;
    }
    let hits = index.search(&query, QUOTED_ARTICLES, wanted);
    let Some(best) = hits.first() else {
        return Reply::Unknown { nearest: None };
    };
    if confidence(&query, index, best) < CONFIDENT {
        return Reply::Unknown {
            nearest: Some(best.key.clone()),
        };
    }
    let quoted: Vec<&Hit<K>> = hits
        .iter()
        .filter(|h| {
            h.score >= best.score * SECOND_WITHIN && confidence(&query, index, h) >= CONFIDENT
        })
        .collect();
    let mut quotes = Vec::new();
    for hit in &quoted {
        quotes.extend(
            best_lines(&lines(&hit.key), &query)
                .into_iter()
                .map(|line| Quote {
                    article: hit.key.clone(),
                    pieces: pieces(
                        &super::highlight::excerpt(&line, &query, QUOTE_CHARS),
                        &query,
                    ),
                }),
        );
    }
    Reply::Answer {
        quotes,
        articles: quoted.into_iter().map(|h| h.key.clone()).collect(),
    }
}

/// How much of the question a hit covers (0–1). Words count by how telling they are (idf), and a
/// word no article has counts fully against. Chinese counts by characters: the share of the
/// question's characters inside a bigram the article shares — bigrams that straddle two words
/// ("置密" in 重置密码) exist in no article and would otherwise count against every answer.
pub fn confidence<K>(query: &Query, index: &SearchIndex<K>, hit: &Hit<K>) -> f32
where
    K: Clone + Eq + Hash,
{
    let matched = |i: usize| hit.matched & (1 << i) != 0;
    let (mut words, mut word_total, mut word_covered) = (0, 0.0, 0.0);
    let mut chars: Vec<(char, bool)> = Vec::new();
    for (i, term) in query.terms.iter().enumerate() {
        if term.chars().all(is_han) {
            let first = chars.len();
            let mut new: Vec<char> = term.chars().collect();
            // Overlapping bigrams share a character with the previous term.
            if chars.last().is_some_and(|(c, _)| *c == new[0]) && new.len() > 1 {
                new.remove(0);
                if matched(i) {
                    chars[first - 1].1 = true;
                }
            }
            chars.extend(new.into_iter().map(|c| (c, matched(i))));
        } else {
            let weight = if index.knows(term) {
                index.idf(term)
            } else {
                index.idf(term) * UNKNOWN_WORD
            };
            words += 1;
            word_total += weight;
            if matched(i) {
                word_covered += weight;
            }
        }
    }
    let han_total = chars.len() as f32;
    let han_covered = chars.iter().filter(|(_, m)| *m).count() as f32;
    // A Chinese character weighs like an average word.
    let char_weight = if words > 0 {
        word_total / words as f32
    } else {
        1.0
    };
    let total = word_total + han_total * char_weight;
    if total <= 0.0 {
        return 0.0;
    }
    (word_covered + han_covered * char_weight) / total
}

/// The lines that match the query best, in their order in the article.
fn best_lines(lines: &[String], query: &Query) -> Vec<String> {
    let mut scored: Vec<(usize, usize)> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| (matches_in(line, query), i))
        .filter(|(n, _)| *n > 0)
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut chosen: Vec<usize> = scored
        .iter()
        .take(LINES_PER_ARTICLE)
        .map(|(_, i)| *i)
        .collect();
    if chosen.is_empty() {
        // The article matched by its title or keywords: its opening lines say what it is about.
        chosen = (0..lines.len().min(LINES_PER_ARTICLE)).collect();
    }
    chosen.sort_unstable();
    // A heading alone says little: quote the line after it too.
    if let [only] = chosen[..] {
        if tokens(&lines[only]).len() <= 4 && only + 1 < lines.len() {
            chosen.push(only + 1);
        }
    }
    chosen.into_iter().map(|i| lines[i].clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kb() -> (SearchIndex<u32>, Vec<Vec<String>>) {
        let articles: Vec<(&str, Vec<&str>)> = vec![
            (
                "Reset your password",
                vec![
                    "Open the self-service portal and choose Forgot password.",
                    "A code is sent to your phone.",
                ],
            ),
            (
                "重置密码",
                vec![
                    "打开自助服务门户，点击“忘记密码”。",
                    "验证码会发送到您的手机。",
                ],
            ),
            (
                "Printer jams",
                vec!["Open the front cover and pull out the paper."],
            ),
        ];
        let mut index = SearchIndex::default();
        let mut lines = Vec::new();
        for (i, (title, body)) in articles.iter().enumerate() {
            index.upsert(i as u32, &[(title, 3.0), (&body.join("\n"), 1.0)]);
            lines.push(body.iter().map(|s| s.to_string()).collect());
        }
        (index, lines)
    }

    fn ask(question: &str) -> Reply<u32> {
        let (index, lines) = kb();
        answer(question, &index, |_| true, |k| lines[*k as usize].clone())
    }

    #[test]
    fn a_known_question_is_answered_with_quoted_lines() {
        let Reply::Answer { quotes, articles } = ask("I forgot my password, how do I reset it?")
        else {
            panic!("expected an answer");
        };
        assert_eq!(articles, [0]);
        assert!(quotes[0]
            .pieces
            .iter()
            .any(|p| p.hit && p.text == "password"));
        let Reply::Answer { articles, .. } = ask("怎么重置密码") else {
            panic!("expected an answer");
        };
        assert_eq!(articles, [1]);
    }

    #[test]
    fn an_unknown_question_is_admitted() {
        assert!(matches!(
            ask("Can I book the company yacht?"),
            Reply::Unknown { .. }
        ));
        assert!(matches!(ask("年假怎么申请"), Reply::Unknown { .. }));
        assert_eq!(ask("  ?? "), Reply::Empty);
    }
}
