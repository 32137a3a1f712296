//! What the relay reads from a document's own content, once, to classify it.
//!
//! The `kind` at a document's root decides, the first time the relay sees content with a kind:
//! tickets name the queue they ask for and the people their requester adds; a ticket's part says
//! which ticket and part it is, and its id must be the one derived from that; organisation-wide
//! kinds (directory, catalog, policies…) count as such only when an admin delivered them, the
//! staff workbench only when staff did; a suggestion board is everyone's; `personal` documents,
//! survey responses and any kind the relay does not know belong to whoever delivered them. A
//! document without a kind yet stays [`DocFacts::Unclassified`], owned by its first deliverer.
//!
//! The classification is final: what decides a document's kind and owners is never read from its
//! content again (a ticket's queue moves in its team part, which only the team writes).

use super::fields::str_at;
use super::ticket_parts::{claimed_part, Part};
use super::{article_doc, ticket_doc, voice_doc};
use crate::access::{DocFacts, PartFacts, PersonId, Role, Viewer};
use crate::domain::DocumentId;
use automerge::{ReadDoc, ROOT};

/// Document kinds that hold organisation-wide configuration: everyone reads them, admins write.
pub const ORGANISATION_KINDS: [&str; 6] = [
    "directory",
    "catalog",
    "policies",
    "calendars",
    "automation",
    voice_doc::VOICE,
];

/// The kind of a document that belongs to one person alone.
pub const PERSONAL_KIND: &str = "personal";

/// The access facts of `doc` (stored under `id`), first delivered to the relay by `creator` (who
/// is `deliverer`, if the relay knows them). A ticket's requester is its creator here, and a
/// person part's owner is named by email: the relay, which knows people, settles both.
pub fn facts_of(
    doc: &impl ReadDoc,
    id: DocumentId,
    creator: &PersonId,
    deliverer: Option<&Viewer>,
) -> DocFacts {
    let role = deliverer.map(|v| v.role);
    let creator_is_admin = role == Some(Role::Admin);
    let unclassified = || DocFacts::Unclassified {
        creator: creator.clone(),
    };
    let personal = || DocFacts::Personal {
        owner: creator.clone(),
    };
    match str_at(doc, &ROOT, "kind").as_deref() {
        Ok(ticket_doc::KIND) => match str_at(doc, &ROOT, "department") {
            Ok(queue) => DocFacts::Ticket {
                creator: creator.clone(),
                requester: Some(creator.clone()),
                queue,
                watchers: ticket_doc::watchers(doc)
                    .into_iter()
                    .map(PersonId)
                    .collect(),
                // A request of an older schema holds its team's part itself, until the relay has
                // moved it there.
                family: super::fields::int_at(doc, &ROOT, "schema").is_ok_and(|n| n >= 3),
            },
            Err(_) => personal(),
        },
        Ok(super::ticket_parts::KIND) => match claimed_part(doc, id) {
            Some((ticket, part)) => DocFacts::TicketPart {
                ticket,
                part: match part {
                    Part::Team => PartFacts::Team,
                    Part::Staff => PartFacts::Staff,
                    Part::Admins => PartFacts::Admins,
                    Part::Person(email) => PartFacts::Person(PersonId(email)),
                },
            },
            None => personal(),
        },
        Ok(kind) if creator_is_admin && ORGANISATION_KINDS.contains(&kind) => {
            DocFacts::Organisation
        }
        Ok(voice_doc::WORKBENCH) if role.is_some_and(|r| r == Role::Admin || r.works_queues()) => {
            DocFacts::Staff
        }
        Ok(article_doc::KIND) => match article_facts(doc) {
            // Only a department's own staff (or an admin) start an article for it.
            Some(DocFacts::Article {
                department,
                internal,
            }) if deliverer.is_some_and(|v| v.role == Role::Admin || v.serves(&department)) => {
                DocFacts::Article {
                    department,
                    internal,
                }
            }
            _ => personal(),
        },
        Ok(voice_doc::BOARD) => DocFacts::Board,
        Ok(voice_doc::RESPONSE) => match str_at(doc, &ROOT, "survey") {
            Ok(survey) => DocFacts::Response {
                owner: creator.clone(),
                survey,
            },
            Err(_) => personal(),
        },
        // Nothing yet: classified once content arrives.
        Err(_) if doc.keys(ROOT).next().is_none() => unclassified(),
        // Any other kind (a ticket without a queue, an article its department did not start, a
        // kind this relay does not know): its deliverer's alone, for good.
        _ => personal(),
    }
}

