//! The desk's side of automation: running the organisation's rules on the tickets this device
//! holds, approvals, assignment, canned replies, mentions and read markers.
//!
//! Rules run after every change (local or from the relay) on the tickets it touched, and every
//! minute on every open ticket held (for delays and SLA warnings). Each firing is recorded in the
//! ticket under its firing key before anything else looks at the ticket again, so it never repeats
//! here, and a firing another device also made merges into one record.

use super::Desk;
use crate::access::Role;
use crate::domain::automation::{
    due_firings, pick, render, Action, Approval, ApprovalState, Automation, Candidate, Chain,
    Context, Decision, Effect, Firing, FiringRecord, Known, Mode, Skip, TemplateError, Trigger,
    Values,
};
use crate::domain::catalog::{Calendars, Catalog};
use crate::domain::classification::{classify, requests_from, Segment};
use crate::domain::directory::{DepartmentId, Directory};
use crate::domain::sla::{events_of, ClockKind, StepKind};
use crate::domain::{check_transition, DocumentId, Status, Ticket, Timestamp};
use crate::store::automation_doc;
use crate::store::organisation::OrgKind;
use crate::store::{StoreError, TicketChangeError};
use std::collections::{BTreeMap, BTreeSet};

/// Firings one ticket may take in one run: rule sets are checked for loops when saved, so this
/// only guards against a rule set saved by an older version.
const MAX_FIRINGS_PER_RUN: usize = 32;

/// Who is using this desk, as far as automation is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Me {
    /// Empty on a desk not signed in to an organisation.
    pub email: String,
    pub name: String,
    pub admin: bool,
    /// Works a queue (or is not signed in: everything on the desk is theirs).
    pub staff: bool,
    /// Their department (whose queue they work, if staff).
    pub department: String,
}

impl Me {
    /// Whether they work tickets served by `department` (admins and a desk of one's own: all).
    pub fn serves(&self, department: &str) -> bool {
        self.admin
            || (self.staff && crate::access::serves(Role::Agent, &self.department, department))
    }

    /// The key their read markers and mentions are kept under.
    pub fn key(&self) -> &str {
        if self.email.is_empty() {
            &self.name
        } else {
            &self.email
        }
    }
}

/// Why an approval decision was refused.
#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error("this ticket is not waiting for approval")]
    NotWaiting,
    #[error("this step is someone else's to decide")]
    NotYours,
    #[error("say why it is rejected")]
    ReasonMissing,
    #[error(transparent)]
    Change(#[from] TicketChangeError),
}

impl From<StoreError> for DecideError {
    fn from(e: StoreError) -> Self {
        Self::Change(e.into())
    }
}

/// What rules may need besides the ticket, gathered once per run and only when a rule needs it.
struct Surroundings {
    directory: Directory,
    catalog: Catalog,
    calendars: Option<Calendars>,
    segments: Option<BTreeMap<DepartmentId, Segment>>,
    away: BTreeSet<String>,
}

impl Desk {
    pub fn me(&self) -> Me {
        let profile = self.profile().unwrap_or_default();
        let role = profile.account.as_ref().map(|a| a.role);
        Me {
            email: profile.account.map(|a| a.email).unwrap_or_default(),
            name: profile.name,
            admin: role.is_none_or(|r| r == Role::Admin),
            staff: role.is_none_or(|r| r == Role::Admin || r.works_queues()),
            department: profile.department,
        }
    }

    /// The organisation's rules, approval chains, canned replies and team settings.
    pub fn automation(&self) -> (Automation, usize) {
        self.docs
            .chosen(OrgKind::Automation)
            .and_then(|doc| automation_doc::read_automation(doc).ok())
            .unwrap_or_default()
    }

    pub fn save_automation(
        &mut self,
        wanted: &Automation,
        new_id: impl FnOnce() -> DocumentId,
    ) -> Result<(), StoreError> {
        self.edit_organisation(OrgKind::Automation, new_id, |doc| {
            automation_doc::save_automation(doc, wanted)
        })
    }

    /// What saved rules and chains may name: the directory's people and departments, the services.
    pub fn known(&self) -> Known {
        let (directory, _) = self.directory();
        let (catalog, _) = self.catalog();
        Known {
            people: directory.people.keys().cloned().collect(),
            departments: directory
                .departments
                .keys()
                .map(|d| d.0.clone())
                .chain(self.departments())
                .collect(),
            services: catalog.services.keys().cloned().collect(),
        }
    }

    /// The people (by email) marked away.
    pub fn away(&self) -> BTreeSet<String> {
        self.docs
            .chosen(OrgKind::Workbench)
            .map(automation_doc::away)
            .unwrap_or_default()
    }

    pub fn set_away(
        &mut self,
        email: &str,
        away: bool,
        new_id: impl FnOnce() -> DocumentId,
    ) -> Result<(), StoreError> {
        self.edit_organisation(OrgKind::Workbench, new_id, |doc| {
            automation_doc::set_away(doc, email, away)
        })
    }

    /// The people who work a department's queue, by email, with their names.
    pub fn team(&self, department: &str) -> Vec<(String, String)> {
        self.directory()
            .0
            .people
            .values()
            .filter(|p| p.department.0 == department && p.role.works_queues())
            .map(|p| (p.email.clone(), p.name.clone()))
            .collect()
    }

