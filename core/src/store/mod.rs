//! Domain types kept in Automerge documents, one module per document kind.
//!
//! Every document carries `kind` and `schema` at its root. A document written by a newer version of
//! Innerdesk than this one is refused with [`StoreError::NewerSchema`] instead of being misread; one of
//! an older schema is brought up to date by the same change on every device (see `migrate`).

pub mod article_doc;
pub mod automation_doc;
pub mod catalog_doc;
pub mod desk;
pub mod desk_doc;
pub mod directory_doc;
mod entries;
pub mod facts;
mod fields;
mod migrate;
pub mod organisation;
pub mod ticket_doc;
pub mod ticket_index;
pub mod ticket_parts;
pub mod voice_doc;

pub use desk_doc::DeskDoc;
pub use ticket_doc::{TicketChangeError, TicketDoc};
pub use ticket_index::{IndexRows, TicketIndex};

/// Why a document could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    #[error("the document is not a {expected} (it says {found:?})")]
    WrongKind {
        expected: &'static str,
        found: String,
    },
    #[error("field {0:?} is missing")]
    Missing(&'static str),
    #[error("field {0:?} has an unexpected value")]
    Invalid(&'static str),
    #[error(
        "the document was written by a newer version (schema {0}); update Innerdesk to open it"
    )]
    NewerSchema(i64),
}
