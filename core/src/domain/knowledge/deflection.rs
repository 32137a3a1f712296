//! Deflection: a request answered by an article before anyone had to work on it.
//!
//! While someone types a new request, matching articles are suggested. If one solves it, the
//! request is still recorded — resolved at once, "solved by" that article — so the providing
//! department sees what people needed and which article helped, and the record syncs, merges and
//! is access-controlled like any ticket. Requests filed after suggestions count too: together
//! they give the deflection rate.

use crate::domain::DocumentId;
use serde::{Deserialize, Serialize};

/// How self-service figured in one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelfHelp {
    /// The article that solved it: nobody had to act on the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solved_by: Option<DocumentId>,
    /// How many articles were suggested while it was typed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub suggested: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl SelfHelp {
    /// Solved by an article without anyone's work.
    pub fn deflected(&self) -> bool {
        self.solved_by.is_some()
    }

    /// Counts towards the deflection rate: articles were suggested, and either one solved it or
    /// the request was filed anyway.
    pub fn offered(&self) -> bool {
        self.deflected() || self.suggested > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_requests_shown_articles_count() {
        let solved = SelfHelp {
            solved_by: Some(DocumentId::from_bytes([1; 16])),
            suggested: 3,
        };
        let filed_anyway = SelfHelp {
            solved_by: None,
            suggested: 2,
        };
        assert!(solved.deflected() && solved.offered());
        assert!(!filed_anyway.deflected() && filed_anyway.offered());
        assert!(!SelfHelp::default().offered());
        let json = serde_json::to_string(&SelfHelp::default()).unwrap();
        assert_eq!(
            json, "{}",
            "rows without self-service stay as small as before"
        );
    }
}