    /// Gives a ticket to someone of its team (by email; empty: to nobody).
    pub fn assign(
        &mut self,
        id: DocumentId,
        to: &str,
        now: Timestamp,
    ) -> Result<(), TicketChangeError> {
        let by = self.actor();
        self.open_ticket(id)?.assign(to, &by, now)?;
        self.changed_here(id)?;
        Ok(())
    }

    /// Approves or rejects the step waiting on this person. A rejection needs a reason and
    /// resolves the request.
    pub fn decide(
        &mut self,
        id: DocumentId,
        approve: bool,
        comment: &str,
        now: Timestamp,
    ) -> Result<(), DecideError> {
        let me = self.me();
        let ticket = self.open_ticket(id)?.read()?;
        let approval = ticket.approval.as_ref().ok_or(DecideError::NotWaiting)?;
        let ApprovalState::Pending(step) = approval.state() else {
            return Err(DecideError::NotWaiting);
        };
        if !approval.may_decide(&me.email, me.admin) {
            return Err(DecideError::NotYours);
        }
        let comment = comment.trim();
        if !approve && comment.is_empty() {
            return Err(DecideError::ReasonMissing);
        }
        let decision = Decision {
            approve,
            by: me.name.clone(),
            at: now,
            comment: comment.into(),
            automatic: false,
        };
        let named = approval.steps[step].email.clone();
        let doc = self.open_ticket(id)?;
        doc.decide(
            step,
            &decision,
            (!named.is_empty()).then_some(me.email.as_str()),
        )?;
        self.changed_here(id)?;
        // Where the approver serves the ticket too, the rejection resolves it at once; elsewhere
        // the team's devices do on receiving it (see `follow_approval`).
        self.follow_approval(id, now)?;
        Ok(())
    }

    /// The team's side of approvals, on the tickets this desk works: plans the approval a
    /// request for a service that needs one waits on, and resolves a rejected request. True if
    /// it changed the ticket.
    pub(super) fn follow_approval(
        &mut self,
        id: DocumentId,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let Some(Ok(ticket)) = self.ticket(id) else {
            return Ok(false);
        };
        if !self.role_on(&ticket).works() {
            return Ok(false);
        }
        if ticket.approval.is_none() {
            return self.start_approval(id, now);
        }
        let rejected = ticket
            .approval
            .as_ref()
            .is_some_and(|a| a.state() == ApprovalState::Rejected);
        if !rejected || check_transition(ticket.status, Status::Resolved).is_err() {
            return Ok(false);
        }
        let by = self.me().name;
        self.open_ticket(id)?
            .change_status(Status::Resolved, &by, now)
            .map_err(|e| match e {
                TicketChangeError::Store(e) => e,
                _ => StoreError::Invalid("status"),
            })?;
        self.changed_here(id)?;
        Ok(true)
    }

    /// Notes that this person has read the ticket, when something is new to them; true when it
    /// was (and so the ticket changed).
    pub fn mark_seen(&mut self, id: DocumentId, now: Timestamp) -> Result<bool, StoreError> {
        let me = self.me();
        let Some(Ok(ticket)) = self.ticket(id) else {
            return Ok(false);
        };
        let seen = ticket.seen.get(me.key()).copied();
        if seen.is_some_and(|s| s >= ticket.updated_at()) || me.key().is_empty() {
            return Ok(false);
        }
        let side = self.side(id);
        self.open_ticket(id)?.mark_seen(me.key(), &side, now)?;
        self.changed_here(id)?;
        Ok(true)
    }

    /// People a comment could mention: everyone in the directory, by email and name.
    pub fn mentionable(&self) -> Vec<(String, String)> {
        self.directory()
            .0
            .people
            .values()
            .map(|p| (p.email.clone(), p.name.clone()))
            .collect()
    }

    /// A canned reply filled in for a ticket.
    pub fn canned_reply(
        &self,
        id: DocumentId,
        canned: &str,
        chinese: bool,
        now: Timestamp,
    ) -> Option<Result<String, TemplateError>> {
        let ticket = self.ticket(id)?.ok()?;
        let (automation, _) = self.automation();
        let body = &automation.macros.get(canned)?.body;
        let (catalog, _) = self.catalog();
        let (directory, _) = self.directory();
        let values = values_for(&ticket, &catalog, &directory, &self.me().name, chinese, now);
        Some(render(body, &values))
    }

    /// Plans the approval a new request for a service that needs one waits on; true if it did.
    fn start_approval(&mut self, id: DocumentId, now: Timestamp) -> Result<bool, StoreError> {
        let Some(Ok(ticket)) = self.ticket(id) else {
            return Ok(false);
        };
        let (catalog, _) = self.catalog();
        let Some(service) = catalog
            .services
            .get(&ticket.service)
            .filter(|s| s.needs_approval)
        else {
            return Ok(false);
        };
        let chain = self
            .automation()
            .0
            .chains
            .get(&service.approval_chain)
            .cloned()
            .unwrap_or_else(Chain::manager_only);
        let (directory, _) = self.directory();
        let answers = named_answers(&ticket, &catalog);
        let plan = chain.plan(&answers, &ticket.requester_email, &directory, now);
        self.open_ticket(id)?.request_approval(&plan)?;
        self.changed_here(id)?;
        Ok(true)
    }

