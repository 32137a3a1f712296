//! Turns text into search terms, for the index and for queries alike.
//!
//! Latin words are case-folded, stop words dropped and the rest stemmed (Snowball English), so
//! "printers" finds "printer". Chinese has no spaces: a run of Han characters becomes its
//! overlapping character bigrams ("打印机" → 打印, 印机), which find words without a dictionary; a
//! single character stands alone. Every term keeps the byte range it came from, so a match can be
//! highlighted in the original text.

use rust_stemmers::{Algorithm, Stemmer};
use std::ops::Range;

/// One search term and where in the text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub term: String,
    pub span: Range<usize>,
}

/// English words too common to say anything about a question.
const STOP_WORDS: &[&str] = &[
    "a", "about", "also", "am", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by",
    "can", "could", "did", "do", "does", "for", "from", "get", "got", "had", "has", "have", "how",
    "i", "if", "in", "is", "it", "its", "just", "me", "much", "my", "need", "now", "of", "on",
    "or", "our", "please", "s", "should", "so", "some", "still", "than", "that", "the", "their",
    "t", "them", "then", "there", "they", "this", "to", "too", "us", "very", "want", "was", "we",
    "were", "what", "when", "where", "which", "who", "why", "will", "with", "would", "you", "your",
];

/// Chinese function and question words: they break a run of Han characters instead of forming
/// bigrams with their neighbours ("怎么重置密码" → 重置密码).
const CHINESE_STOP_WORDS: &[&str] = &[
    "为什么",
    "怎么办",
    "怎么样",
    "怎样",
    "怎么",
    "如何",
    "什么",
    "哪里",
    "哪儿",
    "请问",
    "可以",
    "能否",
    "是否",
    "需要",
    "我们",
    "我的",
    "你们",
    "一下",
    "的",
    "了",
    "吗",
    "呢",
    "吧",
    "啊",
    "我",
    "你",
    "在",
    "是",
    "要",
    "想",
    "和",
    "与",
    "及",
    "或",
    "把",
    "被",
    "给",
    "让",
    "该",
];

/// Splits `text` into search terms.
pub fn tokens(text: &str) -> Vec<Token> {
    let stemmer = Stemmer::create(Algorithm::English);
    let mut out = Vec::new();
    let mut rest = text.char_indices().peekable();
    while let Some(&(start, c)) = rest.peek() {
        if is_han(c) {
            let mut end = start;
            while let Some(&(i, c)) = rest.peek().filter(|(_, c)| is_han(*c)) {
                end = i + c.len_utf8();
                rest.next();
            }
            han_run(text, start..end, &mut out);
        } else if is_word_char(c) {
            let mut end = start;
            while let Some(&(i, c)) = rest.peek().filter(|(_, c)| is_word_char(*c)) {
                end = i + c.len_utf8();
                rest.next();
            }
            if let Some(term) = word_term(&text[start..end], &stemmer) {
                out.push(Token {
                    term,
                    span: start..end,
                });
            }
        } else {
            rest.next();
        }
    }
    out
}

/// The terms alone, for a query.
pub fn terms(text: &str) -> Vec<String> {
    tokens(text).into_iter().map(|t| t.term).collect()
}

fn word_term(word: &str, stemmer: &Stemmer) -> Option<String> {
    let folded = super::super::search::fold(word);
    if STOP_WORDS.contains(&folded.as_str()) {
        return None;
    }
    // Numbers and codes ("vpn", "802.1x", "ab12") stay as typed; words are stemmed.
    if folded.chars().any(|c| c.is_ascii_digit()) || folded.chars().count() > 40 {
        return Some(folded);
    }
    Some(stemmer.stem(&folded).into_owned())
}

/// Bigrams of one run of Han characters, broken at stop words.
fn han_run(text: &str, run: Range<usize>, out: &mut Vec<Token>) {
    let mut pieces: Vec<Range<usize>> = Vec::new();
    let mut piece_start = run.start;
    let mut at = run.start;
    while at < run.end {
        let here = &text[at..run.end];
        match CHINESE_STOP_WORDS.iter().find(|w| here.starts_with(**w)) {
            Some(word) => {
                pieces.push(piece_start..at);
                at += word.len();
                piece_start = at;
            }
            None => at += here.chars().next().map_or(1, char::len_utf8),
        }
    }
    pieces.push(piece_start..run.end);
    for piece in pieces.into_iter().filter(|p| !p.is_empty()) {
        let chars: Vec<(usize, char)> = text[piece.clone()]
            .char_indices()
            .map(|(i, c)| (piece.start + i, c))
            .collect();
        if chars.len() == 1 {
            out.push(Token {
                term: chars[0].1.to_string(),
                span: piece,
            });
            continue;
        }
        for pair in chars.windows(2) {
            let (start, first) = pair[0];
            let (at, second) = pair[1];
            out.push(Token {
                term: [first, second].iter().collect(),
                span: start..at + second.len_utf8(),
            });
        }
    }
}

/// Han ideographs (with the extensions people type), which are searched by bigrams.
pub fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FA1F}')
}

/// Letters and digits of words (full-width forms included, as Chinese input methods type them).
fn is_word_char(c: char) -> bool {
    (c.is_alphanumeric() && !is_han(c))
        || matches!(c, '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Vec<String> {
        terms(text)
    }

    #[test]
    fn english_words_are_folded_stemmed_and_stop_words_dropped() {
        assert_eq!(t("How do I reset my Passwords?"), ["reset", "password"]);
        assert_eq!(
            t("printing printers printed"),
            ["print", "printer", "print"]
        );
        assert_eq!(t("VPN on 802 and ｖｐｎ"), ["vpn", "802", "vpn"]);
    }

    #[test]
    fn chinese_runs_become_bigrams_broken_at_function_words() {
        assert_eq!(t("打印机"), ["打印", "印机"]);
        assert_eq!(t("怎么重置密码"), ["重置", "置密", "密码"]);
        assert_eq!(t("我的电脑"), ["电脑"]);
        assert_eq!(t("网"), ["网"]);
        assert_eq!(t("VPN连接失败"), ["vpn", "连接", "接失", "失败"]);
    }

    #[test]
    fn every_term_keeps_where_it_came_from() {
        let text = "Reset 密码 later";
        for token in tokens(text) {
            let original = &text[token.span.clone()];
            assert!(!original.is_empty());
        }
        let spans: Vec<&str> = tokens(text).iter().map(|t| &text[t.span.clone()]).collect();
        assert_eq!(spans, ["Reset", "密码", "later"]);
    }

    #[test]
    fn empty_and_punctuation_only_text_has_no_terms() {
        assert!(t("").is_empty());
        assert!(t("  ?!。，…  ").is_empty());
        assert!(t("the and of").is_empty());
    }
}
