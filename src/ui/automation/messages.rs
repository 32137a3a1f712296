//! Automation's refusals and summaries in the reader's language.

use super::super::i18n::*;
use super::super::labels::{priority_label, segment_label, status_label};
use crate::domain::automation::rules::LoopCause;
use crate::domain::automation::{
    Action, Automation, ChainError, Condition, Moment, Rule, RuleProblem, TemplateError, Test,
    Trigger,
};
use crate::domain::catalog::Text;

pub fn rule_problem(l: Locale, p: &RuleProblem) -> String {
    match p {
        RuleProblem::NameMissing => td_string!(l, automation.err_name).to_string(),
        RuleProblem::NoActions(rule) => {
            td_string!(l, automation.err_no_actions, rule = rule.clone()).to_string()
        }
        RuleProblem::NoDelay(rule) => {
            td_string!(l, automation.err_no_delay, rule = rule.clone()).to_string()
        }
        RuleProblem::UnknownPerson { rule, email } => td_string!(
            l,
            automation.err_person,
            rule = rule.clone(),
            email = email.clone()
        )
        .to_string(),
        RuleProblem::UnknownDepartment { rule, department } => td_string!(
            l,
            automation.err_department,
            rule = rule.clone(),
            department = department.clone()
        )
        .to_string(),
        RuleProblem::UnknownService { rule, service } => td_string!(
            l,
            automation.err_service,
            rule = rule.clone(),
            service = service.clone()
        )
        .to_string(),
        RuleProblem::UnknownChain { rule } => {
            td_string!(l, automation.err_chain, rule = rule.clone()).to_string()
        }
        RuleProblem::UnknownMacro { rule } => {
            td_string!(l, automation.err_macro, rule = rule.clone()).to_string()
        }
        RuleProblem::Loop { rules, why } => {
            let rules = rules.join(" → ");
            match why {
                LoopCause::Repeats(rule) => {
                    td_string!(l, automation.err_loop_repeats, rules, rule = rule.clone())
                        .to_string()
                }
                LoopCause::Conflict(a, b) => td_string!(
                    l,
                    automation.err_loop_conflict,
                    rules,
                    a = a.clone(),
                    b = b.clone()
                )
                .to_string(),
            }
        }
    }
}

pub fn chain_error(l: Locale, e: &ChainError) -> String {
    match e {
        ChainError::NameMissing => td_string!(l, automation.err_chain_name).to_string(),
        ChainError::NoSteps => td_string!(l, automation.err_chain_steps).to_string(),
        ChainError::UnknownPerson { step, email } => td_string!(
            l,
            automation.err_chain_person,
            step = *step,
            email = email.clone()
        )
        .to_string(),
        ChainError::FieldMissing { step } => {
            td_string!(l, automation.err_chain_field, step = *step).to_string()
        }
    }
}

pub fn template_error(l: Locale, e: &TemplateError) -> String {
    match e {
        TemplateError::NameMissing => td_string!(l, automation.err_macro_name).to_string(),
        TemplateError::BodyMissing => td_string!(l, automation.err_macro_body).to_string(),
        TemplateError::UnknownVariable(name) => {
            td_string!(l, automation.err_variable, name = format!("{{{{{name}}}}}")).to_string()
        }
        TemplateError::Unclosed => td_string!(l, automation.err_unclosed).to_string(),
    }
}

pub fn moment_label(l: Locale, m: Moment) -> String {
    match m {
        Moment::Created => td_string!(l, automation.moment_created),
        Moment::WaitingOnRequester => td_string!(l, automation.moment_waiting),
        Moment::Resolved => td_string!(l, automation.moment_resolved),
    }
    .to_string()
}

pub fn trigger_text(l: Locale, t: &Trigger) -> String {
    match t {
        Trigger::Created => td_string!(l, automation.when_created).to_string(),
        Trigger::Updated => td_string!(l, automation.when_updated).to_string(),
        Trigger::SlaWarning => td_string!(l, automation.when_sla).to_string(),
        Trigger::After { moment, minutes } => td_string!(
            l,
            automation.when_after_text,
            minutes = *minutes,
            moment = moment_label(l, *moment)
        )
        .to_string(),
    }
}

fn test_text(t: &Test) -> String {
    match t {
        Test::Equals(v) => format!("= {v}"),
        Test::Contains(v) => format!("∋ {v}"),
        Test::Below(n) => format!("< {n}"),
        Test::AtLeast(n) => format!("≥ {n}"),
    }
}

