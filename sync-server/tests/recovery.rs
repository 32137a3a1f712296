//! Nothing any client made is lost: not when the relay is SIGKILLed a hundred times in the middle
//! of syncing, and not when it is restored from a backup taken while it served.

mod common;

use common::{
    add_person, admin, family_in, follow_parts, new_ticket, page_dir, sign_in, temp_dir, ticket_in,
    Peer, Person, Relay,
};
use innerdesk_core::domain::{DocumentId, Status, Timestamp, Visibility};
use innerdesk_core::store::ticket_doc::Side;
use innerdesk_core::store::ticket_parts::{part_id, Part};
use innerdesk_core::store::TicketDoc;
use std::collections::BTreeMap;

/// Every ticket and every comment each person made, to look for everywhere at the end.
#[derive(Default)]
struct Made {
    comments: BTreeMap<DocumentId, Vec<String>>,
}

/// A change to a ticket this device holds, sent to the relay without waiting for it.
async fn edit(person: &mut Person, id: DocumentId, change: impl FnOnce(&mut TicketDoc)) {
    let mut ticket = family_in(&person.peer, id).expect("held");
    change(&mut ticket);
    for doc in ticket.take_touched() {
        let changed = ticket.doc_mut(doc).expect("of the ticket").clone();
        let new = person.peer.replica.docs.insert(doc, changed).is_none();
        if new {
            person.peer.track(doc).await;
        } else {
            person.peer.changed(doc).await;
        }
    }
}

/// A reply on a ticket this device holds, on `side`, sent without waiting for the relay.
async fn comment(person: &mut Person, id: DocumentId, body: &str, side: Side, made: &mut Made) {
    edit(person, id, |t| {
        t.add_comment(
            body,
            Visibility::Public,
            &[],
            ("someone", &side),
            Timestamp(5_000),
        )
        .unwrap()
    })
    .await;
    made.comments.entry(id).or_default().push(body.to_string());
}

/// A ticket filed on this device, sent to the relay without waiting for it.
async fn file(person: &mut Person, name: &str, n: u8, made: &mut Made) -> DocumentId {
    let (id, doc) = new_ticket(person, name, &format!("工单 {n}"), "IT", n);
    person.peer.replica.docs.insert(id, doc);
    person.peer.track(id).await;
    made.comments.entry(id).or_default();
    id
}

/// A device that has never held anything fetches every ticket and finds every comment in it.
async fn everything_is_there(fresh: &mut Peer, made: &Made) {
    let ids: Vec<DocumentId> = made.comments.keys().copied().collect();
    assert!(common::fetch_all(fresh, &ids).await, "every ticket arrives");
    for id in &ids {
        follow_parts(fresh, *id, true).await;
    }
    let complete = |p: &Peer| {
        made.comments.iter().all(|(id, bodies)| {
            ticket_in(p, *id).is_some_and(|t| {
                bodies
                    .iter()
                    .all(|b| t.comments.iter().any(|c| &c.body == b))
            })
        })
    };
    assert!(fresh.until(complete, 30).await, "every comment arrives");
}

/// Everyone reconnects and keeps syncing until the relay holds all they have.
async fn settle(people: &mut [&mut Person]) {
    for person in people.iter_mut() {
        if person.peer.is_closed() || !person.peer.client.is_connected() {
            person.peer.reconnect().await.expect("reconnects");
        }
        assert!(person.peer.up_to_date(30).await, "{} syncs up", person.id);
    }
}

