//! Who may read and write which document: one pure decision the relay enforces per document and
//! connection (never per change, which would make replicas diverge).

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
        self.role.works_queues() && self.department == department
    }
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
    /// A ticket: its requester, serving queue and watchers, and who first delivered it.
    Ticket {
        creator: PersonId,
        requester: Option<PersonId>,
        queue: String,
        watchers: Vec<PersonId>,
    },
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

/// What a connection may do with a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    None,
    Read,
    Write,
}

/// The decision for `viewer` on a document with `facts`; `None` facts means the relay has never
/// seen the document, so anyone may deliver it (ids are random; a new document harms nobody).
pub fn decide(viewer: &Viewer, facts: Option<&DocFacts>) -> Access {
    let Some(facts) = facts else {
        return Access::Write;
    };
    let admin = viewer.role == Role::Admin;
    let is = |person: &PersonId| *person == viewer.id;
    match facts {
        DocFacts::Ticket {
            creator,
            requester,
            queue,
            watchers,
        } => {
            let involved =
                is(creator) || requester.as_ref().is_some_and(is) || watchers.iter().any(is);
            grant_write(admin || involved || viewer.serves(queue))
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
        }
    }

    #[test]
    fn a_ticket_is_open_to_its_requester_queue_watchers_and_admins_only() {
        let t = ticket();
        let cases = [
            (person("wang", "财务部", Role::Requester), Access::Write),
            (person("li", "IT", Role::Agent), Access::Write),
            (person("chen", "IT", Role::Lead), Access::Write),
            (person("zhao", "HR", Role::Requester), Access::Write),
            (person("root", "HR", Role::Admin), Access::Write),
            // Same department as the queue, but a requester does not work the queue.
            (person("sun", "IT", Role::Requester), Access::None),
            (person("zhou", "HR", Role::Agent), Access::None),
        ];
        for (viewer, expected) in cases {
            assert_eq!(decide(&viewer, Some(&t)), expected, "{}", viewer.id);
        }
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
            decide(&person("li", "IT", Role::Agent), Some(&queue)),
            Access::Read
        );
        assert_eq!(
            decide(&person("wang", "IT", Role::Requester), Some(&queue)),
            Access::None
        );
        assert_eq!(
            decide(&person("wang", "IT", Role::Requester), Some(&own)),
            Access::Read
        );
        assert_eq!(
            decide(&person("li", "IT", Role::Agent), Some(&own)),
            Access::None
        );
        assert_eq!(
            decide(&person("root", "HR", Role::Admin), Some(&own)),
            Access::Read
        );
    }

    #[test]
    fn organisation_documents_are_read_by_all_and_written_by_admins() {
        let org = DocFacts::Organisation;
        assert_eq!(
            decide(&person("wang", "HR", Role::Requester), Some(&org)),
            Access::Read
        );
        assert_eq!(
            decide(&person("li", "IT", Role::Lead), Some(&org)),
            Access::Read
        );
        assert_eq!(
            decide(&person("root", "IT", Role::Admin), Some(&org)),
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
            assert_eq!(decide(&viewer, Some(&public)), on_public, "{}", viewer.id);
            assert_eq!(
                decide(&viewer, Some(&internal)),
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
            decide(&person("wang", "HR", Role::Requester), Some(&mine)),
            Access::Write
        );
        assert_eq!(
            decide(&person("li", "HR", Role::Lead), Some(&mine)),
            Access::None
        );
        assert_eq!(decide(&person("li", "HR", Role::Lead), None), Access::Write);
    }
}
