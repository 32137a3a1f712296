//! Tickets as families of documents (see `store::ticket_parts`): the relay fixes who filed a ticket
//! and its requester when it first classifies it, starts its team and staff parts itself, takes a
//! part delivered by someone not entitled to write it back to how every part begins, and reads
//! the facts that may change (the serving queue, who follows it) only from the documents of the
//! people who may change them: the team's part, and the requester's for colleagues they add.

use crate::feeds::{audiences, put_if_changed, Feeds};
use automerge::Automerge;
use innerdesk_core::access::{decide, Access, DocFacts, PartFacts, PersonId, Role};
use innerdesk_core::domain::{DocumentId, TicketSummary};
use innerdesk_core::store::ticket_doc::{
    read_family, settle_filed, split_legacy, team_says, watchers,
};
use innerdesk_core::store::ticket_index;
use innerdesk_core::store::ticket_parts::{genesis, part_id, Part};
use std::io;

/// What the relay reads of a ticket's documents to keep its facts and lists.
struct Family {
    request: Automerge,
    team: Option<Automerge>,
    admins: Option<Automerge>,
    people: Vec<(String, Automerge)>,
}

impl Feeds {
    /// A ticket's request, classified for the first time: its requester is who filed it, or,
    /// when staff filed it for someone, the person it names; its parts are started.
    pub(crate) async fn ticket_filed(
        &self,
        doc: DocumentId,
        facts: DocFacts,
    ) -> io::Result<Vec<DocumentId>> {
        let DocFacts::Ticket {
            creator,
            queue,
            watchers,
            family,
            ..
        } = facts
        else {
            return Ok(Vec::new());
        };
        let named = self
            .hub()
            .read(doc, |d| read_family(d, &[]).map(|t| t.requester_email).ok())
            .await
            .map_err(io::Error::other)?
            .flatten()
            .unwrap_or_default();
        let requester = self.requester_of(&creator, &named);
        let facts = DocFacts::Ticket {
            watchers: self.accepted_followers(Some(&requester), &watchers, &[]),
            creator,
            requester: Some(requester),
            queue: queue.clone(),
            family,
        };
        self.shared().registry.record(doc, facts)?;
        self.hub().access_changed(doc).await;
        // Parts its filer's device delivered before it are settled now; `ticket_changed` starts
        // the rest, and the team's part has the say on queue, priority and category from then
        // on, beginning with what was filed.
        for part in [Part::Team, Part::Staff] {
            let id = part_id(doc, &part);
            if let Some(DocFacts::Unclassified { creator }) = self.shared().registry.facts(id) {
                self.part_delivered(id, &creator, doc, part_facts(&part, self))
                    .await?;
            }
        }
        self.ticket_changed(doc).await
    }

    /// The requester of a ticket filed by `creator` naming `named` as its requester: staff and
    /// admins file for anyone, others for a colleague of their own department (a secretary for
    /// her director); otherwise the filer is the requester. The filer stays on the ticket.
    fn requester_of(&self, creator: &PersonId, named: &str) -> PersonId {
        let shared = self.shared();
        let people = shared.people.read().unwrap();
        let Some(filer) = people.get(creator) else {
            return creator.clone();
        };
        let staff = filer.role == Role::Admin || filer.role.works_queues();
        match people.with_email(named) {
            Some(person)
                if !named.is_empty()
                    && (staff
                        || shared.current_queue(&person.department)
                            == shared.current_queue(&filer.department)) =>
            {
                person.id.clone()
            }
            _ => creator.clone(),
        }
    }

