//! Who may read and write which document: one pure decision the relay enforces per document and
//! connection (never per change, which would make replicas diverge).

use crate::domain::DocumentId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A person's stable id on the relay (not their name, which may change).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonId(pub String);

impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a person does at the desk; decides which documents they see beyond their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Files requests and follows their own tickets.
    Requester,
    /// Works the queue of their department.
    Agent,
    /// Leads a department: works its queue.
    Lead,
    /// Reads and writes everything, and manages organisation-wide documents.
    Admin,
}

impl Role {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "requester" => Role::Requester,
            "agent" => Role::Agent,
            "lead" | "department_lead" => Role::Lead,
            "admin" => Role::Admin,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Requester => "requester",
            Role::Agent => "agent",
            Role::Lead => "lead",
            Role::Admin => "admin",
        }
    }

    pub fn works_queues(self) -> bool {
        matches!(self, Role::Agent | Role::Lead)
    }
}

/// The authenticated person behind a connection, as far as access is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub id: PersonId,
    pub department: String,
    pub role: Role,
}

impl Viewer {
    /// True when this person works the queue of `department`.
    pub fn serves(&self, department: &str) -> bool {
        serves(self.role, &self.department, department)
    }
}

/// Who serves a department: the agents and leads of it. The one definition, for the relay's
/// decisions and everything the page offers.
pub fn serves(role: Role, own_department: &str, department: &str) -> bool {
    role.works_queues() && own_department == department
}

/// Who a relay-written index document is for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    /// Everyone who works this department's queue.
    Queue(String),
    /// One person: the tickets they requested or watch.
    Person(PersonId),
    /// Everyone signed in: survey results, summed up so nobody's answer shows.
    Everyone,
}

/// What the relay knows about a document, enough to decide access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum DocFacts {
    /// A ticket (its request part, see `store::ticket_parts`): who first delivered it and its
    /// requester, both fixed by the relay when it first classified it; the queue serving it (the
    /// team's to move) and its followers.
    Ticket {
        creator: PersonId,
        requester: Option<PersonId>,
        queue: String,
        watchers: Vec<PersonId>,
        /// The relay keeps it as a family of parts. Tickets recorded before the parts existed
        /// read `false` until the relay has moved what they hold into their parts.
        #[serde(default)]
        family: bool,
    },
    /// A part of a ticket other than its request: who reads and writes it follows from the
    /// ticket's facts at the time of asking.
    TicketPart { ticket: DocumentId, part: PartFacts },
    /// A list of tickets the relay keeps for an audience; only the relay writes it.
    Index { audience: Audience },
    /// Directory, catalog, policies: everyone reads, admins write.
    Organisation,
    /// A person's own document.
    Personal { owner: PersonId },
    /// The staff workbench (interview notes, needs, plans): agents, leads and admins read and
    /// write; requesters do not see it.
    Staff,
    /// A knowledge-base article: its department's staff and admins write it; everyone reads it,
    /// or, when internal, only those who write it.
    Article { department: String, internal: bool },
    /// The suggestion board: everyone reads and writes (the audit trail keeps who wrote what).
    Board,
    /// One person's answers to a survey: theirs alone, not even admins read them; the relay
    /// sums them up into results everyone sees.
    Response { owner: PersonId, survey: String },
    /// Content the relay has not classified yet (or never will): its first deliverer owns it.
    Unclassified { creator: PersonId },
}

/// Which part of a ticket a document is, as the relay fixed it when it first classified it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartFacts {
    /// Status, priority, queue, assignee, public replies: the serving team's.
    Team,
    /// Internal notes: the serving team's alone.
    Staff,
    /// Admins' decisions on approval steps that name nobody.
    Admins,
    /// One follower's own replies, read marker and approval decisions.
    Person(PersonId),
}

