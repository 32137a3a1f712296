//! The conversation on a ticket: who an `@mention` names, and what needs a person's attention
//! (replies they have not seen, mentions of them, approvals waiting on them).

use crate::domain::TicketSummary;

/// The people (by email) a comment mentions: `@` followed by someone's email or name, the
/// longest that fits (Chinese names run straight into the next word: `@王芳请看`).
pub fn mentions(body: &str, people: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in body.match_indices('@') {
        let rest = &body[at + 1..];
        let best = people
            .iter()
            .flat_map(|(email, name)| {
                [email, name]
                    .into_iter()
                    .filter(|text| !text.is_empty() && starts_with_folded(rest, text))
                    .map(move |text| (text.len(), email))
            })
            .max_by_key(|(len, _)| *len);
        if let Some((_, email)) = best {
            if !found.contains(email) {
                found.push(email.clone());
            }
        }
    }
    found
}

fn starts_with_folded(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// What on one ticket is waiting for one person.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attention {
    /// A reply or note from someone else since they last opened it.
    pub unread: bool,
    /// Mentioned (or notified by a rule) since they last opened it.
    pub mentioned: bool,
    /// Its approval waits on them.
    pub approval: bool,
}

impl Attention {
    pub fn any(self) -> bool {
        self.unread || self.mentioned || self.approval
    }

    /// For the person with this email and name.
    pub fn of(row: &TicketSummary, email: &str, name: &str) -> Self {
        let key = if email.is_empty() { name } else { email };
        let i = &row.involvement;
        let seen = i.seen.get(key).copied();
        let newer = |at| seen.is_none_or(|s| at > s);
        Attention {
            unread: i
                .activity
                .as_ref()
                .is_some_and(|(at, by)| by != name && newer(*at) && row.involves(key, name)),
            mentioned: i.mentioned.get(key).is_some_and(|at| newer(*at)),
            approval: !email.is_empty() && i.awaiting == email,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people() -> Vec<(String, String)> {
        [
            ("wang@x.cn", "王芳"),
            ("wangfang.li@x.cn", "王芳丽"),
            ("li@x.cn", "Li Lei"),
        ]
        .into_iter()
        .map(|(e, n)| (e.to_string(), n.to_string()))
        .collect()
    }

    #[test]
    fn mentions_by_name_or_email_longest_first() {
        assert_eq!(mentions("@王芳请看一下", &people()), ["wang@x.cn"]);
        assert_eq!(
            mentions("转给 @王芳丽 处理", &people()),
            ["wangfang.li@x.cn"]
        );
        assert_eq!(
            mentions("@li lei and @WANG@x.cn, also @li lei", &people()),
            ["li@x.cn", "wang@x.cn"]
        );
        assert!(mentions("email me at foo@bar and @nobody", &people()).is_empty());
    }
}