    /// Runs the rules on the tickets changed since the last run (or on every ticket held that is
    /// not closed, for delays and SLA warnings). Returns how many firings were recorded.
    pub fn run_automation(&mut self, now: Timestamp, every_open: bool) -> usize {
        let ids: Vec<DocumentId> = if every_open {
            self.automate.clear();
            self.docs
                .tickets
                .iter()
                .filter(|(_, doc)| doc.status().is_ok_and(|s| s != Status::Closed))
                .map(|(id, _)| *id)
                .collect()
        } else {
            std::mem::take(&mut self.automate).into_iter().collect()
        };
        // Rules and approvals act for the serving team: they run only where the team's part may
        // be written (the relay ignores anyone else's changes to it).
        let ids: Vec<DocumentId> = ids
            .into_iter()
            .filter(|id| self.role(*id).works())
            .collect();
        for id in &ids {
            let _ = self.follow_approval(*id, now);
        }
        if ids.is_empty() {
            return 0;
        }
        let (automation, _) = self.automation();
        let timed = |r: &&crate::domain::automation::Rule| {
            matches!(r.trigger, Trigger::SlaWarning | Trigger::After { .. })
        };
        let live = automation.rules.values().filter(|r| r.enabled);
        if (every_open && !live.clone().any(|r| timed(&r))) || live.count() == 0 {
            return 0;
        }
        let rules = automation.ordered_rules();
        let around = self.surroundings(&automation, now);
        let me = self.me();
        let mut fired = 0;
        for id in ids {
            for _ in 0..MAX_FIRINGS_PER_RUN {
                let Some(Ok(ticket)) = self.ticket(id) else {
                    break;
                };
                let Some(firing) = self.next_firing(&rules, &ticket, &around, me.staff, now) else {
                    break;
                };
                if self
                    .carry_out(&firing, &ticket, &automation, &around, now)
                    .is_err()
                {
                    break;
                }
                fired += 1;
            }
        }
        fired
    }

    fn next_firing(
        &self,
        rules: &[&crate::domain::automation::Rule],
        ticket: &Ticket,
        around: &Surroundings,
        staff: bool,
        now: Timestamp,
    ) -> Option<Firing> {
        let segment = around.segments.as_ref().and_then(|s| {
            let current = around
                .directory
                .department_at(&DepartmentId(ticket.customer_department.clone()), now);
            s.get(&current).copied()
        });
        let warnings = around
            .calendars
            .as_ref()
            .map(|c| warnings(ticket, &around.catalog, c, segment, now))
            .unwrap_or_default();
        let fired: BTreeSet<String> = ticket.fired.keys().cloned().collect();
        let named = Ticket {
            answers: named_answers(ticket, &around.catalog),
            ..ticket.clone()
        };
        let context = Context {
            segment,
            warnings: &warnings,
            fired: &fired,
            staff,
            now,
        };
        due_firings(rules, &named, &context).into_iter().next()
    }

    /// Works out what a firing does to the ticket and records it.
    fn carry_out(
        &mut self,
        firing: &Firing,
        ticket: &Ticket,
        automation: &Automation,
        around: &Surroundings,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut effects = Vec::new();
        let mut approval = ticket.approval.clone();
        let mut state = ticket.clone();
        for action in &firing.actions {
            let effect = self.effect_of(action, &state, &mut approval, automation, around, now);
            if let Some(effect) = effect {
                apply_to(&mut state, &effect);
                effects.push(effect);
            }
        }
        for decision in approval.iter_mut().flat_map(|a| a.decisions.values_mut()) {
            if decision.automatic && decision.by.is_empty() {
                decision.by = firing.name.clone();
                decision.at = firing.at;
            }
        }
        let record = FiringRecord {
            rule: firing.name.clone(),
            at: firing.at,
            by: self.actor(),
            effects,
        };
        let doc = self.open_ticket(ticket.id)?;
        if approval != ticket.approval {
            if let Some(approval) = &approval {
                if ticket.approval.is_none() {
                    doc.request_approval(approval)?;
                }
                for (step, decision) in &approval.decisions {
                    if ticket
                        .approval
                        .as_ref()
                        .is_none_or(|a| !a.decisions.contains_key(step))
                    {
                        doc.decide(*step, decision, None)?;
                    }
                }
            }
        }
        doc.record_firing(&firing.key, &record)?;
        self.changed_here(ticket.id)
    }

