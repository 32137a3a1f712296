//! The suggestion box: anyone suggests (optionally without showing their name to colleagues),
//! others vote, and the department it is for answers.

use crate::domain::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suggestion {
    pub id: String,
    pub text: String,
    /// The department it is for, which answers it.
    pub department: String,
    /// Empty when the suggester chose not to show their name.
    pub author: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Accepted,
    Declined,
    Done,
}

impl Verdict {
    pub const ALL: [Verdict; 3] = [Verdict::Accepted, Verdict::Declined, Verdict::Done];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Accepted => "accepted",
            Verdict::Declined => "declined",
            Verdict::Done => "done",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == text)
    }
}

/// The owning department's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reply {
    pub verdict: Verdict,
    pub text: String,
    pub by: String,
    pub at: Timestamp,
}

pub const MAX_SUGGESTION_CHARS: usize = 2000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SuggestionError {
    #[error("write the suggestion")]
    Empty,
    #[error("the suggestion is longer than {MAX_SUGGESTION_CHARS} characters")]
    TooLong,
    #[error("choose the department it is for")]
    NoDepartment,
    #[error("only {0} answers this suggestion")]
    NotTheirs(String),
    #[error("write the answer")]
    EmptyReply,
}

impl Suggestion {
    pub fn problems(&self) -> Vec<SuggestionError> {
        let mut problems = Vec::new();
        if self.text.trim().is_empty() {
            problems.push(SuggestionError::Empty);
        }
        if self.text.chars().count() > MAX_SUGGESTION_CHARS {
            problems.push(SuggestionError::TooLong);
        }
        if self.department.trim().is_empty() {
            problems.push(SuggestionError::NoDepartment);
        }
        problems
    }

    /// Checks an answer: staff of the owning department (or an admin) answer, with some text.
    pub fn check_reply(
        &self,
        text: &str,
        answerer_department: &str,
        admin: bool,
    ) -> Result<(), SuggestionError> {
        if !admin && answerer_department != self.department {
            return Err(SuggestionError::NotTheirs(self.department.clone()));
        }
        if text.trim().is_empty() {
            return Err(SuggestionError::EmptyReply);
        }
        Ok(())
    }
}

/// Suggestions with their votes, most voted first, then newest.
pub fn by_votes<'a>(
    suggestions: impl IntoIterator<Item = (&'a Suggestion, &'a BTreeSet<String>)>,
) -> Vec<(&'a Suggestion, usize)> {
    let mut ranked: Vec<(&Suggestion, usize)> = suggestions
        .into_iter()
        .map(|(s, votes)| (s, votes.len()))
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.at.cmp(&a.0.at)));
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suggestion(id: &str, at: i64) -> Suggestion {
        Suggestion {
            id: id.into(),
            text: "报销流程增加进度查询".into(),
            department: "财务部".into(),
            author: String::new(),
            at: Timestamp(at),
        }
    }

    #[test]
    fn the_most_voted_come_first_and_each_person_votes_once() {
        let a = suggestion("a", 1);
        let b = suggestion("b", 2);
        let c = suggestion("c", 3);
        let mut votes_a = BTreeSet::new();
        votes_a.insert("wang".to_string());
        votes_a.insert("wang".to_string());
        let votes_b: BTreeSet<String> = ["li", "zhao"].map(String::from).into();
        let none = BTreeSet::new();
        let ranked = by_votes([(&a, &votes_a), (&b, &votes_b), (&c, &none)]);
        let order: Vec<(&str, usize)> = ranked.iter().map(|(s, n)| (s.id.as_str(), *n)).collect();
        assert_eq!(order, vec![("b", 2), ("a", 1), ("c", 0)]);
    }

    #[test]
    fn only_the_owning_department_answers() {
        let s = suggestion("a", 1);
        assert_eq!(
            s.check_reply("好", "IT", false),
            Err(SuggestionError::NotTheirs("财务部".into()))
        );
        assert_eq!(
            s.check_reply(" ", "财务部", false),
            Err(SuggestionError::EmptyReply)
        );
        assert!(s.check_reply("已采纳", "财务部", false).is_ok());
        assert!(s.check_reply("已采纳", "IT", true).is_ok());
        let mut empty = suggestion("e", 1);
        empty.text = String::new();
        empty.department = String::new();
        assert_eq!(
            empty.problems(),
            vec![SuggestionError::Empty, SuggestionError::NoDepartment]
        );
    }
}