pub fn condition_text(l: Locale, c: &Condition, automation_names: &Names) -> String {
    match c {
        Condition::Service { id } => format!(
            "{} = {}",
            td_string!(l, automation.if_service),
            automation_names.service(l, id)
        ),
        Condition::Priority { is } => format!(
            "{} = {}",
            td_string!(l, automation.if_priority),
            priority_label(l, *is)
        ),
        Condition::Queue { department } => {
            format!("{} = {department}", td_string!(l, automation.if_queue))
        }
        Condition::CustomerDepartment { department } => {
            format!("{} = {department}", td_string!(l, automation.if_customer))
        }
        Condition::Segment { is } => format!(
            "{} = {}",
            td_string!(l, automation.if_segment),
            segment_label(l, *is)
        ),
        Condition::Status { is } => format!(
            "{} = {}",
            td_string!(l, automation.if_status),
            status_label(l, *is)
        ),
        Condition::Field { key, test } => {
            format!("{} {}", automation_names.field(l, key), test_text(test))
        }
    }
}

pub fn action_text(l: Locale, a: &Action, names: &Names) -> String {
    match a {
        Action::SetQueue(d) => {
            td_string!(l, automation.do_set_queue_text, to = d.clone()).to_string()
        }
        Action::AssignAgent(e) => {
            td_string!(l, automation.do_assign_agent_text, who = names.person(e)).to_string()
        }
        Action::AssignTeam => td_string!(l, automation.do_assign_team).to_string(),
        Action::SetPriority(p) => td_string!(
            l,
            automation.do_set_priority_text,
            to = priority_label(l, *p)
        )
        .to_string(),
        Action::SetStatus(s) => {
            td_string!(l, automation.do_set_status_text, to = status_label(l, *s)).to_string()
        }
        Action::SetField { key, value } => format!("{} := {value}", names.field(l, key)),
        Action::AddWatcher(e) => {
            td_string!(l, automation.do_add_watcher_text, who = names.person(e)).to_string()
        }
        Action::AutoApprove => td_string!(l, automation.do_auto_approve).to_string(),
        Action::RequestApproval(c) => td_string!(
            l,
            automation.do_request_approval_text,
            chain = names.chain(c)
        )
        .to_string(),
        Action::ReplyArticle { title, .. } => {
            td_string!(l, automation.do_reply_article_text, title = title.clone()).to_string()
        }
        Action::ReplyTemplate(m) => {
            td_string!(l, automation.do_reply_template_text, name = names.canned(m)).to_string()
        }
        Action::Notify(e) => {
            td_string!(l, automation.do_notify_text, who = names.person(e)).to_string()
        }
    }
}

/// A rule in one line: when, if, then.
pub fn rule_text(l: Locale, r: &Rule, names: &Names) -> String {
    let mut text = trigger_text(l, &r.trigger);
    if !r.conditions.is_empty() {
        let conditions: Vec<String> = r
            .conditions
            .iter()
            .map(|c| condition_text(l, c, names))
            .collect();
        text.push_str(&format!(
            " · {} {}",
            td_string!(l, automation.if_word),
            conditions.join(", ")
        ));
    }
    let actions: Vec<String> = r.actions.iter().map(|a| action_text(l, a, names)).collect();
    text.push_str(&format!(
        " · {} {}",
        td_string!(l, automation.then_word),
        actions.join(", ")
    ));
    text
}

/// Names for the ids rules hold.
#[derive(Clone, Default, PartialEq)]
pub struct Names {
    pub people: std::collections::BTreeMap<String, String>,
    pub services: std::collections::BTreeMap<String, Text>,
    /// Each service question's name, by its key.
    pub fields: std::collections::BTreeMap<String, Text>,
    pub automation: Automation,
}

impl Names {
    fn person(&self, email: &str) -> String {
        self.people
            .get(email)
            .cloned()
            .unwrap_or_else(|| email.to_string())
    }
    /// A service's name in the reader's language.
    pub fn service(&self, l: Locale, id: &str) -> String {
        self.services.get(id).map_or_else(
            || id.to_string(),
            |t| t.show(l == Locale::zh_CN).to_string(),
        )
    }
    /// A form question's name in the reader's language.
    pub fn field(&self, l: Locale, key: &str) -> String {
        self.fields.get(key).map_or_else(
            || key.to_string(),
            |t| t.show(l == Locale::zh_CN).to_string(),
        )
    }
    fn chain(&self, id: &str) -> String {
        self.automation
            .chains
            .get(id)
            .map_or_else(|| id.to_string(), |c| c.name.clone())
    }
    fn canned(&self, id: &str) -> String {
        self.automation
            .macros
            .get(id)
            .map_or_else(|| id.to_string(), |m| m.name.clone())
    }
}
