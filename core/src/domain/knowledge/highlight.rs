//! Marks where a query's terms occur in a text, and picks the passage worth showing.

use super::analysis::tokens;
use super::index::Query;

/// A piece of text, marked when it matched the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    pub hit: bool,
}

/// `text` cut into pieces, the matches of `query` marked (overlapping bigrams merge into one).
pub fn pieces(text: &str, query: &Query) -> Vec<Piece> {
    let mut spans: Vec<std::ops::Range<usize>> = Vec::new();
    for token in tokens(text) {
        if !query.terms.contains(&token.term) {
            continue;
        }
        match spans.last_mut() {
            Some(last) if token.span.start <= last.end => last.end = last.end.max(token.span.end),
            _ => spans.push(token.span),
        }
    }
    let mut out = Vec::new();
    let mut at = 0;
    for span in spans {
        if span.start > at {
            out.push(Piece {
                text: text[at..span.start].into(),
                hit: false,
            });
        }
        out.push(Piece {
            text: text[span.clone()].into(),
            hit: true,
        });
        at = span.end;
    }
    if at < text.len() {
        out.push(Piece {
            text: text[at..].into(),
            hit: false,
        });
    }
    out
}

/// How many distinct query terms a line contains.
pub fn matches_in(line: &str, query: &Query) -> usize {
    let mut found: Vec<&str> = Vec::new();
    for token in tokens(line) {
        if let Some(term) = query.terms.iter().find(|t| **t == token.term) {
            if !found.contains(&term.as_str()) {
                found.push(term);
            }
        }
    }
    found.len()
}

/// The line that matches the query best (the first on a tie), cut to about `max_chars`
/// characters around its first match, with the matches marked. Empty when nothing matches.
pub fn snippet(lines: &[String], query: &Query, max_chars: usize) -> Vec<Piece> {
    let mut best: Option<(usize, &String)> = None;
    for line in lines {
        let n = matches_in(line, query);
        if n > best.map_or(0, |b| b.0) {
            best = Some((n, line));
        }
    }
    let Some((_, line)) = best else {
        return Vec::new();
    };
    pieces(&excerpt(line, query, max_chars), query)
}

/// At most `max_chars` characters of `line`, starting a little before its first match, with an
/// ellipsis where it was cut.
pub fn excerpt(line: &str, query: &Query, max_chars: usize) -> String {
    let total = line.chars().count();
    if total <= max_chars {
        return line.to_string();
    }
    let first = tokens(line)
        .into_iter()
        .find(|t| query.terms.contains(&t.term))
        .map_or(0, |t| line[..t.span.start].chars().count());
    let start = first.saturating_sub(max_chars / 4).min(total - max_chars);
    let cut: String = line.chars().skip(start).take(max_chars).collect();
    let before = if start > 0 { "…" } else { "" };
    let after = if start + max_chars < total { "…" } else { "" };
    format!("{before}{cut}{after}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(pieces: &[Piece]) -> String {
        pieces
            .iter()
            .map(|p| {
                if p.hit {
                    format!("[{}]", p.text)
                } else {
                    p.text.clone()
                }
            })
            .collect()
    }

    #[test]
    fn matches_are_marked_in_the_original_text() {
        let q = Query::new("printers 卡纸");
        assert_eq!(
            marked(&pieces("The Printer jams: 打印机卡纸了", &q)),
            "The [Printer] jams: 打印机[卡纸]了"
        );
        assert_eq!(
            marked(&pieces("打印机", &Query::new("打印机"))),
            "[打印机]",
            "overlapping bigrams merge"
        );
        assert_eq!(marked(&pieces("nothing here", &q)), "nothing here");
    }

    #[test]
    fn the_snippet_is_the_best_line_cut_around_its_match() {
        let lines = vec![
            "Printers are on every floor.".to_string(),
            "If the printer jams, open the front cover.".to_string(),
        ];
        let q = Query::new("printer jam");
        assert_eq!(
            marked(&snippet(&lines, &q, 200)),
            "If the [printer] [jams], open the front cover."
        );
        let long = format!("{} VPN {}", "x ".repeat(300), "y ".repeat(300));
        let cut = excerpt(&long, &Query::new("vpn"), 40);
        assert!(cut.starts_with('…') && cut.ends_with('…') && cut.contains("VPN"));
        assert_eq!(cut.chars().count(), 42);
        assert!(snippet(&lines, &Query::new("holiday"), 100).is_empty());
    }
}