    /// One action's change to the ticket as it stands, or `None` when it is already so.
    fn effect_of(
        &self,
        action: &Action,
        ticket: &Ticket,
        approval: &mut Option<Approval>,
        automation: &Automation,
        around: &Surroundings,
        now: Timestamp,
    ) -> Option<Effect> {
        let skipped = |reason: Skip| Some(Effect::Skipped { reason });
        match action {
            Action::SetQueue(to) => (ticket.department != *to).then(|| Effect::Queue {
                from: ticket.department.clone(),
                to: to.clone(),
            }),
            Action::AssignAgent(to) => (ticket.assignee != *to).then(|| Effect::Assigned {
                from: ticket.assignee.clone(),
                to: to.clone(),
            }),
            Action::AssignTeam => {
                let mode = automation
                    .teams
                    .get(&ticket.department)
                    .map_or(Mode::Manual, |t| t.mode);
                let candidates = self.candidates(&ticket.department, &around.away);
                match pick(mode, &candidates) {
                    Some(c) if c.email == ticket.assignee => None,
                    Some(c) => Some(Effect::Assigned {
                        from: ticket.assignee.clone(),
                        to: c.email.clone(),
                    }),
                    None => skipped(Skip::NobodyAvailable),
                }
            }
            Action::SetPriority(to) => (ticket.priority != *to).then_some(Effect::Priority {
                from: ticket.priority,
                to: *to,
            }),
            Action::SetStatus(to) if ticket.status == *to => None,
            Action::SetStatus(to) => match check_transition(ticket.status, *to) {
                Ok(()) => Some(Effect::Status {
                    from: ticket.status,
                    to: *to,
                }),
                Err(_) => skipped(Skip::NotAllowed),
            },
            Action::SetField { key, value } => (ticket.answers.get(key) != Some(value)
                && !ticket.service.is_empty())
            .then(|| Effect::Field {
                key: key.clone(),
                value: value.clone(),
            }),
            Action::AddWatcher(email) => {
                (!ticket.watchers.contains(email)).then(|| Effect::Watcher {
                    email: email.clone(),
                })
            }
            Action::AutoApprove => {
                let pending = approval
                    .as_mut()
                    .filter(|a| matches!(a.state(), ApprovalState::Pending(_)))?;
                for step in 0..pending.steps.len() {
                    pending.decisions.entry(step).or_insert_with(|| Decision {
                        approve: true,
                        by: String::new(),
                        at: now,
                        comment: String::new(),
                        automatic: true,
                    });
                }
                Some(Effect::Approved)
            }
            Action::RequestApproval(chain) => {
                if approval.is_some() {
                    return None;
                }
                let Some(chain) = automation.chains.get(chain) else {
                    return skipped(Skip::Missing);
                };
                let plan = chain.plan(
                    &named_answers(ticket, &around.catalog),
                    &ticket.requester_email,
                    &around.directory,
                    now,
                );
                let name = plan.chain.clone();
                *approval = Some(plan);
                Some(Effect::ApprovalRequested { chain: name })
            }
            Action::ReplyArticle { id, title } => Some(Effect::Reply {
                body: format!("{title}\n#/kb/{id}"),
                visibility: crate::domain::Visibility::Public,
            }),
            Action::ReplyTemplate(canned) => {
                let Some(canned) = automation.macros.get(canned) else {
                    return skipped(Skip::Missing);
                };
                let values = values_for(ticket, &around.catalog, &around.directory, "", true, now);
                match render(&canned.body, &values) {
                    Ok(body) => Some(Effect::Reply {
                        body,
                        visibility: canned.visibility,
                    }),
                    Err(_) => skipped(Skip::Missing),
                }
            }
            Action::Notify(email) => Some(Effect::Notify {
                email: email.clone(),
            }),
        }
    }

    /// The team's people with their open work and when each was last given a ticket.
    fn candidates(&self, department: &str, away: &BTreeSet<String>) -> Vec<Candidate> {
        let mut load: BTreeMap<&str, (usize, Option<Timestamp>)> = BTreeMap::new();
        for (row, _) in self.rows.iter() {
            let work = &row.involvement;
            if work.assignee.is_empty() {
                continue;
            }
            let entry = load.entry(work.assignee.as_str()).or_default();
            entry.0 += usize::from(row.status.is_open());
            entry.1 = entry.1.max(work.assigned_at);
        }
        self.team(department)
            .into_iter()
            .map(|(email, _)| {
                let (open, last_assigned) = load.get(email.as_str()).copied().unwrap_or_default();
                Candidate {
                    away: away.contains(&email),
                    email,
                    open,
                    last_assigned,
                }
            })
            .collect()
    }

    fn surroundings(&self, automation: &Automation, now: Timestamp) -> Surroundings {
        let rules: Vec<_> = automation.rules.values().filter(|r| r.enabled).collect();
        let wants_sla = rules.iter().any(|r| {
            r.trigger == Trigger::SlaWarning
                || r.actions
                    .iter()
                    .any(|a| matches!(a, Action::ReplyTemplate(_)))
        });
        let wants_segments = rules.iter().any(|r| {
            r.conditions
                .iter()
                .any(|c| matches!(c, crate::domain::automation::Condition::Segment { .. }))
        });
        let (directory, _) = self.directory();
        let (catalog, _) = self.catalog();
        let segments = wants_segments.then(|| {
            const WINDOW_MS: i64 = 90 * 24 * 3_600_000;
            let settings = self.customer_settings();
            let requests = requests_from(self.rows.iter().map(|(s, _)| s), &directory, now);
            classify(
                &requests,
                Timestamp(now.0 - WINDOW_MS),
                now,
                &settings.weights,
                &settings.overrides,
            )
            .into_iter()
            .map(|p| (p.customer.clone(), p.segment()))
            .collect()
        });
        Surroundings {
            calendars: wants_sla.then(|| catalog.work_calendars()),
            segments,
            away: self.away(),
            directory,
            catalog,
        }
    }
}