/// Where a person stands on one ticket; decides which of its parts they read and write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketRole {
    /// Not on the ticket: receives none of it.
    Outsider,
    /// Follows it (mentioned, an approver, added by the team or their colleague).
    Follower,
    /// Asked for it (or filed it).
    Requester,
    /// Works the queue serving it.
    Team,
    Admin,
}

impl TicketRole {
    /// A person's role on a ticket with these facts. Precedence: admin, team, requester, follower.
    pub fn of(viewer: &Viewer, facts: &DocFacts) -> Self {
        let DocFacts::Ticket {
            creator,
            requester,
            queue,
            watchers,
            ..
        } = facts
        else {
            return TicketRole::Outsider;
        };
        let is = |person: &PersonId| *person == viewer.id;
        Self::on_ticket(
            viewer,
            queue,
            is(creator) || requester.as_ref().is_some_and(is),
            watchers.iter().any(is),
        )
    }

    /// The one rule, for the relay (facts by person id) and the page (a ticket's content, by
    /// email) alike: admin, then the serving team, then requester, then follower.
    pub fn on_ticket(viewer: &Viewer, queue: &str, requested: bool, follows: bool) -> Self {
        if viewer.role == Role::Admin {
            TicketRole::Admin
        } else if viewer.serves(queue) {
            TicketRole::Team
        } else if requested {
            TicketRole::Requester
        } else if follows {
            TicketRole::Follower
        } else {
            TicketRole::Outsider
        }
    }

    /// Works the ticket: status, priority, queue, category, assignee, approvals asked for,
    /// articles linked, internal notes read and written.
    pub fn works(self) -> bool {
        matches!(self, TicketRole::Team | TicketRole::Admin)
    }

    /// May reply where everyone on the ticket reads.
    pub fn replies(self) -> bool {
        self != TicketRole::Outsider
    }

    /// Asked for it (and serves nowhere that would take precedence): its page offers resolving
    /// it while nobody has taken it up. Whoever asked owns the request whatever their role.
    pub fn requested(self) -> bool {
        self == TicketRole::Requester
    }

    /// What this role may do with the ticket's request part.
    pub fn on_request(self) -> Access {
        match self {
            TicketRole::Outsider => Access::None,
            TicketRole::Follower | TicketRole::Team => Access::Read,
            TicketRole::Requester | TicketRole::Admin => Access::Write,
        }
    }

    /// What this role may do with the team part (`Team`) or the staff part (`Staff`); person
    /// parts are [`TicketRole::on_person_part`].
    pub fn on_part(self, part: &PartFacts) -> Access {
        let serving = matches!(self, TicketRole::Team | TicketRole::Admin);
        match part {
            PartFacts::Team if serving => Access::Write,
            PartFacts::Team => grant_read(self != TicketRole::Outsider),
            PartFacts::Staff => grant_write(serving),
            PartFacts::Admins if self == TicketRole::Admin => Access::Write,
            PartFacts::Admins => grant_read(self != TicketRole::Outsider),
            PartFacts::Person(_) => grant_read(self != TicketRole::Outsider),
        }
    }

    /// A person's own part: theirs to write while they are on the ticket.
    pub fn on_person_part(self, mine: bool) -> Access {
        match self {
            TicketRole::Outsider => Access::None,
            _ if mine => Access::Write,
            _ => Access::Read,
        }
    }
}

/// What a connection may do with a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    None,
    Read,
    Write,
}

