//! The light markup articles are written in: a small, forgiving subset of Markdown.
//!
//! `# Heading` (to `###`), paragraphs separated by blank lines, `- item` and `1. item` lists,
//! fenced code (```` ``` ````), and inline `**bold**`, `` `code` `` and `[text](link)`. Anything
//! else — an unclosed `**`, a stray `[`, HTML tags — is shown as the text it is: the page builds
//! elements from these blocks and never interprets markup as HTML, so a broken article cannot
//! break the page or run anything.

/// One block of an article.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    Heading(u8, Vec<Inline>),
    Paragraph(Vec<Inline>),
    List {
        ordered: bool,
        items: Vec<Vec<Inline>>,
    },
    Code(String),
}

/// A run of text inside a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Strong(String),
    Code(String),
    /// A link to a web address (`http`, `https`, `mailto`) or a page of the desk (`#/…`).
    Link {
        text: String,
        href: String,
    },
}

/// Parses an article body. Never fails: what is not markup is text.
pub fn parse(body: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = body.lines().peekable();
    let mut paragraph: Vec<&str> = Vec::new();
    let flush = |paragraph: &mut Vec<&str>, blocks: &mut Vec<Block>| {
        if !paragraph.is_empty() {
            blocks.push(Block::Paragraph(inlines(&paragraph.join(" "))));
            paragraph.clear();
        }
    };
    while let Some(line) = lines.next() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            flush(&mut paragraph, &mut blocks);
            let mut code = Vec::new();
            for inner in lines.by_ref() {
                if inner.trim().starts_with("```") {
                    break;
                }
                code.push(inner);
            }
            blocks.push(Block::Code(code.join("\n")));
        } else if let Some((level, text)) = heading(trimmed) {
            flush(&mut paragraph, &mut blocks);
            blocks.push(Block::Heading(level, inlines(text)));
        } else if let Some((ordered, first)) = list_item(trimmed) {
            flush(&mut paragraph, &mut blocks);
            let mut items = vec![inlines(first)];
            while let Some((same, item)) = lines.peek().and_then(|l| list_item(l.trim())) {
                if same != ordered {
                    break;
                }
                items.push(inlines(item));
                lines.next();
            }
            blocks.push(Block::List { ordered, items });
        } else if trimmed.is_empty() {
            flush(&mut paragraph, &mut blocks);
        } else {
            paragraph.push(trimmed);
        }
    }
    flush(&mut paragraph, &mut blocks);
    blocks
}

/// The text of a body without markup, one block per line: what search indexes and quotes.
pub fn plain(blocks: &[Block]) -> Vec<String> {
    blocks
        .iter()
        .flat_map(|block| match block {
            Block::Heading(_, inline) | Block::Paragraph(inline) => vec![inline_text(inline)],
            Block::List { items, .. } => items.iter().map(|i| inline_text(i)).collect(),
            Block::Code(code) => vec![code.clone()],
        })
        .filter(|line| !line.trim().is_empty())
        .collect()
}

/// The text of inline runs, links shown by their text.
pub fn inline_text(inline: &[Inline]) -> String {
    inline
        .iter()
        .map(|i| match i {
            Inline::Text(t) | Inline::Strong(t) | Inline::Code(t) => t.as_str(),
            Inline::Link { text, .. } => text.as_str(),
        })
        .collect()
}

fn heading(line: &str) -> Option<(u8, &str)> {
    let level = line.chars().take_while(|c| *c == '#').count();
    let text = line[level..].strip_prefix(' ')?;
    (1..=3)
        .contains(&level)
        .then_some((level as u8, text.trim()))
}

fn list_item(line: &str) -> Option<(bool, &str)> {
    if let Some(item) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
        return Some((false, item.trim()));
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    let item = line[digits..].strip_prefix(". ")?;
    (digits > 0).then_some((true, item.trim()))
}

/// Inline markup of one block; an opening mark without its closing one is plain text.
fn inlines(text: &str) -> Vec<Inline> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let found = match c {
            '*' => {
                enclosed(rest, "**", "**").map(|(inner, len)| (Inline::Strong(inner.into()), len))
            }
            '`' => enclosed(rest, "`", "`").map(|(inner, len)| (Inline::Code(inner.into()), len)),
            '[' => link(rest),
            _ => None,
        };
        match found {
            Some((inline, len)) => {
                if !plain.is_empty() {
                    out.push(Inline::Text(std::mem::take(&mut plain)));
                }
                out.push(inline);
                rest = &rest[len..];
            }
            None => {
                plain.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if !plain.is_empty() {
        out.push(Inline::Text(plain));
    }
    out
}

/// How far a closing mark is looked for: inline marks are short, and a bound keeps a pasted
/// text full of unclosed marks linear.
const MARK_REACH: usize = 512;

/// `open…close` at the start of `text`: the inner text and the length consumed.
fn enclosed<'a>(text: &'a str, open: &str, close: &str) -> Option<(&'a str, usize)> {
    let inner_start = text.strip_prefix(open)?;
    let mut reach = MARK_REACH.min(inner_start.len());
    while !inner_start.is_char_boundary(reach) {
        reach -= 1;
    }
    let end = inner_start[..reach].find(close)?;
    let inner = &inner_start[..end];
    (!inner.trim().is_empty()).then_some((inner, open.len() + end + close.len()))
}

