//! Shows an article body: the domain parses the markup into blocks, and each block becomes an
//! element here, so nothing an author types is ever interpreted as HTML.

use crate::domain::knowledge::markup::{parse, Block, Inline};
use leptos::prelude::*;

#[component]
pub fn Markup(body: String) -> impl IntoView {
    parse(&body).into_iter().map(block).collect_view()
}

fn block(b: Block) -> AnyView {
    match b {
        Block::Heading(1, text) => view! { <h2>{inlines(text)}</h2> }.into_any(),
        Block::Heading(2, text) => view! { <h3>{inlines(text)}</h3> }.into_any(),
        Block::Heading(_, text) => view! { <h4>{inlines(text)}</h4> }.into_any(),
        Block::Paragraph(text) => view! { <p>{inlines(text)}</p> }.into_any(),
        Block::List { ordered: true, items } => {
            view! { <ol>{items.into_iter().map(|i| view! { <li>{inlines(i)}</li> }).collect_view()}</ol> }
                .into_any()
        }
        Block::List { items, .. } => {
            view! { <ul>{items.into_iter().map(|i| view! { <li>{inlines(i)}</li> }).collect_view()}</ul> }
                .into_any()
        }
        Block::Code(code) => view! { <pre><code>{code}</code></pre> }.into_any(),
    }
}

fn inlines(items: Vec<Inline>) -> impl IntoView {
    items
        .into_iter()
        .map(|i| match i {
            Inline::Text(t) => t.into_any(),
            Inline::Strong(t) => view! { <strong>{t}</strong> }.into_any(),
            Inline::Code(t) => view! { <code>{t}</code> }.into_any(),
            Inline::Link { text, href } if href.starts_with("#/") => {
                view! { <a href=href>{text}</a> }.into_any()
            }
            Inline::Link { text, href } => {
                view! { <a href=href target="_blank" rel="noopener noreferrer">{text}</a> }
                    .into_any()
            }
        })
        .collect_view()
}