    /// The people a ticket's followers name who may read it: everyone the team adds (its part
    /// is the team's alone), and those of the requester's own department the requester adds.
    fn accepted_followers(
        &self,
        requester: Option<&PersonId>,
        from_request: &[PersonId],
        from_team: &[String],
    ) -> Vec<PersonId> {
        let people = self.shared().people.read().unwrap();
        let department = requester
            .and_then(|r| people.get(r))
            .map(|p| self.shared().current_queue(&p.department));
        let mut accepted: Vec<PersonId> = from_request
            .iter()
            .filter_map(|email| people.with_email(&email.0))
            .filter(|p| department.as_deref() == Some(&*self.shared().current_queue(&p.department)))
            .map(|p| p.id.clone())
            .collect();
        accepted.extend(
            from_team
                .iter()
                .filter_map(|email| people.with_email(email))
                .map(|p| p.id.clone()),
        );
        accepted.sort();
        accepted.dedup();
        accepted
    }

    /// Makes sure a classified ticket's team and staff parts exist, begun as every device begins
    /// them, and that the team's part says the queue, priority and category filed: a crash may
    /// have come between the ticket's classification and these, so every change checks again. A
    /// part its filer's device delivered before the ticket is settled by its own classification.
    async fn ensure_parts(&self, ticket: DocumentId, queue: &str) -> io::Result<()> {
        for part in [Part::Team, Part::Staff] {
            let id = part_id(ticket, &part);
            match self.shared().registry.facts(id) {
                Some(DocFacts::Unclassified { .. }) => continue,
                Some(_) => {}
                None => {
                    let facts = DocFacts::TicketPart {
                        ticket,
                        part: part_facts(&part, self),
                    };
                    self.shared().registry.record(id, facts)?;
                }
            }
            let held = self
                .hub()
                .read(id, |_| ())
                .await
                .map_err(io::Error::other)?;
            if held.is_none() {
                let (_, mut first) = genesis(ticket, &part).map_err(io::Error::other)?;
                self.take_in(id, &mut first).await?;
                // Devices that asked for it before it existed are served now.
                self.hub().access_changed(id).await;
            }
        }
        let team = part_id(ticket, &Part::Team);
        let says = self.hub().read(team, |d| team_says(d, "department"));
        if let Some(None) = says.await.map_err(io::Error::other)? {
            let filed = self.hub().read(ticket, |d| read_family(d, &[]).ok());
            if let Some(Some(filed)) = filed.await.map_err(io::Error::other)? {
                self.hub()
                    .change(team, |doc| {
                        let _ = doc.transact(|tx| settle_filed(tx, queue, &filed));
                    })
                    .await
                    .map_err(io::Error::other)?;
            }
        }
        Ok(())
    }

    /// Takes every change of `doc` into what the relay holds under `id` (stored, then sent).
    async fn take_in(&self, id: DocumentId, doc: &mut automerge::AutoCommit) -> io::Result<()> {
        let changes = doc.get_changes(&[]);
        self.hub()
            .change(id, |held| {
                let _ = held.apply_changes(changes);
            })
            .await
            .map_err(io::Error::other)
    }

    /// A part of a ticket, first delivered by `creator`. Its facts are recorded once the ticket
    /// is known; what was delivered is kept only if `creator` may write that part, and otherwise
    /// the part is taken back to how it begins everywhere.
    pub(crate) async fn part_delivered(
        &self,
        id: DocumentId,
        creator: &PersonId,
        ticket: DocumentId,
        part: PartFacts,
    ) -> io::Result<Vec<DocumentId>> {
        let Some(ticket_facts @ DocFacts::Ticket { .. }) = self.shared().registry.facts(ticket)
        else {
            // The ticket is not here yet: its classification settles this part.
            return Ok(Vec::new());
        };
        let part = match part {
            PartFacts::Person(email) => self.person_facts(&email.0),
            other => other,
        };
        let facts = DocFacts::TicketPart {
            ticket,
            part: part.clone(),
        };
        let entitled = self.shared().viewer(creator).is_some_and(|viewer| {
            decide(&viewer, Some(&facts), |_| Some(ticket_facts.clone())) == Access::Write
        });
        self.shared().registry.record(id, facts)?;
        if !entitled {
            tracing::warn!(%id, %creator, "a ticket's part delivered by someone who may not write it: started afresh");
            let email = match &part {
                PartFacts::Person(person) => self.email_of(person),
                _ => String::new(),
            };
            let wanted = match part {
                PartFacts::Team => Part::Team,
                PartFacts::Staff => Part::Staff,
                PartFacts::Admins => Part::Admins,
                PartFacts::Person(_) => Part::Person(email),
            };
            let (_, mut first) = genesis(ticket, &wanted).map_err(io::Error::other)?;
            let fresh = Automerge::load(&first.save()).map_err(io::Error::other)?;
            self.hub()
                .reset(id, fresh)
                .await
                .map_err(io::Error::other)?;
        }
        self.hub().access_changed(id).await;
        self.ticket_changed(ticket).await
    }