impl Chain {
    /// The chain a service that needs approval uses when it names none: the requester's manager.
    pub fn manager_only() -> Chain {
        Chain {
            id: String::new(),
            name: String::new(),
            steps: vec![crate::domain::automation::approval::Step {
                approver: crate::domain::automation::Approver::Manager,
                at_least: None,
            }],
            pause_sla: true,
        }
    }
}

/// A ticket's answers also under their questions' names in both languages, so a rule or a chain
/// may name a question as an admin knows it ("Amount", "金额") as well as by its key.
fn named_answers(ticket: &Ticket, catalog: &Catalog) -> BTreeMap<String, String> {
    let mut answers = ticket.answers.clone();
    let Some(service) = catalog.services.get(&ticket.service) else {
        return answers;
    };
    for field in &service.fields {
        if let Some(value) = ticket.answers.get(&field.key) {
            for name in [&field.label.en, &field.label.zh] {
                if !name.trim().is_empty() {
                    answers
                        .entry(name.trim().to_string())
                        .or_insert_with(|| value.clone());
                }
            }
        }
    }
    answers
}

/// Keeps a working copy of the ticket in step with the effects so far, so the next action of the
/// same firing sees them.
fn apply_to(ticket: &mut Ticket, effect: &Effect) {
    match effect {
        Effect::Priority { to, .. } => ticket.priority = *to,
        Effect::Queue { to, .. } => ticket.department = to.clone(),
        Effect::Status { to, .. } => ticket.status = *to,
        Effect::Assigned { to, .. } => ticket.assignee = to.clone(),
        Effect::Field { key, value } => {
            ticket.answers.insert(key.clone(), value.clone());
        }
        Effect::Watcher { email } => ticket.watchers.push(email.clone()),
        _ => {}
    }
}

/// The SLA warnings a ticket's clocks have reached, each with a stable name.
fn warnings(
    ticket: &Ticket,
    catalog: &Catalog,
    calendars: &Calendars,
    segment: Option<Segment>,
    now: Timestamp,
) -> Vec<(Timestamp, String)> {
    let events = events_of(ticket);
    catalog
        .clocks(calendars, &ticket.service, &events, segment, now)
        .into_iter()
        .flat_map(|clock| {
            let name = clock_name(&clock.kind);
            clock.steps.into_iter().filter_map(move |step| {
                let what = match step.what {
                    StepKind::Warned(p) => format!("{p}%"),
                    StepKind::DueSoon(m) => format!("due-{m}"),
                    _ => return None,
                };
                Some((step.at, format!("{name}:{what}")))
            })
        })
        .collect()
}

fn clock_name(kind: &ClockKind) -> String {
    match kind {
        ClockKind::FirstResponse => "first".into(),
        ClockKind::NextResponse(n) => format!("next{n}"),
        ClockKind::Resolution => "resolution".into(),
        ClockKind::Handoff(team) => format!("handoff-{team}"),
    }
}

