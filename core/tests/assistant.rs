//! The assistant's answer hit rate on a written set of questions, in English and Chinese, against
//! a small knowledge base of an IT, HR, finance and administration desk
//! (`tests/fixtures/knowledge_base.json`).
//!
//! A hit is an answer whose first article is the one the question is about; a question the
//! knowledge base cannot answer must be admitted as unknown. Run with `--nocapture` to see every
//! miss and the rates.

use innerdesk_core::domain::catalog::Text;
use innerdesk_core::domain::knowledge::assistant::{answer, Reply};
use innerdesk_core::domain::knowledge::{Article, ArticleDraft, SearchIndex};
use innerdesk_core::domain::{DocumentId, Timestamp};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    articles: Vec<FixtureArticle>,
    questions: Vec<Question>,
}

#[derive(Deserialize)]
struct FixtureArticle {
    key: String,
    department: String,
    category: String,
    service: String,
    keywords: String,
    title: Bilingual,
    body: Bilingual,
}

#[derive(Deserialize)]
struct Bilingual {
    en: String,
    zh: String,
}

#[derive(Deserialize)]
struct Question {
    q: String,
    article: Option<String>,
}

fn knowledge_base() -> (Vec<String>, Vec<Article>, Vec<Question>) {
    let fixture: Fixture =
        serde_json::from_str(include_str!("fixtures/knowledge_base.json")).unwrap();
    let mut keys = Vec::new();
    let mut articles = Vec::new();
    for (i, a) in fixture.articles.into_iter().enumerate() {
        let draft = ArticleDraft {
            department: a.department,
            category: a.category,
            service: a.service,
            keywords: a.keywords,
            title: Text {
                zh: a.title.zh,
                en: a.title.en,
            },
            body: Text {
                zh: a.body.zh,
                en: a.body.en,
            },
            ..Default::default()
        };
        let id = DocumentId::from_bytes([i as u8 + 1; 16]);
        articles.push(Article::from_draft(
            id,
            draft.validate().unwrap(),
            "李雷",
            Timestamp(0),
        ));
        keys.push(a.key);
    }
    (keys, articles, fixture.questions)
}

#[test]
fn the_assistant_answers_known_questions_and_admits_unknown_ones() {
    let (keys, articles, questions) = knowledge_base();
    let mut index = SearchIndex::default();
    for (i, article) in articles.iter().enumerate() {
        let fields = article.search_fields();
        let borrowed: Vec<(&str, f32)> = fields.iter().map(|(t, w)| (t.as_str(), *w)).collect();
        index.upsert(i, &borrowed);
    }
    let (mut asked, mut hits, mut unknown_asked, mut admitted) = (0, 0, 0, 0);
    for question in &questions {
        let reply = answer(&question.q, &index, |_| true, |i| articles[*i].lines());
        let given = match &reply {
            Reply::Answer { articles, quotes } => {
                assert!(
                    !quotes.is_empty(),
                    "an answer quotes something: {}",
                    question.q
                );
                Some(keys[articles[0]].as_str())
            }
            _ => None,
        };
        match &question.article {
            Some(expected) => {
                asked += 1;
                if given == Some(expected.as_str()) {
                    hits += 1;
                } else {
                    println!("miss: {:?} → {given:?}, expected {expected}", question.q);
                }
            }
            None => {
                unknown_asked += 1;
                if given.is_none() {
                    admitted += 1;
                } else {
                    println!("answered what it should not: {:?} → {given:?}", question.q);
                }
            }
        }
    }
    let hit_rate = hits as f64 / asked as f64;
    println!(
        "hit rate {hits}/{asked} = {:.1} %; unknown admitted {admitted}/{unknown_asked}",
        hit_rate * 100.0
    );
    assert!(asked >= 50, "at least 50 answerable questions");
    assert!(hit_rate >= 0.9, "hit rate {hit_rate}");
    assert!(
        admitted * 10 >= unknown_asked * 9,
        "admitted {admitted}/{unknown_asked}"
    );
}