    fn person_facts(&self, email: &str) -> PartFacts {
        let people = self.shared().people.read().unwrap();
        PartFacts::Person(match people.with_email(email) {
            Some(person) => person.id.clone(),
            // Nobody the relay knows: nobody writes it.
            None => PersonId(format!("unknown:{}", email.trim().to_lowercase())),
        })
    }

    fn email_of(&self, person: &PersonId) -> String {
        let people = self.shared().people.read().unwrap();
        match people.get(person) {
            Some(p) => p.email.clone(),
            None => person.0.trim_start_matches("unknown:").to_string(),
        }
    }

    /// A ticket or one of its parts changed: its queue and followers are read again from the
    /// documents of those who may change them, and its rows in the lists follow.
    pub(crate) async fn ticket_changed(&self, doc: DocumentId) -> io::Result<Vec<DocumentId>> {
        let Some(DocFacts::Ticket {
            creator,
            requester,
            queue,
            family,
            ..
        }) = self.shared().registry.facts(doc)
        else {
            return Ok(Vec::new());
        };
        self.ensure_parts(doc, &queue).await?;
        if !family {
            self.take_up_legacy(doc).await?;
        }
        let Some(docs) = self.family(doc).await? else {
            return Ok(Vec::new());
        };
        let from_request: Vec<PersonId> =
            watchers(&docs.request).into_iter().map(PersonId).collect();
        let team_followers = docs.team.as_ref().map(watchers).unwrap_or_default();
        let team_queue = docs.team.as_ref().and_then(|t| team_says(t, "department"));
        let summary = summary_of(&docs);
        let facts = DocFacts::Ticket {
            watchers: self.accepted_followers(requester.as_ref(), &from_request, &team_followers),
            queue: team_queue.unwrap_or(queue),
            creator,
            requester,
            family: true,
        };
        let registry = &self.shared().registry;
        let now = audiences(&facts, self.shared());
        // Rows leave the indexes it no longer belongs to before its new facts are recorded: a
        // crash in between repeats the removal on replay instead of forgetting it.
        let before = registry
            .facts(doc)
            .map(|f| audiences(&f, self.shared()))
            .unwrap_or_default();
        for gone in before.iter().filter(|a| !now.contains(a)) {
            let index = self.index(gone).await?;
            self.hub()
                .change(index, |d| {
                    let _ = d.transact(|tx| ticket_index::remove_row(tx, doc));
                })
                .await
                .map_err(io::Error::other)?;
        }
        if registry.record(doc, facts)?.is_some() {
            // Who may read and write each part follows from the ticket's facts.
            self.hub().access_changed(doc).await;
            for part in [Part::Team, Part::Staff, Part::Admins] {
                self.hub().access_changed(part_id(doc, &part)).await;
            }
            for (email, _) in &docs.people {
                self.hub()
                    .access_changed(part_id(doc, &Part::Person(email.clone())))
                    .await;
            }
        }
        let Some(summary) = summary else {
            return Ok(Vec::new());
        };
        for audience in &now {
            let index = self.index(audience).await?;
            self.hub()
                .change(index, |d| put_if_changed(d, &summary))
                .await
                .map_err(io::Error::other)?;
        }
        Ok(Vec::new())
    }

