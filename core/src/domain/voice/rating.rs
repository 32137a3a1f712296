//! Rating after resolution: the requester scores the service 1–5 with a comment, once per ticket.
//!
//! Who is asked, and when, follows the organisation's settings: a sample of resolved tickets, no
//! more than one request per person in a fatigue window, and at most one reminder. A score at or
//! below the follow-up threshold opens a follow-up ticket for the serving team.

use crate::domain::{DocumentId, Status, Timestamp};

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// What the requester said about the service they received.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Rating {
    pub score: u8,
    pub comment: String,
    pub by: String,
    pub at: Timestamp,
}

/// The feedback a ticket carries: when its requester was asked to rate it, reminded, and the rating.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Feedback {
    #[serde(default)]
    pub asked_at: Option<Timestamp>,
    #[serde(default)]
    pub reminded_at: Option<Timestamp>,
    #[serde(default)]
    pub rating: Option<Rating>,
}

/// How the organisation asks for ratings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RatingSettings {
    /// The share of resolved tickets whose requester is asked, in percent.
    pub sample_percent: u8,
    /// A person is asked at most once in this many days.
    pub fatigue_days: u32,
    /// Days after the request before the one reminder.
    pub reminder_days: u32,
    /// A score at or below this opens a follow-up.
    pub follow_up_at_or_below: u8,
}

impl Default for RatingSettings {
    fn default() -> Self {
        Self {
            sample_percent: 100,
            fatigue_days: 14,
            reminder_days: 3,
            follow_up_at_or_below: 2,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatingError {
    #[error("a rating is a whole number from 1 to 5, not {0}")]
    OutOfRange(i64),
    #[error("this ticket has already been rated")]
    AlreadyRated,
    #[error("only a resolved or closed ticket can be rated")]
    NotResolved,
    #[error("only the requester rates a ticket")]
    NotRequester,
    #[error("the comment is longer than {MAX_COMMENT_CHARS} characters")]
    CommentTooLong,
}

pub const MAX_COMMENT_CHARS: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("the sample is a percentage from 0 to 100")]
    Sample,
    #[error("the follow-up threshold is a score from 0 (never) to 4")]
    Threshold,
}

impl RatingSettings {
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.sample_percent > 100 {
            return Err(SettingsError::Sample);
        }
        if self.follow_up_at_or_below > 4 {
            return Err(SettingsError::Threshold);
        }
        Ok(())
    }

    /// Whether a score calls for a follow-up.
    pub fn needs_follow_up(&self, score: u8) -> bool {
        score <= self.follow_up_at_or_below
    }
}

/// Checks a rating before it is written: the score, the ticket's state, the rater.
pub fn check_rating(
    status: Status,
    feedback: &Feedback,
    is_requester: bool,
    score: i64,
    comment: &str,
) -> Result<u8, RatingError> {
    if !is_requester {
        return Err(RatingError::NotRequester);
    }
    if feedback.rating.is_some() {
        return Err(RatingError::AlreadyRated);
    }
    if !matches!(status, Status::Resolved | Status::Closed) {
        return Err(RatingError::NotResolved);
    }
    if comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(RatingError::CommentTooLong);
    }
    match u8::try_from(score) {
        Ok(s @ 1..=5) => Ok(s),
        _ => Err(RatingError::OutOfRange(score)),
    }
}

/// Whether a ticket falls in the sample: decided by its id, so every device agrees.
pub fn sampled(id: DocumentId, sample_percent: u8) -> bool {
    let bytes = id.as_bytes();
    let bucket = u16::from_le_bytes([bytes[0], bytes[1]]) % 100;
    bucket < u16::from(sample_percent)
}

/// One of a requester's tickets, as far as asking for a rating goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: DocumentId,
    pub status: Status,
    pub resolved_at: Option<Timestamp>,
    pub feedback: Feedback,
}

/// What to show the requester now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// Ask for the first time (record `asked_at`).
    Ask(DocumentId),
    /// The one reminder (record `reminded_at`).
    Remind(DocumentId),
    /// Still waiting within the reminder window: keep showing the open request.
    Pending(DocumentId),
}

impl Prompt {
    pub fn ticket(self) -> DocumentId {
        match self {
            Prompt::Ask(id) | Prompt::Remind(id) | Prompt::Pending(id) => id,
        }
    }
}

