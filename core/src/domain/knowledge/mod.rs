//! The knowledge base: articles, their markup, ranked search over articles and tickets, and the
//! assistant that answers from the articles on the device.

pub mod analysis;
pub mod article;
pub mod assistant;
pub mod deflection;
pub mod highlight;
pub mod index;
pub mod markup;

pub use article::{Article, ArticleDraft, ArticleError, Audience};
pub use deflection::SelfHelp;
pub use index::{Hit, Query, SearchIndex};

use crate::domain::DocumentId;

/// What search finds: an article or a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Found {
    Article(DocumentId),
    Ticket(DocumentId),
}
