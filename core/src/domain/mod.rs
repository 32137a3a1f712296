//! Pure domain rules of the service desk: tickets, their workflow, validation and search.
//!
//! Nothing here touches a browser, a clock or a random source: time and ids are arguments, so every rule
//! is deterministic and tested natively with `cargo test`.

pub mod automation;
pub mod catalog;
pub mod classification;
pub mod directory;
pub mod document_id;
pub mod knowledge;
pub mod measure;
pub mod people_csv;
pub mod people_search;
pub mod profile;
pub mod search;
pub mod sla;
pub mod summary;
pub mod ticket;
pub mod time;
pub mod voice;

pub use document_id::{BadDocumentId, DocumentId};
pub use profile::{Account, Profile, ProfileError};
pub use search::{SearchText, TicketFilter};
pub use summary::TicketSummary;
pub use ticket::{
    check_transition, validate_comment, Comment, CommentError, DraftError, EventKind, Priority,
    Reclassification, ReclassifyError, Status, Ticket, TicketDraft, TicketEvent, TransitionError,
    Visibility, MAX_COMMENT_BYTES, MAX_DESCRIPTION_BYTES, MAX_TITLE_CHARS,
};
pub use time::Timestamp;