/// What a canned reply's variables stand for on a ticket.
fn values_for(
    ticket: &Ticket,
    catalog: &Catalog,
    directory: &Directory,
    me: &str,
    chinese: bool,
    now: Timestamp,
) -> Values {
    let calendars = catalog.work_calendars();
    let due = catalog
        .policy_for(&ticket.service)
        .and_then(|policy| calendars.0.get(&policy.calendar))
        .and_then(|calendar| {
            let clocks = catalog.clocks(&calendars, &ticket.service, &events_of(ticket), None, now);
            let due = clocks
                .iter()
                .find(|c| c.kind == ClockKind::Resolution)
                .and_then(|c| c.due)?;
            Some(calendar.local_time(due))
        })
        .unwrap_or_default();
    let agent = directory
        .people
        .get(&ticket.assignee)
        .map(|p| p.name.clone())
        .unwrap_or_else(|| me.to_string());
    Values {
        requester: ticket.requester.clone(),
        ticket: ticket.id.short_code(),
        title: ticket.title.clone(),
        due,
        agent,
        service: catalog
            .services
            .get(&ticket.service)
            .map(|s| s.name.show(chinese).to_string())
            .unwrap_or_default(),
        department: ticket.department.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::domain::automation::{Macro, Rule, Team, Trigger};
    use crate::domain::catalog::{Service, Text};
    use crate::domain::directory::{Department, Member};
    use crate::domain::{Priority, Profile, TicketDraft, Visibility};
    use crate::storage::MemoryStore;
    use crate::store::desk::open_desk;
    use crate::sync::Replica;
    use futures::executor::block_on;

    fn id(n: u8) -> DocumentId {
        DocumentId::from_bytes([n; 16])
    }

    fn desk(first_id: u8, name: &str) -> Desk {
        let mut n = first_id;
        let mut new_id = || {
            n += 1;
            id(n)
        };
        let (mut desk, _) = block_on(open_desk(&MemoryStore::new(), &mut new_id)).unwrap();
        desk.set_profile(Profile::new(name, "财务部").unwrap())
            .unwrap();
        desk
    }

    fn member(
        email: &str,
        name: &str,
        department: &str,
        manager: Option<&str>,
        role: Role,
    ) -> Member {
        Member {
            email: email.into(),
            name: name.into(),
            department: DepartmentId(department.into()),
            manager: manager.map(str::to_string),
            role,
            deactivated: false,
        }
    }

    fn directory() -> Directory {
        let mut d = Directory::default();
        for name in ["财务部", "市场部"] {
            d.departments.insert(
                DepartmentId(name.into()),
                Department {
                    id: DepartmentId(name.into()),
                    name: name.into(),
                    parent: None,
                },
            );
        }
        for m in [
            member(
                "wang@x.cn",
                "王芳",
                "市场部",
                Some("zhao@x.cn"),
                Role::Requester,
            ),
            member("zhao@x.cn", "赵经理", "市场部", None, Role::Lead),
            member("qian@x.cn", "钱总监", "财务部", None, Role::Lead),
            member("sun@x.cn", "孙会计", "财务部", None, Role::Agent),
            member("zhou@x.cn", "周会计", "财务部", None, Role::Agent),
        ] {
            d.people.insert(m.email.clone(), m);
        }
        d
    }

    fn catalog() -> Catalog {
        let mut c = Catalog::default();
        c.services.insert(
            "reimbursement".into(),
            Service {
                id: "reimbursement".into(),
                provider: DepartmentId("财务部".into()),
                name: Text {
                    zh: "费用报销".into(),
                    en: "Expense claim".into(),
                },
                description: Text::default(),
                fields: vec![],
                priority: Priority::Normal,
                queue: DepartmentId("财务部".into()),
                policy: String::new(),
                needs_approval: true,
                approval_chain: "expenses".into(),
            },
        );
        c
    }

    fn automation(desk: &Desk) -> Automation {
        let known = desk.known();
        let mut a = Automation::default();
        a.put_chain(
            Chain {
                id: "expenses".into(),
                name: "Expense claims".into(),
                steps: vec![
                    crate::domain::automation::approval::Step {
                        approver: crate::domain::automation::Approver::Manager,
                        at_least: None,
                    },
                    crate::domain::automation::approval::Step {
                        approver: crate::domain::automation::Approver::Person("qian@x.cn".into()),
                        at_least: Some(crate::domain::automation::approval::Threshold {
                            field: "amount".into(),
                            amount: 1000.0,
                        }),
                    },
                ],
                pause_sla: true,
            },
            &known,
        )
        .unwrap();
        a.put_macro(Macro {
            id: "received".into(),
            name: "Received".into(),
            body: "{{requester}}，报销 {{ticket}} 已收到。".into(),
            visibility: Visibility::Public,
            set_status: None,
        })
        .unwrap();
        a.teams.insert(
            "财务部".into(),
            Team {
                department: "财务部".into(),
                mode: Mode::RoundRobin,
            },
        );
        let rules = [
            (
                "small",
                vec![crate::domain::automation::Condition::Field {
                    key: "amount".into(),
                    test: crate::domain::automation::Test::Below(500.0),
                }],
                vec![Action::AutoApprove],
            ),
            (
                "share",
                vec![],
                vec![Action::AssignTeam, Action::ReplyTemplate("received".into())],
            ),
        ];
        for (name, conditions, actions) in rules {
            a.put_rule(
                Rule {
                    id: name.into(),
                    name: name.into(),
                    enabled: true,
                    trigger: Trigger::Created,
                    conditions,
                    actions,
                    since: Timestamp(0),
                },
                &known,
            )
            .unwrap();
        }
        a
    }

    /// A finance desk with the directory, catalog and rules, and the ids of those documents.
    fn configured() -> (Desk, Vec<DocumentId>) {
        let mut desk = desk(100, "孙会计");
        desk.save_directory(&directory(), || id(1)).unwrap();
        desk.save_catalog(&catalog(), || id(2)).unwrap();
        let wanted = automation(&desk);
        desk.save_automation(&wanted, || id(3)).unwrap();
        // The director leads the team but takes no claims herself.
        desk.set_away("qian@x.cn", true, || id(4)).unwrap();
        (desk, vec![id(1), id(2), id(3), id(4)])
    }

    fn claim(amount: &str) -> TicketDraft {
        TicketDraft {
            title: "出差报销".into(),
            requester: "王芳".into(),
            requester_email: "wang@x.cn".into(),
            customer_department: "市场部".into(),
            department: "财务部".into(),
            service: "reimbursement".into(),
            answers: [("amount".to_string(), amount.to_string())].into(),
            ..Default::default()
        }
    }

    /// A second device holding copies of `from`'s documents.
    fn copy_of(from: &mut Desk, docs: &[DocumentId], name: &str) -> Desk {
        let mut other = desk(200, name);
        other.set_organisation(docs).unwrap();
        let tickets: Vec<DocumentId> = from.docs.tickets.keys().copied().collect();
        let parts: Vec<DocumentId> = tickets.iter().flat_map(|t| family(from, *t)).collect();
        for doc in docs.iter().chain(&tickets).chain(&parts) {
            let copy = from.doc_mut(*doc).unwrap().fork();
            other.adopt(*doc, copy);
        }
        other
    }

    /// A ticket's documents a desk holds.
    fn family(desk: &Desk, ticket: DocumentId) -> Vec<DocumentId> {
        let mut ids = vec![ticket];
        ids.extend(desk.docs.tickets[&ticket].parts().map(|(id, _, _)| id));
        ids
    }

    /// Two devices exchange every document of a ticket, as sync would.
    fn merge(a: &mut Desk, b: &mut Desk, ticket: DocumentId) {
        let mut ids = family(a, ticket);
        ids.extend(family(b, ticket));
        ids.sort();
        ids.dedup();
        for doc in ids {
            give(b, a, doc);
            give(a, b, doc);
        }
    }

    /// `to` takes in what `from` holds of a document.
    fn give(from: &mut Desk, to: &mut Desk, doc: DocumentId) {
        let Some(mut theirs) = from.doc_mut(doc).map(|d| d.fork()) else {
            return;
        };
        match to.doc_mut(doc) {
            Some(mine) => {
                mine.merge(&mut theirs).unwrap();
                to.changed_remotely(doc).unwrap();
            }
            None => to.adopt(doc, theirs),
        }
    }

    #[test]
    fn a_claim_under_the_threshold_is_approved_by_the_rule_and_a_larger_one_waits_in_two_steps() {
        let (mut desk, _) = configured();
        desk.create_ticket(id(50), &claim("300"), Timestamp(1_000))
            .unwrap();
        desk.create_ticket(id(51), &claim("¥3,000"), Timestamp(2_000))
            .unwrap();
        // The small claim: approved by "small", shared out by "share"; the large one: shared out.
        assert_eq!(desk.run_automation(Timestamp(3_000), false), 3);
        let small = desk.ticket(id(50)).unwrap().unwrap();
        let approval = small.approval.unwrap();
        assert_eq!(approval.state(), ApprovalState::Approved);
        assert!(approval.decisions[&0].automatic);
        assert_eq!(approval.decisions[&0].by, "small");
        let large = desk.ticket(id(51)).unwrap().unwrap();
        let approval = large.approval.unwrap();
        assert_eq!(approval.state(), ApprovalState::Pending(0));
        let approvers: Vec<_> = approval.steps.iter().map(|s| s.email.as_str()).collect();
        assert_eq!(approvers, ["zhao@x.cn", "qian@x.cn"]);
        assert!(
            large.watchers.contains(&"zhao@x.cn".to_string()),
            "approvers may read it"
        );
        assert_eq!(
            desk.run_automation(Timestamp(4_000), true),
            0,
            "nothing fires twice"
        );
    }

    #[test]
    fn two_offline_devices_firing_the_same_rules_merge_into_one_firing_each() {
        let (mut here, docs) = configured();
        here.create_ticket(id(60), &claim("300"), Timestamp(1_000))
            .unwrap();
        let mut there = copy_of(&mut here, &docs, "周会计");
        // Here, 孙会计 has just marked herself away; there, nobody knows yet: each device gives
        // the ticket to someone else.
        here.set_away("sun@x.cn", true, || id(4)).unwrap();
        assert_eq!(here.run_automation(Timestamp(5_000), false), 2);
        assert_eq!(there.run_automation(Timestamp(6_000), false), 2);
        let assignee = |desk: &Desk| desk.ticket(id(60)).unwrap().unwrap().assignee;
        assert_eq!(
            (assignee(&here), assignee(&there)),
            ("zhou@x.cn".into(), "sun@x.cn".into())
        );
        merge(&mut here, &mut there, id(60));
        let a = here.ticket(id(60)).unwrap().unwrap();
        let b = there.ticket(id(60)).unwrap().unwrap();
        assert_eq!(a, b, "both devices read the same ticket");
        assert_eq!(a.fired.len(), 2, "one record per rule and trigger");
        let replies: Vec<_> = a.comments.iter().map(|c| c.body.as_str()).collect();
        assert_eq!(replies.len(), 1, "the reply was sent once: {replies:?}");
        assert!(replies[0].starts_with("王芳，报销 "));
        let assignments = a
            .events
            .iter()
            .filter(|e| matches!(e.kind, crate::domain::EventKind::Assigned { .. }))
            .count();
        assert_eq!(assignments, 1, "assigned once");
        assert!(["sun@x.cn", "zhou@x.cn"].contains(&a.assignee.as_str()));
        assert_eq!(a.approval.unwrap().state(), ApprovalState::Approved);
        assert_eq!(
            here.run_automation(Timestamp(7_000), false),
            0,
            "the merge ran nothing again"
        );
        assert_eq!(there.run_automation(Timestamp(7_000), false), 0);
    }

    #[test]
    fn people_away_are_skipped_and_the_next_in_turn_gets_the_ticket() {
        let (mut desk, _) = configured();
        desk.set_away("sun@x.cn", true, || id(9)).unwrap();
        for n in 0..3 {
            desk.create_ticket(id(70 + n), &claim("100"), Timestamp(1_000 + i64::from(n)))
                .unwrap();
        }
        desk.run_automation(Timestamp(9_000), false);
        for n in 0..3 {
            assert_eq!(
                desk.ticket(id(70 + n)).unwrap().unwrap().assignee,
                "zhou@x.cn"
            );
        }
        desk.set_away("sun@x.cn", false, || id(9)).unwrap();
        desk.create_ticket(id(80), &claim("100"), Timestamp(2_000))
            .unwrap();
        desk.run_automation(Timestamp(9_000), false);
        assert_eq!(
            desk.ticket(id(80)).unwrap().unwrap().assignee,
            "sun@x.cn",
            "back: next in turn"
        );
    }

    #[test]
    fn the_approver_decides_offline_and_a_rejection_needs_a_reason() {
        let (mut finance, docs) = configured();
        finance
            .create_ticket(id(90), &claim("3000"), Timestamp(1_000))
            .unwrap();
        let mut manager = copy_of(&mut finance, &docs, "赵经理");
        manager
            .set_profile(Profile {
                account: Some(crate::domain::Account {
                    person: crate::access::PersonId("p-zhao".into()),
                    role: Role::Lead,
                    email: "zhao@x.cn".into(),
                }),
                ..Profile::new("赵经理", "市场部").unwrap()
            })
            .unwrap();
        assert!(matches!(
            manager.decide(id(90), false, " ", Timestamp(2_000)),
            Err(DecideError::ReasonMissing)
        ));
        manager
            .decide(id(90), true, "同意", Timestamp(2_000))
            .unwrap();
        assert!(
            matches!(
                manager.decide(id(90), true, "", Timestamp(2_100)),
                Err(DecideError::NotYours)
            ),
            "the second step is finance's"
        );
        let ticket = manager.ticket(id(90)).unwrap().unwrap();
        assert_eq!(
            ticket.approval.as_ref().unwrap().awaiting(),
            Some("qian@x.cn")
        );
        let row = &manager
            .rows()
            .iter()
            .find(|(r, _)| r.id == id(90))
            .unwrap()
            .0;
        assert_eq!(row.involvement.awaiting, "qian@x.cn");
        // The SLA clocks were paused while it waited, by the chain's setting.
        let events = events_of(&ticket);
        assert!(events
            .iter()
            .any(|e| e.kind == crate::domain::sla::SlaEventKind::Approval { waiting: true }));
    }

    #[test]
    fn a_mention_makes_a_follower_and_reading_clears_the_unread_marker() {
        let (mut desk, _) = configured();
        desk.create_ticket(id(95), &claim("100"), Timestamp(1_000))
            .unwrap();
        desk.add_comment(
            id(95),
            "@钱总监 请看一下",
            Visibility::Internal,
            Timestamp(2_000),
        )
        .unwrap();
        let row = desk.rows()[0].0.clone();
        assert!(row.involvement.watchers.contains(&"qian@x.cn".to_string()));
        let attention = crate::domain::automation::Attention::of(&row, "qian@x.cn", "钱总监");
        assert!(attention.mentioned && attention.unread);
        let mine = crate::domain::automation::Attention::of(&row, "", "孙会计");
        assert!(!mine.unread, "one's own note is not news");
        assert!(desk.mark_seen(id(95), Timestamp(3_000)).unwrap());
        assert!(
            !desk.mark_seen(id(95), Timestamp(4_000)).unwrap(),
            "nothing new: nothing written"
        );
        let row = desk.rows()[0].0.clone();
        assert_eq!(row.involvement.seen.get("孙会计"), Some(&Timestamp(3_000)));
        let text = desk
            .canned_reply(id(95), "received", true, Timestamp(3_000))
            .unwrap()
            .unwrap();
        assert!(text.starts_with("王芳，报销 "));
    }

    #[test]
    fn a_delayed_rule_acts_once_its_time_has_come_on_the_minute_tick() {
        let (mut desk, _) = configured();
        let mut wanted = desk.automation().0;
        let close = Rule {
            id: "close".into(),
            name: "Close resolved claims after an hour".into(),
            enabled: true,
            trigger: Trigger::After {
                moment: crate::domain::automation::Moment::Resolved,
                minutes: 60,
            },
            conditions: vec![],
            actions: vec![Action::SetStatus(Status::Closed)],
            since: Timestamp(0),
        };
        wanted.put_rule(close, &desk.known()).unwrap();
        desk.save_automation(&wanted, || id(3)).unwrap();
        desk.create_ticket(id(97), &claim("100"), Timestamp(1_000))
            .unwrap();
        desk.run_automation(Timestamp(1_000), false);
        desk.change_status(id(97), Status::Resolved, Timestamp(10_000))
            .unwrap();
        assert_eq!(
            desk.run_automation(Timestamp(10_000 + 59 * 60_000), true),
            0,
            "not yet"
        );
        assert_eq!(
            desk.run_automation(Timestamp(10_000 + 61 * 60_000), true),
            1
        );
        let ticket = desk.ticket(id(97)).unwrap().unwrap();
        assert_eq!(ticket.status, Status::Closed);
        let closed_by = ticket.events.last().unwrap();
        assert_eq!(closed_by.by, "Close resolved claims after an hour");
        assert_eq!(
            desk.run_automation(Timestamp(10_000 + 90 * 60_000), true),
            0,
            "closed tickets are left alone"
        );
    }
}
