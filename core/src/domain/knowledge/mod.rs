//! The knowledge base: articles, their markup, ranked search over articles and tickets, and the
//! assistant that answers from the articles on the device.

pub mod analysis;
pub mod article;
pub mod assistant;
pub mod highlight;
pub mod index;
pub mod markup;

pub use article::{Article, ArticleDraft, ArticleError, Audience};
pub use index::{Hit, Query, SearchIndex};