#[tokio::test]
async fn a_hundred_sigkills_in_the_middle_of_syncing_lose_nothing_any_client_made() {
    let data = temp_dir("crash-loop");
    let page = page_dir();
    let wang_token = add_person(&data, "王芳", "wang@example.cn", "财务部", "requester");
    let li_token = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    let mut relay = Relay::start(&page, &data);
    let mut wang = sign_in(&relay, &wang_token, "laptop").await;
    let mut phone = sign_in(&relay, &wang_token, "phone").await;
    let mut li = sign_in(&relay, &li_token, "desk").await;
    let mut made = Made::default();
    let mut ids = Vec::new();

    for round in 0..100u32 {
        // Each round: a new ticket or comments from three devices, handed to the relay…
        if round % 4 == 0 {
            let id = file(&mut wang, "王芳", (round / 4) as u8, &mut made).await;
            ids.push(id);
            phone.peer.track(id).await;
            li.peer.track(id).await;
            // The agent keeps the team's part in step too (the relay starts it with the ticket).
            li.peer.track(part_id(id, &Part::Team)).await;
        }
        let on = ids[round as usize % ids.len()];
        for (who, person, side) in [
            ("laptop", &mut wang, Side::Requester),
            ("phone", &mut phone, Side::Requester),
            ("desk", &mut li, Side::Team),
        ] {
            if person.peer.replica.docs.contains_key(&on) {
                comment(person, on, &format!("{who} round {round}"), side, &mut made).await;
            }
        }
        // …some of it delivered, for a moment that differs from round to round…
        let millis = u64::from(round % 7) * 3;
        for person in [&mut wang, &mut phone, &mut li] {
            person.peer.idle(millis).await;
        }
        // …then SIGKILL, a restart, and everyone reconnects on their own.
        relay.kill_and_restart(&page);
        for person in [&mut wang, &mut phone, &mut li] {
            let _ = person.peer.reconnect().await;
        }
    }
    settle(&mut [&mut wang, &mut phone, &mut li]).await;

    // Every device ends with the same tickets, and a device that held nothing finds them all.
    for person in [&mut phone, &mut li] {
        assert!(common::fetch_all(&mut person.peer, &ids).await);
    }
    let mut fresh = sign_in(&relay, &li_token, "fresh").await;
    everything_is_there(&mut fresh.peer, &made).await;
    let comments: usize = made.comments.values().map(Vec::len).sum();
    assert!(comments > 150, "the loop made {comments} comments");
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_on_a_fresh_machine_and_clients_resync_the_rest() {
    let data = temp_dir("backup-live");
    let page = page_dir();
    let wang_token = add_person(&data, "王芳", "wang@example.cn", "财务部", "requester");
    let li_token = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    let relay = Relay::start(&page, &data);
    let mut wang = sign_in(&relay, &wang_token, "laptop").await;
    let mut li = sign_in(&relay, &li_token, "desk").await;
    let mut made = Made::default();

    // Twenty tickets synced; then the backup runs while both keep working.
    let mut ids = Vec::new();
    for n in 0..20u8 {
        ids.push(file(&mut wang, "王芳", n, &mut made).await);
    }
    assert!(wang.peer.up_to_date(20).await);
    assert!(common::fetch_all(&mut li.peer, &ids).await);
    let copy = temp_dir("backup-copy").join("innerdesk-backup");
    let backup = {
        let data = data.clone();
        let copy = copy.clone();
        std::thread::spawn(move || admin(&data, &["backup", copy.to_str().unwrap()]))
    };
    for (n, id) in ids.iter().enumerate() {
        comment(
            &mut li,
            *id,
            &format!("during the backup {n}"),
            Side::Team,
            &mut made,
        )
        .await;
        li.peer.idle(5).await;
    }
    let printed = backup.join().unwrap();
    assert!(printed.contains("backed up"), "{printed}");
    assert!(li.peer.up_to_date(20).await);
    // Work after the backup exists only on the old relay and the devices.
    for id in &ids[..5] {
        comment(
            &mut wang,
            *id,
            "after the backup",
            Side::Requester,
            &mut made,
        )
        .await;
    }
    edit(&mut li, ids[0], |t| {
        t.change_status(Status::InProgress, "Li Lei", Timestamp(9_000))
            .unwrap()
    })
    .await;
    assert!(wang.peer.up_to_date(20).await && li.peer.up_to_date(20).await);

    // The old machine is gone; the copy is started on a fresh one.
    drop(relay);
    let restored = Relay::start(&page, &copy);
    let (status, _, _) = restored.request("/api/session", Some(&wang_token));
    assert_eq!(status, 200, "sign-in tokens came along");
    for person in [&mut wang, &mut li] {
        let mut peer = Peer::connect(&restored.addr, &person.token, &person.id, "again")
            .await
            .unwrap();
        peer.replica = std::mem::take(&mut person.peer.replica);
        // Its tickets and their parts (the indexes are the relay's to rebuild).
        let held: Vec<DocumentId> = ids
            .iter()
            .flat_map(|id| {
                let family = family_in(&peer, *id).expect("held");
                let parts: Vec<DocumentId> = family.parts().map(|(part, _, _)| part).collect();
                std::iter::once(*id).chain(parts)
            })
            .collect();
        for id in held {
            peer.track(id).await;
        }
        assert!(peer.up_to_date(30).await, "{} resyncs", person.id);
        person.peer = peer;
    }

    // Someone on a new device finds everything, including what the copy never had, and the
    // queue's index (rebuilt from the documents) lists every ticket.
    let mut fresh = sign_in(&restored, &li_token, "new-desk").await;
    everything_is_there(&mut fresh.peer, &made).await;
    let in_progress =
        |p: &Peer| ticket_in(p, ids[0]).is_some_and(|t| t.status == Status::InProgress);
    assert!(fresh.peer.until(in_progress, 10).await);
    assert!(
        fresh
            .peer
            .until(|p| common::listed_in(p, &fresh.indexes).len() == 20, 20)
            .await,
        "the queue's index lists all 20"
    );
}
