//! Filtering and text search over ticket summaries.
//!
//! Matching is by substring on case-folded text, which finds English words and Chinese words alike
//! (Chinese has no spaces, so a word is any run of characters the user types). Every whitespace-separated
//! term must match. The folded text is computed once per row, so a keystroke only scans memory.

use super::{Priority, Status, TicketSummary};

/// The folded, searchable text of one summary: title, people, department, category and short code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText(String);

impl SearchText {
    pub fn of(summary: &TicketSummary) -> Self {
        let joined = [
            summary.title.as_str(),
            summary.requester.as_str(),
            summary.department.as_str(),
            summary.category.as_str(),
            &summary.id.short_code(),
        ]
        .join("\u{1f}");
        Self(fold(&joined))
    }

    fn contains_all(&self, terms: &[String]) -> bool {
        terms.iter().all(|t| self.0.contains(t.as_str()))
    }
}

/// Case-folds text and maps full-width ASCII (common in Chinese input methods) to its plain form.
pub fn fold(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// What a list is narrowed to. Empty fields match everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TicketFilter {
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    pub department: Option<String>,
    pub text: String,
}

impl TicketFilter {
    /// The indexes of the rows that match, in the order given.
    pub fn apply(&self, rows: &[(TicketSummary, SearchText)]) -> Vec<usize> {
        let terms: Vec<String> = fold(&self.text)
            .split_whitespace()
            .map(str::to_string)
            .collect();
        rows.iter()
            .enumerate()
            .filter(|(_, (summary, text))| {
                self.matches_fields(summary) && text.contains_all(&terms)
            })
            .map(|(i, _)| i)
            .collect()
    }

    fn matches_fields(&self, s: &TicketSummary) -> bool {
        self.status.is_none_or(|st| st == s.status)
            && self.priority.is_none_or(|p| p == s.priority)
            && self.department.as_deref().is_none_or(|d| d == s.department)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{DocumentId, Timestamp};

    fn row(
        n: u8,
        title: &str,
        status: Status,
        priority: Priority,
        dept: &str,
    ) -> (TicketSummary, SearchText) {
        let s = TicketSummary {
            self_help: Default::default(),
            involvement: Default::default(),
            id: DocumentId::from_bytes([n; 16]),
            title: title.into(),
            status,
            priority,
            department: dept.into(),
            requester: "王芳 Wang Fang".into(),
            category: "".into(),
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
            comment_count: 0,
            resolved_by: String::new(),
            feedback: Default::default(),
            requester_email: String::new(),
            customer_department: String::new(),
            service: String::new(),
            sla: Vec::new(),
        };
        let text = SearchText::of(&s);
        (s, text)
    }

    fn rows() -> Vec<(TicketSummary, SearchText)> {
        vec![
            row(1, "VPN 无法连接", Status::New, Priority::High, "IT"),
            row(
                2,
                "报销单审批",
                Status::InProgress,
                Priority::Normal,
                "财务部",
            ),
            row(
                3,
                "Laptop screen broken",
                Status::Resolved,
                Priority::Urgent,
                "IT",
            ),
        ]
    }

    #[test]
    fn finds_chinese_and_english_words() {
        let f = |text: &str| {
            TicketFilter {
                text: text.into(),
                ..Default::default()
            }
            .apply(&rows())
        };
        assert_eq!(f("无法"), vec![0]);
        assert_eq!(f("报销"), vec![1]);
        assert_eq!(f("LAPTOP"), vec![2]);
        assert_eq!(
            f("ｖｐｎ"),
            vec![0],
            "full-width letters from a Chinese IME match"
        );
        assert_eq!(
            f("screen laptop"),
            vec![2],
            "every term must match, in any order"
        );
        assert_eq!(f("王芳"), vec![0, 1, 2]);
        assert_eq!(f("nothing-like-this"), Vec::<usize>::new());
        assert_eq!(f("   "), vec![0, 1, 2]);
    }

    #[test]
    fn finds_by_short_code() {
        let r = rows();
        let code = r[1].0.id.short_code().to_lowercase();
        assert_eq!(
            TicketFilter {
                text: code,
                ..Default::default()
            }
            .apply(&r),
            vec![1]
        );
    }

    #[test]
    fn combines_field_filters_with_text() {
        let r = rows();
        let it = TicketFilter {
            department: Some("IT".into()),
            ..Default::default()
        };
        assert_eq!(it.apply(&r), vec![0, 2]);
        let urgent_it = TicketFilter {
            priority: Some(Priority::Urgent),
            ..it.clone()
        };
        assert_eq!(urgent_it.apply(&r), vec![2]);
        let new_only = TicketFilter {
            status: Some(Status::New),
            text: "vpn".into(),
            ..it
        };
        assert_eq!(new_only.apply(&r), vec![0]);
    }
}
