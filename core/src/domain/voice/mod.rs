//! The voice of the internal customer: ratings after resolution, periodic surveys and their
//! confidential results, the satisfaction report, needs, improvement plans, recognition and the
//! suggestion box.

pub mod rating;
pub mod recognition;
pub mod report;
pub mod results;
pub mod suggestions;
pub mod survey;
pub mod workbench;