    /// The ticket's request, team part and the parts of the approvers its team named.
    async fn family(&self, doc: DocumentId) -> io::Result<Option<Family>> {
        let clone = |d: &Automerge| d.clone();
        let hub = self.hub();
        let Some(request) = hub.read(doc, clone).await.map_err(io::Error::other)? else {
            return Ok(None);
        };
        let team = hub
            .read(part_id(doc, &Part::Team), clone)
            .await
            .map_err(io::Error::other)?;
        let approvers: Vec<String> = team
            .as_ref()
            .and_then(|t| read_family(&request, &[(&Part::Team, t)]).ok())
            .and_then(|t| t.approval)
            .map(|a| a.steps.into_iter().map(|s| s.email).collect())
            .unwrap_or_default();
        let admins = hub
            .read(part_id(doc, &Part::Admins), clone)
            .await
            .map_err(io::Error::other)?;
        let mut people = Vec::new();
        for email in approvers.into_iter().filter(|e| !e.is_empty()) {
            let part = part_id(doc, &Part::Person(email.clone()));
            if let Some(d) = hub.read(part, clone).await.map_err(io::Error::other)? {
                people.push((email, d));
            }
        }
        Ok(Some(Family {
            request,
            team,
            admins,
            people,
        }))
    }

    /// A ticket recorded before tickets had parts: what its one document held for the team,
    /// its internal notes and its approvers moves into its parts (the relay's change, made once).
    async fn take_up_legacy(&self, doc: DocumentId) -> io::Result<()> {
        let read = self.hub().read(doc, |d| split_legacy(d).ok());
        let Some(Some(parts)) = read.await.map_err(io::Error::other)? else {
            return Ok(());
        };
        for (id, mut part) in parts {
            if self.shared().registry.facts(id).is_none() {
                let Some((ticket, claimed)) =
                    innerdesk_core::store::ticket_parts::claimed_part(&part, id)
                else {
                    continue;
                };
                let facts = DocFacts::TicketPart {
                    ticket,
                    part: part_facts(&claimed, self),
                };
                self.shared().registry.record(id, facts)?;
            }
            self.take_in(id, &mut part).await?;
        }
        if let Some(DocFacts::Ticket {
            creator,
            requester,
            queue,
            watchers,
            ..
        }) = self.shared().registry.facts(doc)
        {
            let facts = DocFacts::Ticket {
                creator,
                requester,
                queue,
                watchers,
                family: true,
            };
            self.shared().registry.record(doc, facts)?;
        }
        Ok(())
    }
}

/// The facts of a part as the relay records them; a person part names its person by id.
fn part_facts(part: &Part, feeds: &Feeds) -> PartFacts {
    match part {
        Part::Team => PartFacts::Team,
        Part::Staff => PartFacts::Staff,
        Part::Admins => PartFacts::Admins,
        Part::Person(email) => feeds.person_facts(email),
    }
}

/// A ticket's list row as everyone on it may see it: internal notes play no part.
fn summary_of(docs: &Family) -> Option<TicketSummary> {
    let mut parts: Vec<(&Part, &Automerge)> = Vec::new();
    let (team, admins) = (Part::Team, Part::Admins);
    if let Some(t) = &docs.team {
        parts.push((&team, t));
    }
    if let Some(a) = &docs.admins {
        parts.push((&admins, a));
    }
    let people: Vec<Part> = docs
        .people
        .iter()
        .map(|(email, _)| Part::Person(email.clone()))
        .collect();
    for (part, (_, d)) in people.iter().zip(&docs.people) {
        parts.push((part, d));
    }
    read_family(&docs.request, &parts)
        .ok()
        .map(|t| TicketSummary::from(&t))
}
