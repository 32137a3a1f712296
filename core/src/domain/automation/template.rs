//! Canned replies (macros) with variables: `{{requester}}`, `{{ticket}}`, `{{due}}`… written in
//! English or Chinese (`{{申请人}}`). A template naming a variable nobody fills is refused when
//! saved, so a reply never reaches a customer with a hole in it.

use crate::domain::{Status, Visibility};
use serde::{Deserialize, Serialize};

/// A canned reply, optionally moving the ticket on when used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Macro {
    pub id: String,
    pub name: String,
    pub body: String,
    pub visibility: Visibility,
    /// The status the ticket moves to when the reply is sent, if any.
    #[serde(default)]
    pub set_status: Option<Status>,
}

/// The variables a template may use: the name, its Chinese alias.
pub const VARIABLES: [(&str, &str); 7] = [
    ("requester", "申请人"),
    ("ticket", "工单号"),
    ("title", "标题"),
    ("due", "到期时间"),
    ("agent", "处理人"),
    ("service", "服务"),
    ("department", "部门"),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("a canned reply needs a name")]
    NameMissing,
    #[error("a canned reply needs some text")]
    BodyMissing,
    #[error("unknown variable {{{{{0}}}}}")]
    UnknownVariable(String),
    #[error("a variable is opened with {{{{ but never closed")]
    Unclosed,
}

/// What the variables stand for on one ticket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values {
    pub requester: String,
    pub ticket: String,
    pub title: String,
    pub due: String,
    pub agent: String,
    pub service: String,
    pub department: String,
}

impl Values {
    fn get(&self, name: &str) -> Option<&str> {
        let index = VARIABLES
            .iter()
            .position(|(en, zh)| *en == name || *zh == name)?;
        Some(match index {
            0 => &self.requester,
            1 => &self.ticket,
            2 => &self.title,
            3 => &self.due,
            4 => &self.agent,
            5 => &self.service,
            _ => &self.department,
        })
    }
}

impl Macro {
    /// The macro trimmed, or why it cannot be saved.
    pub fn checked(&self) -> Result<Macro, TemplateError> {
        let name = self.name.trim();
        let body = self.body.trim();
        if name.is_empty() {
            return Err(TemplateError::NameMissing);
        }
        if body.is_empty() {
            return Err(TemplateError::BodyMissing);
        }
        check_template(body)?;
        Ok(Macro {
            name: name.into(),
            body: body.into(),
            ..self.clone()
        })
    }
}

/// Checks that every `{{variable}}` is known and closed.
pub fn check_template(body: &str) -> Result<(), TemplateError> {
    let probe = Values {
        requester: "x".into(),
        ..Values::default()
    };
    walk(body, |name| probe.get(name).map(|_| "")).map(|_| ())
}

/// The template with its variables filled in (`{{ due }}` with spaces is the same variable).
pub fn render(body: &str, values: &Values) -> Result<String, TemplateError> {
    walk(body, |name| values.get(name))
}

fn walk<'v>(
    body: &str,
    mut lookup: impl FnMut(&str) -> Option<&'v str>,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let close = after.find("}}").ok_or(TemplateError::Unclosed)?;
        let name = after[..close].trim();
        let value = lookup(name).ok_or_else(|| TemplateError::UnknownVariable(name.to_string()))?;
        out.push_str(value);
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_filled_in_either_language() {
        let values = Values {
            requester: "王芳".into(),
            ticket: "T-8F2A".into(),
            due: "2026-11-30 17:00".into(),
            ..Values::default()
        };
        assert_eq!(
            render("Hi {{requester}}, {{ ticket }} is due {{due}}.", &values).unwrap(),
            "Hi 王芳, T-8F2A is due 2026-11-30 17:00."
        );
        assert_eq!(
            render("{{申请人}}您好，工单 {{工单号}} 已受理。", &values).unwrap(),
            "王芳您好，工单 T-8F2A 已受理。"
        );
    }

    #[test]
    fn unknown_and_unclosed_variables_are_refused_when_saved() {
        assert_eq!(
            check_template("Dear {{customer}}"),
            Err(TemplateError::UnknownVariable("customer".into()))
        );
        assert_eq!(
            check_template("Dear {{requester"),
            Err(TemplateError::Unclosed)
        );
        assert_eq!(check_template("No variables at all { }"), Ok(()));
        let canned = Macro {
            id: "m".into(),
            name: " ".into(),
            body: "x".into(),
            visibility: Visibility::Public,
            set_status: None,
        };
        assert_eq!(canned.checked(), Err(TemplateError::NameMissing));
    }
}