/// An article's department and audience as its content says now (whoever changed them could
/// write the article).
pub fn article_facts(doc: &impl ReadDoc) -> Option<DocFacts> {
    let article = article_doc::read(doc, crate::domain::DocumentId::from_bytes([0; 16])).ok()?;
    Some(DocFacts::Article {
        department: article.department,
        internal: article.audience == crate::domain::knowledge::Audience::Internal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Account;
    use crate::domain::{DocumentId, Priority, Profile, TicketDraft, Timestamp};
    use crate::store::TicketDoc;
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ROOT};

    /// An id for a document whose id does not matter.
    fn any() -> DocumentId {
        DocumentId::from_bytes([0x11; 16])
    }

    /// Someone of `role` in IT.
    fn someone(role: Role) -> Viewer {
        Viewer {
            id: PersonId("li".into()),
            department: "IT".into(),
            role,
        }
    }

    #[test]
    fn an_article_is_classified_only_when_its_department_started_it() {
        use crate::domain::catalog::Text;
        use crate::domain::knowledge::{ArticleDraft, Audience};
        let draft = |department: &str, audience| ArticleDraft {
            department: department.into(),
            audience,
            title: Text {
                zh: String::new(),
                en: "VPN".into(),
            },
            ..Default::default()
        };
        let li = PersonId("li".into());
        let doc = article_doc::create(
            &draft("IT", Audience::Internal),
            "李雷",
            crate::domain::Timestamp(0),
        )
        .unwrap();
        let expected = DocFacts::Article {
            department: "IT".into(),
            internal: true,
        };
        assert_eq!(
            facts_of(&doc, any(), &li, Some(&someone(Role::Agent))),
            expected
        );
        assert_eq!(
            facts_of(&doc, any(), &li, Some(&someone(Role::Admin))),
            expected
        );
        let unclassified = DocFacts::Personal { owner: li.clone() };
        assert_eq!(
            facts_of(&doc, any(), &li, Some(&someone(Role::Requester))),
            unclassified
        );
        let for_hr = article_doc::create(
            &draft("HR", Audience::Everyone),
            "李雷",
            crate::domain::Timestamp(0),
        )
        .unwrap();
        assert_eq!(
            facts_of(&for_hr, any(), &li, Some(&someone(Role::Agent))),
            unclassified,
            "IT staff cannot start HR's articles"
        );
        assert_eq!(
            article_facts(&for_hr),
            Some(DocFacts::Article {
                department: "HR".into(),
                internal: false
            })
        );
    }

    #[test]
    fn a_ticket_names_its_requester_and_queue() {
        let mut filer = Profile::new("王芳", "财务部").unwrap();
        filer.account = Some(Account {
            person: PersonId("wang".into()),
            role: Role::Requester,
            email: "wang@example.cn".into(),
        });
        let draft = TicketDraft {
            title: "VPN".into(),
            description: String::new(),
            requester: "王芳".into(),
            department: "IT".into(),
            category: String::new(),
            priority: Priority::Normal,
            ..Default::default()
        };
        let id = DocumentId::from_bytes([1; 16]);
        let ticket = TicketDoc::create(id, &draft, &filer, Timestamp(1)).unwrap();
        let relay = PersonId("relay-first-seen".into());
        assert_eq!(
            facts_of(ticket.automerge(), any(), &relay.clone(), None),
            DocFacts::Ticket {
                creator: relay,
                requester: Some(PersonId("relay-first-seen".into())),
                queue: "IT".into(),
                watchers: vec![],
                family: true,
            }
        );
    }

    fn of_kind(kind: &str) -> AutoCommit {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "kind", kind).unwrap();
        doc
    }

    #[test]
    fn organisation_documents_count_only_from_an_admin() {
        let root = PersonId("root".into());
        let directory = of_kind("directory");
        assert_eq!(
            facts_of(&directory, any(), &root, Some(&someone(Role::Admin))),
            DocFacts::Organisation
        );
        let forged = facts_of(
            &directory,
            any(),
            &PersonId("li".into()),
            Some(&someone(Role::Lead)),
        );
        assert_eq!(
            forged,
            DocFacts::Personal {
                owner: PersonId("li".into())
            }
        );
    }

    #[test]
    fn personal_documents_belong_to_their_deliverer_and_anything_else_too() {
        let li = PersonId("li".into());
        assert_eq!(
            facts_of(&of_kind("personal"), any(), &li, None),
            DocFacts::Personal { owner: li.clone() }
        );
        let expected = DocFacts::Unclassified {
            creator: li.clone(),
        };
        assert_eq!(facts_of(&AutoCommit::new(), any(), &li, None), expected);
    }

    #[test]
    fn the_workbench_is_staff_only_the_board_everyones_and_responses_their_authors() {
        let li = PersonId("li".into());
        assert_eq!(
            facts_of(
                &of_kind("workbench"),
                any(),
                &li,
                Some(&someone(Role::Agent))
            ),
            DocFacts::Staff
        );
        assert!(matches!(
            facts_of(
                &of_kind("workbench"),
                any(),
                &li,
                Some(&someone(Role::Requester))
            ),
            DocFacts::Personal { .. }
        ));
        assert_eq!(
            facts_of(&of_kind("board"), any(), &li, None),
            DocFacts::Board
        );
        let mut response = of_kind("survey-response");
        response.put(ROOT, "survey", "s1").unwrap();
        assert_eq!(
            facts_of(&response, any(), &li, Some(&someone(Role::Requester))),
            DocFacts::Response {
                owner: li.clone(),
                survey: "s1".into()
            }
        );
    }
}