/// The decision for `viewer` on a document with `facts`; `None` facts means the relay has never
/// seen the document, so anyone may deliver it (ids are random; a new document harms nobody).
/// `ticket` gives the facts of the ticket a [`DocFacts::TicketPart`] belongs to.
pub fn decide(
    viewer: &Viewer,
    facts: Option<&DocFacts>,
    ticket: impl FnOnce(DocumentId) -> Option<DocFacts>,
) -> Access {
    let Some(facts) = facts else {
        return Access::Write;
    };
    let admin = viewer.role == Role::Admin;
    let is = |person: &PersonId| *person == viewer.id;
    match facts {
        DocFacts::Ticket {
            creator, requester, ..
        } => {
            // Whoever asked for it owns the request, also when they serve its queue too.
            let asked = is(creator) || requester.as_ref().is_some_and(is);
            match TicketRole::of(viewer, facts).on_request() {
                _ if asked => Access::Write,
                access => access,
            }
        }
        DocFacts::TicketPart { ticket: of, part } => {
            // A part of a ticket the relay does not know (yet) is nobody's but admins'.
            let role = ticket(*of).map_or(TicketRole::Outsider, |t| TicketRole::of(viewer, &t));
            match part {
                PartFacts::Person(owner) => role.on_person_part(is(owner)),
                _ => role.on_part(part),
            }
        }
        DocFacts::Index { audience } => {
            let member = match audience {
                Audience::Queue(queue) => viewer.serves(queue),
                Audience::Person(owner) => is(owner),
                Audience::Everyone => true,
            };
            if admin || member {
                Access::Read
            } else {
                Access::None
            }
        }
        DocFacts::Organisation if admin => Access::Write,
        DocFacts::Organisation => Access::Read,
        DocFacts::Staff => grant_write(admin || viewer.role.works_queues()),
        DocFacts::Article { department, .. } if admin || viewer.serves(department) => Access::Write,
        DocFacts::Article { internal, .. } if !internal => Access::Read,
        DocFacts::Article { .. } => Access::None,
        DocFacts::Board => Access::Write,
        DocFacts::Personal { owner }
        | DocFacts::Response { owner, .. }
        | DocFacts::Unclassified { creator: owner } => grant_write(is(owner)),
    }
}

fn grant_write(allowed: bool) -> Access {
    if allowed {
        Access::Write
    } else {
        Access::None
    }
}

