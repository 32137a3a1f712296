//! Translated names of domain values, and the locale's tag for `Intl` and `<html lang>`.

use super::i18n::*;
use crate::access::Role;
use crate::domain::classification::{Relation, Segment};
use crate::domain::{Priority, Status};

pub fn status_label(l: Locale, s: Status) -> &'static str {
    match s {
        Status::New => td_string!(l, status.new),
        Status::InProgress => td_string!(l, status.in_progress),
        Status::WaitingOnRequester => td_string!(l, status.waiting_on_requester),
        Status::Resolved => td_string!(l, status.resolved),
        Status::Closed => td_string!(l, status.closed),
    }
}

/// The button that moves a ticket from `from` to `to`: reopening reads differently from starting work.
pub fn move_label(l: Locale, from: Status, to: Status) -> &'static str {
    match to {
        Status::InProgress if !from.is_open() => td_string!(l, move_to.reopen),
        Status::InProgress => td_string!(l, move_to.in_progress),
        Status::WaitingOnRequester => td_string!(l, move_to.waiting_on_requester),
        Status::Resolved => td_string!(l, move_to.resolved),
        Status::Closed => td_string!(l, move_to.closed),
        Status::New => td_string!(l, status.new),
    }
}

pub fn priority_label(l: Locale, p: Priority) -> &'static str {
    match p {
        Priority::Urgent => td_string!(l, priority.urgent),
        Priority::High => td_string!(l, priority.high),
        Priority::Normal => td_string!(l, priority.normal),
        Priority::Low => td_string!(l, priority.low),
    }
}

pub fn role_label(l: Locale, r: Role) -> &'static str {
    match r {
        Role::Requester => td_string!(l, role.requester),
        Role::Agent => td_string!(l, role.agent),
        Role::Lead => td_string!(l, role.lead),
        Role::Admin => td_string!(l, role.admin),
    }
}

pub fn segment_label(l: Locale, s: Segment) -> &'static str {
    match s {
        Segment::Key => td_string!(l, segment.key),
        Segment::Frequent => td_string!(l, segment.frequent),
        Segment::Occasional => td_string!(l, segment.occasional),
    }
}

pub fn relation_label(l: Locale, r: Relation) -> &'static str {
    match r {
        Relation::CrossDepartment => td_string!(l, relation.cross_department),
        Relation::SupportRecipient => td_string!(l, relation.support_recipient),
        Relation::CrossLevel => td_string!(l, relation.cross_level),
    }
}

/// The BCP 47 tag of a locale.
pub fn locale_tag(l: Locale) -> &'static str {
    match l {
        Locale::en => "en",
        Locale::zh_CN => "zh-CN",
    }
}