fn link(text: &str) -> Option<(Inline, usize)> {
    let (label, label_len) = enclosed(text, "[", "]")?;
    let (href, href_len) = enclosed(&text[label_len..], "(", ")")?;
    let href = href.trim();
    let safe = ["https://", "http://", "mailto:", "#/"]
        .iter()
        .any(|scheme| href.starts_with(scheme));
    (safe && !signs_in(href)).then(|| {
        let inline = Inline::Link {
            text: label.into(),
            href: href.into(),
        };
        (inline, label_len + href_len)
    })
}

/// A link that would sign whoever opens it in as someone else (the page's `#/signin/<token>`,
/// on this desk or any other): never a link in an article, whoever wrote it.
fn signs_in(href: &str) -> bool {
    href.split_once('#').is_some_and(|(_, route)| {
        route
            .trim_start_matches('/')
            .get(..6)
            .is_some_and(|start| start.eq_ignore_ascii_case("signin"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Inline {
        Inline::Text(s.into())
    }

    #[test]
    fn blocks_and_inline_marks_are_read() {
        let body = "# VPN\n\nInstall the **client** from [the portal](https://it.example.cn).\nThen sign in.\n\n1. Open it\n2. Connect\n\n- `vpn.example.cn`\n\n```\nping 10.0.0.1\n```";
        assert_eq!(
            parse(body),
            vec![
                Block::Heading(1, vec![text("VPN")]),
                Block::Paragraph(vec![
                    text("Install the "),
                    Inline::Strong("client".into()),
                    text(" from "),
                    Inline::Link {
                        text: "the portal".into(),
                        href: "https://it.example.cn".into()
                    },
                    text(". Then sign in."),
                ]),
                Block::List {
                    ordered: true,
                    items: vec![vec![text("Open it")], vec![text("Connect")]]
                },
                Block::List {
                    ordered: false,
                    items: vec![vec![Inline::Code("vpn.example.cn".into())]]
                },
                Block::Code("ping 10.0.0.1".into()),
            ]
        );
    }

    #[test]
    fn broken_markup_is_shown_as_text() {
        let body =
            "**unclosed and [half](link and <script>alert(1)</script> `tick\n\n```\nnever closed";
        let blocks = parse(body);
        assert_eq!(
            blocks[0],
            Block::Paragraph(vec![text(
                "**unclosed and [half](link and <script>alert(1)</script> `tick"
            )])
        );
        assert_eq!(blocks[1], Block::Code("never closed".into()));
        assert_eq!(
            parse("[click](javascript:alert(1))"),
            vec![Block::Paragraph(vec![text("[click](javascript:alert(1))")])],
            "only web, mail and desk links become links"
        );
        for sign_in in [
            "[VPN help](#/signin/idk_abc)",
            "[VPN help](https://desk.example.cn/#/signin/idk_abc)",
            "[VPN help](#//SignIn/idk_abc)",
        ] {
            assert_eq!(
                parse(sign_in),
                vec![Block::Paragraph(vec![text(sign_in)])],
                "a sign-in link stays text: {sign_in}"
            );
        }
        assert!(matches!(
            &parse("[sign in help](#/kb/signing-in)")[0],
            Block::Paragraph(inlines) if matches!(inlines[0], Inline::Link { .. })
        ));
        assert_eq!(
            parse("#nospace\n####   too deep"),
            vec![Block::Paragraph(vec![text("#nospace ####   too deep")])]
        );
    }

    #[test]
    fn plain_text_has_one_line_per_block_or_item() {
        let blocks = parse("# 重置密码\n打开 **自助门户**。\n\n- 第一步\n- 第二步");
        assert_eq!(
            plain(&blocks),
            ["重置密码", "打开 自助门户。", "第一步", "第二步"]
        );
    }

    #[test]
    fn a_huge_body_full_of_unclosed_marks_parses() {
        let body = format!("{}]", "[**`".repeat(100_000));
        let blocks = parse(&body);
        assert_eq!(blocks.len(), 1);
        assert!(plain(&blocks)[0].len() > 200_000);
    }
}