/// The rating request to show a requester among their tickets, if any.
///
/// A request already made and unanswered comes first (pending, or its one reminder when due);
/// otherwise the most recently resolved sampled ticket is asked about, unless the person was asked
/// within the fatigue window. Once reminded and still unanswered, a request lapses.
pub fn prompt(tickets: &[Candidate], settings: &RatingSettings, now: Timestamp) -> Option<Prompt> {
    let unrated = |c: &&Candidate| {
        c.feedback.rating.is_none() && matches!(c.status, Status::Resolved | Status::Closed)
    };
    let open_request = tickets
        .iter()
        .filter(unrated)
        .filter(|c| c.feedback.asked_at.is_some() && c.feedback.reminded_at.is_none())
        .max_by_key(|c| c.feedback.asked_at);
    if let Some(c) = open_request {
        let asked = c.feedback.asked_at.expect("filtered");
        let due = asked.0 + i64::from(settings.reminder_days) * DAY_MS;
        return Some(if now.0 >= due {
            Prompt::Remind(c.id)
        } else {
            Prompt::Pending(c.id)
        });
    }
    let last_asked = tickets.iter().filter_map(|c| c.feedback.asked_at).max();
    let rested =
        last_asked.is_none_or(|at| now.0 - at.0 >= i64::from(settings.fatigue_days) * DAY_MS);
    if !rested {
        return None;
    }
    tickets
        .iter()
        .filter(unrated)
        .filter(|c| c.feedback.asked_at.is_none() && sampled(c.id, settings.sample_percent))
        // Asking about something resolved long ago gets poor answers: a fatigue window at most.
        .filter(|c| {
            c.resolved_at
                .is_some_and(|at| now.0 - at.0 <= i64::from(settings.fatigue_days.max(1)) * DAY_MS)
        })
        .max_by_key(|c| c.resolved_at)
        .map(|c| Prompt::Ask(c.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp(100 * DAY_MS);

    fn id(n: u8) -> DocumentId {
        DocumentId::from_bytes([n; 16])
    }

    fn resolved(n: u8, days_ago: i64) -> Candidate {
        Candidate {
            id: id(n),
            status: Status::Resolved,
            resolved_at: Some(Timestamp(NOW.0 - days_ago * DAY_MS)),
            feedback: Feedback::default(),
        }
    }

    fn asked(mut c: Candidate, days_ago: i64) -> Candidate {
        c.feedback.asked_at = Some(Timestamp(NOW.0 - days_ago * DAY_MS));
        c
    }

    fn rated(mut c: Candidate) -> Candidate {
        c.feedback.rating = Some(Rating {
            score: 4,
            comment: String::new(),
            by: "王芳".into(),
            at: NOW,
        });
        c
    }

    #[test]
    fn scores_outside_one_to_five_and_second_ratings_are_refused() {
        let fresh = Feedback::default();
        let done = Status::Resolved;
        assert_eq!(
            check_rating(done, &fresh, true, 0, ""),
            Err(RatingError::OutOfRange(0))
        );
        assert_eq!(
            check_rating(done, &fresh, true, 6, ""),
            Err(RatingError::OutOfRange(6))
        );
        assert_eq!(check_rating(done, &fresh, true, 5, "好"), Ok(5));
        assert_eq!(
            check_rating(Status::InProgress, &fresh, true, 5, ""),
            Err(RatingError::NotResolved)
        );
        assert_eq!(
            check_rating(done, &fresh, false, 5, ""),
            Err(RatingError::NotRequester)
        );
        let once = rated(resolved(1, 0)).feedback;
        assert_eq!(
            check_rating(done, &once, true, 3, ""),
            Err(RatingError::AlreadyRated)
        );
        let long = "字".repeat(MAX_COMMENT_CHARS + 1);
        assert_eq!(
            check_rating(done, &fresh, true, 3, &long),
            Err(RatingError::CommentTooLong)
        );
    }

    #[test]
    fn the_sample_is_the_same_on_every_device_and_near_its_rate() {
        let hits = (0..=255u8)
            .flat_map(|a| {
                (0..40u8).map(move |b| {
                    DocumentId::from_bytes([a, b, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7])
                })
            })
            .filter(|id| sampled(*id, 30))
            .count();
        let share = hits as f64 / (256.0 * 40.0);
        assert!((0.27..0.33).contains(&share), "{share}");
        assert!((0..=255u8).all(|n| sampled(id(n), 100)));
        assert!(!(0..=255u8).any(|n| sampled(id(n), 0)));
    }

    #[test]
    fn the_latest_resolved_ticket_is_asked_about() {
        let settings = RatingSettings::default();
        let tickets = [resolved(1, 5), resolved(2, 1), resolved(3, 3)];
        assert_eq!(prompt(&tickets, &settings, NOW), Some(Prompt::Ask(id(2))));
    }

    #[test]
    fn nobody_is_asked_twice_within_the_fatigue_window() {
        let settings = RatingSettings::default(); // 14 days
        let tickets = [rated(asked(resolved(1, 10), 10)), resolved(2, 1)];
        assert_eq!(prompt(&tickets, &settings, NOW), None);
        let tickets = [rated(asked(resolved(1, 15), 15)), resolved(2, 1)];
        assert_eq!(prompt(&tickets, &settings, NOW), Some(Prompt::Ask(id(2))));
    }

    #[test]
    fn one_reminder_then_the_request_lapses() {
        let settings = RatingSettings::default(); // reminder after 3 days
        let waiting = [asked(resolved(1, 2), 2)];
        assert_eq!(
            prompt(&waiting, &settings, NOW),
            Some(Prompt::Pending(id(1)))
        );
        let due = [asked(resolved(1, 4), 4)];
        assert_eq!(prompt(&due, &settings, NOW), Some(Prompt::Remind(id(1))));
        let mut reminded = asked(resolved(1, 4), 4);
        reminded.feedback.reminded_at = Some(NOW);
        assert_eq!(prompt(&[reminded], &settings, NOW), None);
    }

    #[test]
    fn unresolved_rated_and_stale_tickets_are_not_asked_about() {
        let settings = RatingSettings::default();
        let mut open = resolved(1, 1);
        open.status = Status::InProgress;
        let tickets = [open, rated(resolved(2, 1)), resolved(3, 40)];
        assert_eq!(prompt(&tickets, &settings, NOW), None);
    }

    #[test]
    fn low_scores_call_for_a_follow_up() {
        let settings = RatingSettings::default();
        assert!(settings.needs_follow_up(1));
        assert!(settings.needs_follow_up(2));
        assert!(!settings.needs_follow_up(3));
        let never = RatingSettings {
            follow_up_at_or_below: 0,
            ..settings
        };
        assert!(!never.needs_follow_up(1));
        assert!(RatingSettings {
            sample_percent: 101,
            ..settings
        }
        .validate()
        .is_err());
    }
}
