//! A knowledge-base article: what a providing department writes down once so nobody has to ask
//! again. Title and body in Chinese and/or English; internal-only or visible to everyone.

use super::markup;
use crate::domain::catalog::Text;
use crate::domain::{DocumentId, Timestamp};

/// The longest title, in characters, in either language.
pub const MAX_TITLE_CHARS: usize = 200;
/// The largest body, in bytes, in either language (a long operations manual fits many times).
pub const MAX_BODY_BYTES: usize = 200 * 1024;

/// Who may read an article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Audience {
    /// The providing department's own staff (and admins): procedures, workarounds.
    Internal,
    /// Everyone in the organisation.
    #[default]
    Everyone,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Internal => "internal",
            Audience::Everyone => "everyone",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "internal" => Some(Audience::Internal),
            "everyone" => Some(Audience::Everyone),
            _ => None,
        }
    }
}

/// An article as read from its document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    pub id: DocumentId,
    /// The providing department that owns and keeps it.
    pub department: String,
    pub category: String,
    pub audience: Audience,
    /// The catalog service to request when the article does not solve it (empty: none).
    pub service: String,
    pub title: Text,
    pub body: Text,
    /// Other words people use for the same thing ("wifi, 无线网"), searched like the title.
    pub keywords: String,
    /// Taken out of the knowledge base (kept, so it never returns from another device).
    pub retired: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub updated_by: String,
}

/// What someone typed into the article editor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ArticleDraft {
    pub department: String,
    pub category: String,
    pub audience: Audience,
    pub service: String,
    pub title: Text,
    pub body: Text,
    pub keywords: String,
}

/// One reason a draft cannot be saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArticleError {
    #[error("an article needs a title in at least one language")]
    NoTitle,
    #[error("the title is longer than {MAX_TITLE_CHARS} characters")]
    TitleTooLong,
    #[error("the text is larger than {MAX_BODY_BYTES} bytes")]
    BodyTooLarge,
    #[error("an article belongs to a providing department")]
    NoDepartment,
}

impl ArticleDraft {
    /// The draft trimmed, or every problem at once.
    pub fn validate(&self) -> Result<ArticleDraft, Vec<ArticleError>> {
        let mut errors = Vec::new();
        let title = Text {
            zh: self.title.zh.trim().to_string(),
            en: self.title.en.trim().to_string(),
        };
        if title.zh.is_empty() && title.en.is_empty() {
            errors.push(ArticleError::NoTitle);
        }
        if [&title.zh, &title.en]
            .iter()
            .any(|t| t.chars().count() > MAX_TITLE_CHARS)
        {
            errors.push(ArticleError::TitleTooLong);
        }
        if self.body.zh.len() > MAX_BODY_BYTES || self.body.en.len() > MAX_BODY_BYTES {
            errors.push(ArticleError::BodyTooLarge);
        }
        if self.department.trim().is_empty() {
            errors.push(ArticleError::NoDepartment);
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ArticleDraft {
            department: self.department.trim().into(),
            category: self.category.trim().into(),
            title,
            keywords: self.keywords.trim().into(),
            service: self.service.trim().into(),
            ..self.clone()
        })
    }
}

impl Article {
    /// A new article from a valid draft.
    pub fn from_draft(id: DocumentId, draft: ArticleDraft, by: &str, now: Timestamp) -> Self {
        Self {
            id,
            department: draft.department,
            category: draft.category,
            audience: draft.audience,
            service: draft.service,
            title: draft.title,
            body: draft.body,
            keywords: draft.keywords,
            retired: false,
            created_at: now,
            updated_at: now,
            updated_by: by.into(),
        }
    }

    /// The draft that edits this article.
    pub fn draft(&self) -> ArticleDraft {
        ArticleDraft {
            department: self.department.clone(),
            category: self.category.clone(),
            audience: self.audience,
            service: self.service.clone(),
            title: self.title.clone(),
            body: self.body.clone(),
            keywords: self.keywords.clone(),
        }
    }

    /// The lines of text in both languages, without markup: what search and the assistant read.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        for body in [&self.body.zh, &self.body.en] {
            lines.extend(markup::plain(&markup::parse(body)));
        }
        lines
    }

    /// The weighted fields the search index holds for this article.
    pub fn search_fields(&self) -> Vec<(String, f32)> {
        vec![
            (format!("{} {}", self.title.zh, self.title.en), 3.0),
            (format!("{} {}", self.keywords, self.category), 2.0),
            (self.lines().join("\n"), 1.0),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_needs_a_title_a_department_and_a_sane_size() {
        let empty = ArticleDraft::default();
        assert_eq!(
            empty.validate().unwrap_err(),
            [ArticleError::NoTitle, ArticleError::NoDepartment]
        );
        let huge = ArticleDraft {
            department: "IT".into(),
            title: Text {
                zh: "长".repeat(201),
                en: String::new(),
            },
            body: Text {
                zh: String::new(),
                en: "x".repeat(MAX_BODY_BYTES + 1),
            },
            ..Default::default()
        };
        assert_eq!(
            huge.validate().unwrap_err(),
            [ArticleError::TitleTooLong, ArticleError::BodyTooLarge]
        );
        let fine = ArticleDraft {
            department: " IT ".into(),
            title: Text {
                zh: String::new(),
                en: "  VPN  ".into(),
            },
            ..Default::default()
        };
        let valid = fine.validate().unwrap();
        assert_eq!(
            (valid.department.as_str(), valid.title.en.as_str()),
            ("IT", "VPN")
        );
    }

    #[test]
    fn lines_come_from_both_languages_without_markup() {
        let draft = ArticleDraft {
            body: Text {
                zh: "# 连接 VPN\n安装**客户端**。".into(),
                en: "- Install the client".into(),
            },
            ..Default::default()
        };
        let article =
            Article::from_draft(DocumentId::from_bytes([1; 16]), draft, "李雷", Timestamp(0));
        assert_eq!(
            article.lines(),
            ["连接 VPN", "安装客户端。", "Install the client"]
        );
    }
}