fn grant_read(allowed: bool) -> Access {
    if allowed {
        Access::Read
    } else {
        Access::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: &str, department: &str, role: Role) -> Viewer {
        Viewer {
            id: PersonId(id.into()),
            department: department.into(),
            role,
        }
    }

    fn ticket() -> DocFacts {
        DocFacts::Ticket {
            creator: PersonId("wang".into()),
            requester: Some(PersonId("wang".into())),
            queue: "IT".into(),
            watchers: vec![PersonId("zhao".into())],
            family: true,
        }
    }

    #[test]
    fn each_part_of_a_ticket_is_written_by_its_owners_and_read_by_everyone_on_it() {
        let t = ticket();
        let of = DocumentId::from_bytes([9; 16]);
        let part = |part| DocFacts::TicketPart { ticket: of, part };
        let team = part(PartFacts::Team);
        let staff = part(PartFacts::Staff);
        let zhaos = part(PartFacts::Person(PersonId("zhao".into())));
        use Access::{None as N, Read as R, Write as W};
        let admins = part(PartFacts::Admins);
        // request, team, staff, 赵敏's own part, the admins' part
        let cases = [
            (person("wang", "财务部", Role::Requester), [W, R, N, R, R]),
            (person("li", "IT", Role::Agent), [R, W, W, R, R]),
            (person("chen", "IT", Role::Lead), [R, W, W, R, R]),
            (person("zhao", "HR", Role::Requester), [R, R, N, W, R]),
            (person("root", "HR", Role::Admin), [W, W, W, R, W]),
            // Same department as the queue, but a requester does not work the queue.
            (person("sun", "IT", Role::Requester), [N, N, N, N, N]),
            (person("zhou", "HR", Role::Agent), [N, N, N, N, N]),
        ];
        for (viewer, expected) in cases {
            let got = [&t, &team, &staff, &zhaos, &admins]
                .map(|f| decide(&viewer, Some(f), |_| Some(t.clone())));
            assert_eq!(got, expected, "{}", viewer.id);
        }
        // An agent who asked for help from their own queue: the team's controls, and the request
        // is still theirs.
        let own = DocFacts::Ticket {
            creator: PersonId("li".into()),
            requester: Some(PersonId("li".into())),
            queue: "IT".into(),
            watchers: vec![],
            family: true,
        };
        let li = person("li", "IT", Role::Agent);
        assert_eq!(TicketRole::of(&li, &own), TicketRole::Team);
        assert_eq!(decide(&li, Some(&own), |_| None), W);
        let orphan = decide(&person("li", "IT", Role::Agent), Some(&team), |_| None);
        assert_eq!(
            orphan, N,
            "a part of a ticket the relay does not know is nobody's"
        );
    }

    #[test]
    fn indexes_are_read_only_and_only_for_their_audience() {
        let queue = DocFacts::Index {
            audience: Audience::Queue("IT".into()),
        };
        let own = DocFacts::Index {
            audience: Audience::Person(PersonId("wang".into())),
        };
        assert_eq!(
            decide(&person("li", "IT", Role::Agent), Some(&queue), |_| None),
            Access::Read
        );
        assert_eq!(
            decide(&person("wang", "IT", Role::Requester), Some(&queue), |_| {
                None
            }),
            Access::None
        );
        assert_eq!(
            decide(&person("wang", "IT", Role::Requester), Some(&own), |_| None),
            Access::Read
        );
        assert_eq!(
            decide(&person("li", "IT", Role::Agent), Some(&own), |_| None),
            Access::None
        );
        assert_eq!(
            decide(&person("root", "HR", Role::Admin), Some(&own), |_| None),
            Access::Read
        );
    }

    #[test]
    fn organisation_documents_are_read_by_all_and_written_by_admins() {
        let org = DocFacts::Organisation;
        assert_eq!(
            decide(&person("wang", "HR", Role::Requester), Some(&org), |_| None),
            Access::Read
        );
        assert_eq!(
            decide(&person("li", "IT", Role::Lead), Some(&org), |_| None),
            Access::Read
        );
        assert_eq!(
            decide(&person("root", "IT", Role::Admin), Some(&org), |_| None),
            Access::Write
        );
    }

    #[test]
    fn articles_are_kept_by_their_department_and_internal_ones_stay_there() {
        let public = DocFacts::Article {
            department: "IT".into(),
            internal: false,
        };
        let internal = DocFacts::Article {
            department: "IT".into(),
            internal: true,
        };
        let cases = [
            (
                person("li", "IT", Role::Agent),
                Access::Write,
                Access::Write,
            ),
            (
                person("chen", "IT", Role::Lead),
                Access::Write,
                Access::Write,
            ),
            (
                person("root", "HR", Role::Admin),
                Access::Write,
                Access::Write,
            ),
            (
                person("zhou", "HR", Role::Agent),
                Access::Read,
                Access::None,
            ),
            (
                person("sun", "IT", Role::Requester),
                Access::Read,
                Access::None,
            ),
        ];
        for (viewer, on_public, on_internal) in cases {
            assert_eq!(
                decide(&viewer, Some(&public), |_| None),
                on_public,
                "{}",
                viewer.id
            );
            assert_eq!(
                decide(&viewer, Some(&internal), |_| None),
                on_internal,
                "{}",
                viewer.id
            );
        }
    }

    #[test]
    fn personal_documents_belong_to_their_owner_and_unknown_ones_to_anyone() {
        let mine = DocFacts::Personal {
            owner: PersonId("wang".into()),
        };
        assert_eq!(
            decide(&person("wang", "HR", Role::Requester), Some(&mine), |_| {
                None
            }),
            Access::Write
        );
        assert_eq!(
            decide(&person("li", "HR", Role::Lead), Some(&mine), |_| None),
            Access::None
        );
        assert_eq!(
            decide(&person("li", "HR", Role::Lead), None, |_| None),
            Access::Write
        );
    }
}
