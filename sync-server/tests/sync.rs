//! Sync through the real relay, told as stories: people sign in, file and work tickets, discover
//! what they may read, and never receive what they may not, even when they ask by id.

mod common;

use automerge::transaction::Transactable;
use automerge::ReadDoc;
use common::{
    add_person, admin, article, change_ticket, document_of_kind, fetch_all, follow_parts, listed,
    listed_in, new_ticket, page_dir, sign_in, temp_dir, ticket_in, Peer, Person, Relay,
};
use innerdesk_core::domain::{DocumentId, Status, Timestamp};
use innerdesk_core::store::ticket_parts::{part_id, Part};

#[tokio::test]
async fn a_ticket_reaches_its_queue_and_requester_and_nobody_else() {
    let data = temp_dir("story");
    let wang_token = add_person(&data, "王芳", "wang@example.cn", "财务部", "requester");
    let li_token = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    let zhao_token = add_person(&data, "赵敏", "zhao@example.cn", "HR", "agent");
    let admin_token = add_person(&data, "Root", "root@example.cn", "IT", "admin");
    let relay = Relay::start(&page_dir(), &data);

    let mut wang = sign_in(&relay, &wang_token, "laptop").await;
    let mut li = sign_in(&relay, &li_token, "desk").await;
    let mut zhao = sign_in(&relay, &zhao_token, "desk").await;

    // 王芳 files a ticket for IT on her laptop; it syncs up.
    let (ticket, doc) = new_ticket(&wang, "王芳", "VPN 连不上", "IT", 1);
    wang.peer.replica.docs.insert(ticket, doc);
    wang.peer.track(ticket).await;
    assert!(wang.peer.up_to_date(10).await, "the relay has the ticket");

    // Li works the IT queue: the ticket appears in his queue index without him knowing its id.
    assert!(
        li.peer
            .until(|p| listed_in(p, &li.indexes).contains(&ticket), 10)
            .await
    );
    li.peer.track(ticket).await;
    assert!(
        li.peer
            .until(|p| p.replica.docs.contains_key(&ticket), 10)
            .await
    );

    // He takes it (a change to the ticket's team part); 王芳 sees the change live.
    follow_parts(&mut li.peer, ticket, true).await;
    follow_parts(&mut wang.peer, ticket, false).await;
    let team = part_id(ticket, &Part::Team);
    let changed = change_ticket(&mut li.peer, ticket, |t| {
        t.change_status(Status::InProgress, "Li Lei", Timestamp(2_000))
            .unwrap()
    })
    .await;
    assert_eq!(changed, [team]);
    let in_progress =
        |p: &Peer| ticket_in(p, ticket).is_some_and(|t| t.status == Status::InProgress);
    assert!(
        wang.peer.until(in_progress, 10).await,
        "the requester sees the agent's change"
    );

    // 赵敏 works HR: nothing about the ticket reaches her, not even when she asks for it by id.
    zhao.peer.track(ticket).await;
    assert!(
        zhao.peer
            .until(|p| p.unavailable.contains(&ticket), 10)
            .await
    );
    zhao.peer.idle(500).await;
    assert!(
        !zhao.peer.seen_on_wire.contains(&ticket),
        "no sync message about the ticket crossed the wire"
    );
    assert!(!listed(&zhao).contains(&ticket));
    assert!(!zhao.peer.replica.docs.contains_key(&ticket));

    // 王芳's own index lists it too, on any device she signs in on.
    let mut phone = sign_in(&relay, &wang_token, "phone").await;
    assert!(
        phone
            .peer
            .until(|p| listed_in(p, &phone.indexes).contains(&ticket), 10)
            .await
    );
    phone.peer.track(ticket).await;
    assert!(
        phone
            .peer
            .until(|p| p.replica.docs.contains_key(&ticket), 10)
            .await
    );
    follow_parts(&mut phone.peer, ticket, false).await;
    assert!(phone.peer.until(in_progress, 10).await);

    // The audit trail of the ticket names who delivered each change to each of its documents:
    // 王芳 the request, Li the team's part.
    let (status, _, csv) = relay.request(&format!("/api/audit/{ticket}"), Some(&admin_token));
    assert_eq!(status, 200, "{csv}");
    let line_of = |who: &str| {
        csv.lines()
            .find(|l| l.contains(who))
            .unwrap_or_default()
            .to_string()
    };
    assert!(line_of(&wang.id).starts_with(&ticket.to_string()), "{csv}");
    assert!(line_of(&li.id).starts_with(&team.to_string()), "{csv}");
    let (status, _, _) = relay.request(&format!("/api/audit/{ticket}"), Some(&li.token));
    assert_eq!(status, 403, "only admins read the audit trail");
    let printed = admin(&data, &["audit", &ticket.to_string()]);
    assert_eq!(
        printed.lines().count(),
        3,
        "a header, the filing and the status change: {printed}"
    );
}

#[tokio::test]
async fn indexes_are_read_only_and_the_writer_is_told() {
    let data = temp_dir("read-only");
    let token = add_person(&data, "王芳", "wang@example.cn", "财务部", "requester");
    let relay = Relay::start(&page_dir(), &data);
    let mut wang = sign_in(&relay, &token, "laptop").await;
    let own = wang.indexes[0];
    assert!(
        wang.peer
            .until(|p| p.replica.docs.contains_key(&own), 10)
            .await
    );

    // She forges a row into her own index: the relay ignores it and says so.
    let doc = wang.peer.replica.docs.get_mut(&own).unwrap();
    let tickets = match doc.get(automerge::ROOT, "tickets").unwrap() {
        Some((_, id)) => id,
        None => panic!("an index has a tickets map"),
    };
    doc.put(&tickets, "forged", "{}").unwrap();
    doc.commit();
    wang.peer.changed(own).await;
    assert!(
        wang.peer.until(|p| p.read_only.contains(&own), 10).await,
        "the client is told"
    );

    let mut again = sign_in(&relay, &token, "phone").await;
    assert!(
        again
            .peer
            .until(|p| p.replica.docs.contains_key(&own), 10)
            .await
    );
    again.peer.idle(300).await;
    let fresh = &again.peer.replica.docs[&own];
    let map = fresh.get(automerge::ROOT, "tickets").unwrap().unwrap().1;
    assert!(
        fresh.get(&map, "forged").unwrap().is_none(),
        "the forged row never reached the relay's copy"
    );
}

#[tokio::test]
async fn a_revoked_token_cuts_its_open_connection_and_is_refused_at_the_next_connect() {
    let data = temp_dir("revoke");
    let token = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    let wang_token = add_person(&data, "王芳", "wang@example.cn", "财务部", "requester");
    let relay = Relay::start(&page_dir(), &data);
    let (id, _) = relay.session(&token);
    let mut open = sign_in(&relay, &token, "desk").await;
    let mut wang = sign_in(&relay, &wang_token, "laptop").await;
    assert_eq!(
        Peer::connect(&relay.addr, "idk_wrong", &id, "desk")
            .await
            .err(),
        Some(401)
    );

    admin(&data, &["people", "revoke", "li@example.cn"]);
    // The open socket is cut within seconds, before anything new reaches it.
    assert!(open.peer.until(|p| p.is_closed(), 5).await, "still open");
    assert!(
        open.peer.errors.join("; ").contains("revoked"),
        "{:?}",
        open.peer.errors
    );
    let (ticket, doc) = new_ticket(&wang, "王芳", "VPN 连不上", "IT", 1);
    wang.peer.replica.docs.insert(ticket, doc);
    wang.peer.track(ticket).await;
    assert!(wang.peer.up_to_date(10).await, "others are still served");
    assert!(!open.peer.seen_on_wire.contains(&ticket));
    assert_eq!(
        Peer::connect(&relay.addr, &token, &id, "desk").await.err(),
        Some(401)
    );
    let (status, _, body) = relay.request("/api/session", Some(&token));
    assert_eq!(status, 401);
    assert!(body.contains("revoked"), "{body}");
    let listed = admin(&data, &["people", "list"]);
    assert!(
        listed.contains("li@example.cn") && listed.contains("revoked"),
        "{listed}"
    );

    // A new token works again.
    let out = admin(&data, &["people", "token", "li@example.cn"]);
    let fresh = out.lines().find_map(|l| l.strip_prefix("token: ")).unwrap();
    assert!(
        out.contains("#/signin/"),
        "a sign-in link is printed: {out}"
    );
    Peer::connect(&relay.addr, fresh, &id, "desk")
        .await
        .expect("the new token works");
}

#[tokio::test]
async fn a_peer_cannot_claim_to_be_someone_else() {
    let data = temp_dir("impostor");
    let token = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    let relay = Relay::start(&page_dir(), &data);
    // A valid token, but the handshake names another person: samod closes the connection.
    let result = Peer::connect(&relay.addr, &token, "p-someone-else", "desk");
    let closed = match tokio::time::timeout(std::time::Duration::from_secs(10), result).await {
        Ok(Ok(peer)) => peer.is_closed(),
        Ok(Err(_)) | Err(_) => true,
    };
    assert!(closed);
}

#[tokio::test]
async fn what_the_relay_acknowledged_survives_sigkill_and_the_rest_resyncs() {
    let data = temp_dir("sigkill");
    let page = page_dir();
    let wang_token = add_person(&data, "王芳", "wang@example.cn", "财务部", "requester");
    let li_token = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    let mut relay = Relay::start(&page, &data);
    let mut wang = sign_in(&relay, &wang_token, "laptop").await;

    // Thirty tickets synced and acknowledged, then SIGKILL at once.
    let mut ids = Vec::new();
    for n in 0..30u8 {
        let (id, doc) = new_ticket(&wang, "王芳", &format!("工单 {n}"), "IT", n);
        wang.peer.replica.docs.insert(id, doc);
        wang.peer.track(id).await;
        ids.push(id);
    }
    assert!(wang.peer.up_to_date(20).await);
    relay.kill_and_restart(&page);

    // Without 王芳 reconnecting, Li finds every acknowledged ticket on the restarted relay.
    let mut li = sign_in(&relay, &li_token, "desk").await;
    assert!(fetch_all(&mut li.peer, &ids).await);

    // Thirty more, killed in the middle of the sync: 王芳's copy still has them and resyncs.
    for n in 30..60u8 {
        let (id, doc) = new_ticket(&wang, "王芳", &format!("工单 {n}"), "IT", n);
        wang.peer.replica.docs.insert(id, doc);
        ids.push(id);
    }
    wang.peer.reconnect().await.unwrap();
    for id in &ids[30..] {
        wang.peer.track(*id).await;
    }
    relay.kill_and_restart(&page);
    wang.peer.reconnect().await.unwrap();
    assert!(wang.peer.up_to_date(20).await);
    let mut li = sign_in(&relay, &li_token, "desk2").await;
    assert!(fetch_all(&mut li.peer, &ids).await);
    assert!(
        li.peer
            .until(|p| listed_in(p, &li.indexes).len() == 60, 20)
            .await,
        "the queue index lists all 60"
    );
}

/// The relay keeps only a few documents in memory (here three); the rest are put away and read
/// again when a message needs them, and nothing is lost or stale for anyone.
#[tokio::test]
async fn documents_put_away_from_memory_still_sync_every_change() {
    let data = temp_dir("resident");
    let page = page_dir();
    let wang_token = add_person(&data, "王芳", "wang@example.cn", "财务部", "requester");
    let li_token = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    let relay = Relay::start_with(&page, &data, "127.0.0.1:0", &["--resident-documents", "3"]);
    let mut wang = sign_in(&relay, &wang_token, "laptop").await;
    let mut ids = Vec::new();
    for n in 0..20u8 {
        let (id, doc) = new_ticket(&wang, "王芳", &format!("工单 {n}"), "IT", n);
        wang.peer.replica.docs.insert(id, doc);
        wang.peer.track(id).await;
        ids.push(id);
    }
    assert!(wang.peer.up_to_date(20).await);
    let mut li = sign_in(&relay, &li_token, "desk").await;
    assert!(fetch_all(&mut li.peer, &ids).await);

    // Every ticket changed twice while Li follows them all: each change reaches him.
    for round in ["已受理", "已解决"] {
        for id in &ids {
            let doc = wang.peer.replica.docs.get_mut(id).unwrap();
            doc.put(automerge::ROOT, "note", round).unwrap();
            doc.commit();
            wang.peer.changed(*id).await;
        }
        assert!(wang.peer.up_to_date(20).await);
        let all_arrived = li
            .peer
            .until(
                |p| {
                    ids.iter()
                        .all(|id| note_in(p, *id).as_deref() == Some(round))
                },
                20,
            )
            .await;
        assert!(all_arrived, "every ticket reads {round} on Li's device");
    }
    for id in &ids {
        assert_eq!(
            li.peer.replica.docs.get_mut(id).unwrap().get_heads(),
            wang.peer.replica.docs.get_mut(id).unwrap().get_heads()
        );
    }
}

fn note_in(peer: &Peer, id: DocumentId) -> Option<String> {
    let doc = peer.replica.docs.get(&id)?;
    Some(
        doc.get(automerge::ROOT, "note")
            .ok()??
            .0
            .as_str()?
            .to_string(),
    )
}

#[tokio::test]
async fn organisation_documents_are_read_by_all_and_written_by_admins_personal_ones_by_their_owner()
{
    let data = temp_dir("org");
    let admin_token = add_person(&data, "Root", "root@example.cn", "IT", "admin");
    let wang_token = add_person(&data, "王芳", "wang@example.cn", "财务部", "requester");
    let li_token = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    let relay = Relay::start(&page_dir(), &data);
    let mut root = sign_in(&relay, &admin_token, "desk").await;
    let mut wang = sign_in(&relay, &wang_token, "laptop").await;

    // An admin publishes the directory; 王芳 learns of it from her session and reads it.
    let directory = DocumentId::from_bytes([70; 16]);
    root.peer
        .replica
        .docs
        .insert(directory, document_of_kind("directory", "组织架构 v1"));
    root.peer.track(directory).await;
    assert!(root.peer.up_to_date(10).await);
    // 王芳, online all along, learns of it from the index everyone reads…
    let indexes = wang.indexes.clone();
    assert!(
        wang.peer
            .until(
                |p| indexes
                    .iter()
                    .any(|i| p.replica.docs.get(i).is_some_and(|d| {
                        innerdesk_core::store::ticket_index::announced(d)
                            .iter()
                            .any(|(id, _)| *id == directory)
                    })),
                10
            )
            .await,
        "the directory is announced to those online"
    );
    // …and a later session names it too.
    let listed = || {
        let json = relay.session_json(&wang_token);
        json["organisation"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v.as_str() == Some(&directory.to_string()))
    };
    for _ in 0..50 {
        if listed() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(listed(), "the session names the directory");
    wang.peer.track(directory).await;
    assert!(
        wang.peer
            .until(
                |p| note_in(p, directory).as_deref() == Some("组织架构 v1"),
                10
            )
            .await
    );

    // She may not change it: the relay ignores her edit and says so.
    let doc = wang.peer.replica.docs.get_mut(&directory).unwrap();
    doc.put(automerge::ROOT, "note", "改过了").unwrap();
    doc.commit();
    wang.peer.changed(directory).await;
    assert!(
        wang.peer
            .until(|p| p.read_only.contains(&directory), 10)
            .await
    );
    let mut li = sign_in(&relay, &li_token, "desk").await;
    li.peer.track(directory).await;
    assert!(li.peer.until(|p| note_in(p, directory).is_some(), 10).await);
    li.peer.idle(300).await;
    assert_eq!(note_in(&li.peer, directory).as_deref(), Some("组织架构 v1"));

    // 王芳's personal document is hers alone.
    let mine = DocumentId::from_bytes([71; 16]);
    wang.peer
        .replica
        .docs
        .insert(mine, document_of_kind("personal", "我的草稿"));
    wang.peer.track(mine).await;
    assert!(wang.peer.until(|p| p.client.is_settled(mine), 10).await);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    li.peer.track(mine).await;
    assert!(li.peer.until(|p| p.unavailable.contains(&mine), 10).await);
    assert!(!li.peer.seen_on_wire.contains(&mine));
}

#[tokio::test]
async fn the_directory_names_requesters_and_a_merge_hands_a_queue_to_the_merged_department() {
    use innerdesk_core::domain::directory::{Department, DepartmentId, Directory};
    use innerdesk_core::store::directory_doc;
    let data = temp_dir("directory");
    let wang_token = add_person(&data, "王芳", "wang@example.cn", "财务部", "requester");
    let zhang_token = add_person(&data, "张三", "zs@example.cn", "财务部", "requester");
    let li_token = add_person(&data, "Li Lei", "li@example.cn", "服务台", "agent");
    let root_token = add_person(&data, "Root", "root@example.cn", "总部", "admin");
    let relay = Relay::start(&page_dir(), &data);
    let mut wang = sign_in(&relay, &wang_token, "laptop").await;
    let mut zhang = sign_in(&relay, &zhang_token, "phone").await;
    let mut li = sign_in(&relay, &li_token, "desk").await;
    let mut root = sign_in(&relay, &root_token, "desk").await;

    // 王芳 files for her colleague 张三, picked from the directory, to the desktop-support queue.
    let (ticket, doc) = new_ticket(&wang, "张三", "显示器黑屏", "桌面支持", 40);
    let mut doc = doc;
    doc.put(automerge::ROOT, "requester_email", "zs@example.cn")
        .unwrap();
    wang.peer.replica.docs.insert(ticket, doc);
    wang.peer.track(ticket).await;
    assert!(wang.peer.up_to_date(10).await);
    assert!(
        zhang
            .peer
            .until(|p| listed_in(p, &zhang.indexes).contains(&ticket), 10)
            .await,
        "the requester named by email sees the ticket in their list"
    );
    li.peer.track(ticket).await;
    assert!(
        li.peer.until(|p| p.unavailable.contains(&ticket), 10).await,
        "桌面支持 is not Li's queue yet"
    );

    // An admin merges 桌面支持 into 服务台 in the directory.
    let mut directory = Directory::default();
    for name in ["桌面支持", "服务台"] {
        let id = DepartmentId(name.into());
        directory.departments.insert(
            id.clone(),
            Department {
                id,
                name: name.into(),
                parent: None,
            },
        );
    }
    directory
        .merge(
            &DepartmentId("桌面支持".into()),
            &DepartmentId("服务台".into()),
            Timestamp(0),
        )
        .unwrap();
    let mut org = directory_doc::create().unwrap();
    directory_doc::save_directory(&mut org, &directory).unwrap();
    let org_id = DocumentId::from_bytes([41; 16]);
    root.peer.replica.docs.insert(org_id, org);
    root.peer.track(org_id).await;
    assert!(root.peer.up_to_date(10).await);

    // Li now serves the merged queue: its earlier ticket is listed for him and opens.
    let mut li = sign_in(&relay, &li_token, "desk").await;
    assert!(
        li.peer
            .until(|p| listed_in(p, &li.indexes).contains(&ticket), 10)
            .await,
        "the merged department's ticket is in Li's queue"
    );
    assert!(fetch_all(&mut li.peer, &[ticket]).await);
}

/// The first round of survey `s1` as the relay published it in an index this person reads.
fn published_round(person: &Person) -> Option<innerdesk_core::domain::voice::results::RoundResult> {
    use innerdesk_core::store::voice_doc::SURVEY_RESULTS;
    person.indexes.iter().find_map(|index| {
        let doc = person.peer.replica.docs.get(index)?;
        let (_, map) = doc.get(automerge::ROOT, SURVEY_RESULTS).ok()??;
        let (value, _) = doc.get(&map, "s1").ok()??;
        let text = value.into_scalar().ok()?.into_string().ok()?;
        let rounds: Vec<innerdesk_core::domain::voice::results::RoundResult> =
            serde_json::from_str(&text).ok()?;
        rounds.into_iter().next()
    })
}

/// A confidential survey `s1` with a score and an optional written answer, its one round
/// opening on `start` for two weeks.
fn confidential_survey(start: chrono::NaiveDate) -> innerdesk_core::domain::voice::survey::Survey {
    use innerdesk_core::domain::catalog::Text;
    use innerdesk_core::domain::voice::survey::{
        Dimension, Question, QuestionKind, Schedule, Survey, SurveyAudience,
    };
    let text = |zh: &str| Text {
        zh: zh.into(),
        en: String::new(),
    };
    let question = |id: &str, kind, required| Question {
        id: id.into(),
        text: text("问题"),
        kind,
        dimension: Dimension::Satisfaction,
        required,
        about: "IT".into(),
    };
    Survey {
        id: "s1".into(),
        title: text("IT 服务满意度"),
        questions: vec![
            question("q1", QuestionKind::Likert, true),
            question("q2", QuestionKind::FreeText, false),
        ],
        audience: SurveyAudience::default(),
        schedule: Schedule {
            start,
            every_months: 0,
            open_days: 14,
        },
        confidential: true,
        follows_up: String::new(),
        texts_released: Vec::new(),
    }
}

/// The admin's voice document, holding just `survey`, on the admin's device.
fn save_survey(
    root: &mut Person,
    voice_id: DocumentId,
    survey: &innerdesk_core::domain::voice::survey::Survey,
) {
    use innerdesk_core::store::voice_doc::{create, save_voice, Voice, VOICE};
    let mut voice = Voice::default();
    voice.surveys.insert("s1".into(), survey.clone());
    let doc = (root.peer.replica.docs)
        .entry(voice_id)
        .or_insert_with(|| create(VOICE).unwrap());
    save_voice(doc, &voice).unwrap();
}

/// A response to round 1 of `s1`: a score and, when given, a written answer.
fn answer(score: i64, text: Option<&str>, at: i64) -> automerge::AutoCommit {
    use innerdesk_core::domain::voice::results::Response;
    use innerdesk_core::domain::voice::survey::Answer;
    let mut answers: std::collections::BTreeMap<String, Answer> =
        [("q1".to_string(), Answer::Score(score))].into();
    if let Some(text) = text {
        answers.insert("q2".into(), Answer::Text(text.into()));
    }
    innerdesk_core::store::voice_doc::create_response(&Response {
        survey: "s1".into(),
        round: 1,
        respondent: "claimed-by-the-document".into(),
        department: "claimed".into(),
        answers,
        at: Timestamp(at),
    })
    .unwrap()
}

/// Fetches the publication of round 1 of `s1` (the one with released text, or not) and reads it:
/// the figures, and how many changes its document holds.
async fn publication(
    person: &mut Person,
    released: bool,
) -> Option<(innerdesk_core::domain::voice::results::RoundResult, usize)> {
    use innerdesk_core::store::voice_doc::{publication_id, read_publication};
    let id = publication_id("s1", 1, released);
    person.peer.track(id).await;
    for _ in 0..50 {
        person.peer.idle(100).await;
        if let Some(doc) = person.peer.replica.docs.get_mut(&id) {
            if let Ok(found) = read_publication(doc) {
                return Some((found.result, doc.get_changes(&[]).len()));
            }
        }
    }
    None
}

#[tokio::test]
async fn a_confidential_round_is_published_once_after_it_closes_and_nobody_reads_one_answer() {
    let data = temp_dir("survey");
    let admin_token = add_person(&data, "Root", "root@example.cn", "IT", "admin");
    let tokens: Vec<String> = (0..6)
        .map(|n| {
            let name = format!("员工{n}");
            add_person(
                &data,
                &name,
                &format!("p{n}@example.cn"),
                "财务部",
                "requester",
            )
        })
        .collect();
    let relay = Relay::start(&page_dir(), &data);
    let mut root = sign_in(&relay, &admin_token, "desk").await;

    // The admin publishes a confidential survey whose round opens today.
    let today = chrono::Utc::now().date_naive();
    let mut survey = confidential_survey(today);
    let voice_id = DocumentId::from_bytes([90; 16]);
    save_survey(&mut root, voice_id, &survey);
    root.peer.track(voice_id).await;
    assert!(root.peer.up_to_date(10).await);

    // Five people answer (the first twice, on two devices: counted once, the later answer).
    let mut people = Vec::new();
    for token in &tokens {
        people.push(sign_in(&relay, token, "phone").await);
    }
    let mut responses = Vec::new();
    for (n, person) in people.iter_mut().enumerate().take(5) {
        let id = DocumentId::from_bytes([100 + n as u8; 16]);
        let score = if n == 4 { 3 } else { 5 };
        let written = format!("意见 {n}");
        let text = (n != 2).then_some(written.as_str());
        person.peer.replica.docs.insert(id, answer(score, text, 10));
        person.peer.track(id).await;
        assert!(person.peer.up_to_date(10).await);
        responses.push(id);
    }
    let again = DocumentId::from_bytes([120; 16]);
    people[0]
        .peer
        .replica
        .docs
        .insert(again, answer(4, Some("改了主意"), 20));
    people[0].peer.track(again).await;
    assert!(people[0].peer.up_to_date(10).await);

    // While the round is open nothing is published: not live, not as a round.
    root.peer.idle(500).await;
    assert!(
        published_round(&root).is_none(),
        "{:?}",
        published_round(&root)
    );
    assert!(publication(&mut root, false).await.is_none());

    // The round closes (the admin moves it into the past): published once, in a document of
    // its own holding one change. (4 + 5 + 5 + 5 + 3) / 5 = 4.4; the written answers counted.
    survey.schedule.start = today - chrono::Days::new(30);
    save_survey(&mut root, voice_id, &survey);
    root.peer.changed(voice_id).await;
    assert!(root.peer.up_to_date(10).await);
    let (first, changes) = publication(&mut root, false).await.expect("published");
    assert_eq!(changes, 1, "a publication has no history to compare");
    assert_eq!(first.respondents, 5);
    assert_eq!(first.groups[0].questions[0].mean, Some(4.4));
    assert_eq!(first.by_department["财务部"], 5);
    let q2 = &first.groups[0].questions[1];
    assert!(q2.withheld, "four written answers are fewer than five");
    let (everyone, _) = publication(&mut people[1], false)
        .await
        .expect("everyone reads it");
    assert_eq!(everyone, first);

    // A sixth answer, late, changes nothing published: there is no second version to subtract.
    let late = DocumentId::from_bytes([110; 16]);
    people[5]
        .peer
        .replica
        .docs
        .insert(late, answer(1, Some("迟到"), 30));
    people[5].peer.track(late).await;
    assert!(people[5].peer.up_to_date(10).await);
    root.peer.idle(1_000).await;
    let (after, changes) = publication(&mut root, false).await.unwrap();
    assert_eq!((after, changes), (first.clone(), 1));

    // Nobody, the admin included, reads one person's answer.
    root.peer.track(responses[1]).await;
    assert!(
        root.peer
            .until(|p| p.unavailable.contains(&responses[1]), 10)
            .await
    );
    assert!(!root.peer.seen_on_wire.contains(&responses[1]));
}

#[tokio::test]
async fn written_answers_of_a_closed_round_appear_only_once_an_admin_releases_them() {
    use innerdesk_core::store::voice_doc::{save_voice, Voice};
    let data = temp_dir("survey-texts");
    let admin_token = add_person(&data, "Root", "root@example.cn", "IT", "admin");
    let agent_token = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    let tokens: Vec<String> = (0..5)
        .map(|n| {
            add_person(
                &data,
                &format!("员工{n}"),
                &format!("p{n}@example.cn"),
                "财务部",
                "requester",
            )
        })
        .collect();
    let relay = Relay::start(&page_dir(), &data);
    let mut root = sign_in(&relay, &admin_token, "desk").await;
    let today = chrono::Utc::now().date_naive();
    let mut survey = confidential_survey(today);
    let voice_id = DocumentId::from_bytes([91; 16]);
    save_survey(&mut root, voice_id, &survey);
    root.peer.track(voice_id).await;
    assert!(root.peer.up_to_date(10).await);
    for (n, token) in tokens.iter().enumerate() {
        let mut person = sign_in(&relay, token, "phone").await;
        let id = DocumentId::from_bytes([130 + n as u8; 16]);
        person
            .peer
            .replica
            .docs
            .insert(id, answer(4, Some(&format!("建议 {n}")), 10));
        person.peer.track(id).await;
        assert!(person.peer.up_to_date(10).await);
    }
    survey.schedule.start = today - chrono::Days::new(30);
    save_survey(&mut root, voice_id, &survey);
    root.peer.changed(voice_id).await;
    assert!(root.peer.up_to_date(10).await);
    let (held, _) = publication(&mut root, false).await.expect("published");
    let q2 = &held.groups[0].questions[1];
    assert!(q2.texts.is_empty() && q2.texts_held == 5, "{q2:?}");

    // An agent cannot release them: the survey's definition is the admins' to change.
    let mut li = sign_in(&relay, &agent_token, "desk").await;
    li.peer.track(voice_id).await;
    assert!(li.peer.up_to_date(10).await);
    let mut forged = survey.clone();
    forged.texts_released = vec![1];
    let mut voice = Voice::default();
    voice.surveys.insert("s1".into(), forged);
    save_voice(li.peer.replica.docs.get_mut(&voice_id).unwrap(), &voice).unwrap();
    li.peer.changed(voice_id).await;
    li.peer.idle(1_000).await;
    assert!(
        publication(&mut root, true).await.is_none(),
        "released by an agent"
    );

    // The admin releases them: a second publication, the same figures with the text, sorted.
    survey.texts_released = vec![1];
    save_survey(&mut root, voice_id, &survey);
    root.peer.changed(voice_id).await;
    assert!(root.peer.up_to_date(10).await);
    let (released, changes) = publication(&mut root, true).await.expect("released");
    assert_eq!(changes, 1);
    let texts = &released.groups[0].questions[1].texts;
    assert_eq!(
        texts,
        &(0..5).map(|n| format!("建议 {n}")).collect::<Vec<_>>()
    );
    let mut without = released.clone();
    innerdesk_core::domain::voice::results::hold_texts(&mut without);
    assert_eq!(without, held, "releasing the text changes no figure");
}

/// What the indexes a peer reads say about a document: named, and as what.
fn announced_as(
    peer: &Peer,
    indexes: &[DocumentId],
    doc: DocumentId,
) -> Option<innerdesk_core::store::ticket_index::Announced> {
    indexes.iter().find_map(|i| {
        let index = peer.replica.docs.get(i)?;
        innerdesk_core::store::ticket_index::announced(index)
            .into_iter()
            .find(|(id, _)| *id == doc)
            .map(|(_, kind)| kind)
    })
}

#[tokio::test]
async fn articles_reach_their_readers_and_internal_ones_stay_in_their_department() {
    use innerdesk_core::domain::knowledge::Audience;
    use innerdesk_core::store::ticket_index::Announced;
    let data = temp_dir("articles");
    let li_token = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    let zhou_token = add_person(&data, "周", "zhou@example.cn", "HR", "agent");
    let wang_token = add_person(&data, "王芳", "wang@example.cn", "财务部", "requester");
    let relay = Relay::start(&page_dir(), &data);
    let mut li = sign_in(&relay, &li_token, "desk").await;
    let mut wang = sign_in(&relay, &wang_token, "laptop").await;
    let mut zhou = sign_in(&relay, &zhou_token, "desk").await;

    // Li writes a public article for IT: 王芳, online, is told of it and reads it.
    let public = DocumentId::from_bytes([90; 16]);
    li.peer
        .replica
        .docs
        .insert(public, article("IT", Audience::Everyone));
    li.peer.track(public).await;
    assert!(li.peer.up_to_date(10).await);
    let indexes = wang.indexes.clone();
    assert!(
        wang.peer
            .until(
                |p| announced_as(p, &indexes, public) == Some(Announced::Article),
                10
            )
            .await,
        "a public article is announced to everyone"
    );
    assert!(fetch_all(&mut wang.peer, &[public]).await);
    // She cannot change it.
    let doc = wang.peer.replica.docs.get_mut(&public).unwrap();
    doc.put(automerge::ROOT, "title_en", "Mine now").unwrap();
    doc.commit();
    wang.peer.changed(public).await;
    assert!(wang.peer.until(|p| p.read_only.contains(&public), 10).await);

    // An internal article reaches IT's queue only.
    let internal = DocumentId::from_bytes([91; 16]);
    li.peer
        .replica
        .docs
        .insert(internal, article("IT", Audience::Internal));
    li.peer.track(internal).await;
    assert!(li.peer.up_to_date(10).await);
    let li_indexes = li.indexes.clone();
    assert!(
        li.peer
            .until(
                |p| announced_as(p, &li_indexes, internal) == Some(Announced::Article),
                10
            )
            .await,
        "IT's queue index names it"
    );
    for person in [&mut wang, &mut zhou] {
        person.peer.track(internal).await;
        assert!(
            person
                .peer
                .until(|p| p.unavailable.contains(&internal), 10)
                .await
        );
        assert!(!person.peer.seen_on_wire.contains(&internal));
        assert_eq!(announced_as(&person.peer, &person.indexes, internal), None);
    }

    // HR's agent may not start an article in IT's name: it stays his alone.
    let forged = DocumentId::from_bytes([92; 16]);
    zhou.peer
        .replica
        .docs
        .insert(forged, article("IT", Audience::Everyone));
    zhou.peer.track(forged).await;
    assert!(zhou.peer.up_to_date(10).await);
    li.peer.track(forged).await;
    assert!(li.peer.until(|p| p.unavailable.contains(&forged), 10).await);

    // Li makes the public article internal: it leaves everyone's index.
    let doc = li.peer.replica.docs.get_mut(&public).unwrap();
    doc.put(automerge::ROOT, "audience", "internal").unwrap();
    doc.commit();
    li.peer.changed(public).await;
    assert!(li.peer.up_to_date(10).await);
    assert!(
        wang.peer
            .until(|p| announced_as(p, &indexes, public).is_none(), 10)
            .await,
        "withdrawn from everyone's index"
    );
}

#[tokio::test]
async fn approvers_and_people_mentioned_are_let_in_by_their_email_and_nobody_else() {
    use innerdesk_core::domain::automation::{Approval, Decision, PlannedStep};
    use innerdesk_core::domain::Visibility;
    use innerdesk_core::store::ticket_doc::Side;
    let data = temp_dir("approvals");
    let wang_token = add_person(&data, "王芳", "wang@example.cn", "市场部", "requester");
    let zhao_token = add_person(&data, "赵经理", "zhao@example.cn", "市场部", "lead");
    let qian_token = add_person(&data, "钱总监", "qian@example.cn", "总经办", "requester");
    let sun_token = add_person(&data, "孙悦", "sun@example.cn", "市场部", "requester");
    let zhou_token = add_person(&data, "周会计", "zhou@example.cn", "财务部", "agent");
    let relay = Relay::start(&page_dir(), &data);
    let mut wang = sign_in(&relay, &wang_token, "laptop").await;
    let mut zhao = sign_in(&relay, &zhao_token, "phone").await;
    let mut qian = sign_in(&relay, &qian_token, "desk").await;
    let mut sun = sign_in(&relay, &sun_token, "desk").await;
    let mut zhou = sign_in(&relay, &zhou_token, "desk").await;

    // 王芳 files a claim with finance and mentions two people: a colleague of her own department,
    // and a director elsewhere, whom a requester cannot let in.
    let (ticket, doc) = new_ticket(&wang, "王芳", "差旅报销 ¥3,000", "财务部", 40);
    wang.peer.replica.docs.insert(ticket, doc);
    wang.peer.track(ticket).await;
    assert!(wang.peer.up_to_date(10).await);
    change_ticket(&mut wang.peer, ticket, |t| {
        let mentioned = ["sun@example.cn".to_string(), "qian@example.cn".to_string()];
        t.add_comment(
            "@孙悦 @钱总监 FYI",
            Visibility::Public,
            &mentioned,
            ("王芳", &Side::Requester),
            Timestamp(1_500),
        )
        .unwrap()
    })
    .await;

    // Finance asks her manager to approve it, by email (the directory knows emails, not ids).
    assert!(fetch_all(&mut zhou.peer, &[ticket]).await);
    follow_parts(&mut zhou.peer, ticket, true).await;
    let step = |email: &str| PlannedStep {
        email: email.into(),
        name: String::new(),
        manager: true,
    };
    change_ticket(&mut zhou.peer, ticket, |t| {
        t.request_approval(&Approval {
            chain: "Expense claims".into(),
            steps: vec![step("zhao@example.cn")],
            pause_sla: true,
            requested_at: Timestamp(1_800),
            decisions: Default::default(),
        })
        .unwrap()
    })
    .await;

    // The manager and the colleague find it in their own lists and read it.
    for person in [&mut zhao, &mut sun] {
        let indexes = person.indexes.clone();
        assert!(
            person
                .peer
                .until(|p| listed_in(p, &indexes).contains(&ticket), 10)
                .await,
            "{} is told",
            person.id
        );
        assert!(fetch_all(&mut person.peer, &[ticket]).await);
    }

    // 王芳 decides in her own part, as if she were the approver: it counts for nothing. The
    // manager approves in his; everyone on the ticket sees that one.
    follow_parts(&mut wang.peer, ticket, false).await;
    let yes = |by: &str| Decision {
        approve: true,
        by: by.into(),
        at: Timestamp(2_000),
        comment: "同意".into(),
        automatic: false,
    };
    change_ticket(&mut wang.peer, ticket, |t| {
        t.decide(0, &yes("王芳"), Some("wang@example.cn")).unwrap()
    })
    .await;
    follow_parts(&mut zhao.peer, ticket, false).await;
    assert!(
        zhao.peer
            .until(
                |p| ticket_in(p, ticket).is_some_and(|t| t.approval.is_some()),
                10
            )
            .await
    );
    assert!(
        ticket_in(&zhao.peer, ticket)
            .unwrap()
            .approval
            .unwrap()
            .decisions
            .is_empty(),
        "the requester's own decision does not count"
    );
    change_ticket(&mut zhao.peer, ticket, |t| {
        t.decide(0, &yes("赵经理"), Some("zhao@example.cn"))
            .unwrap()
    })
    .await;
    follow_parts(&mut wang.peer, ticket, false).await;
    let approved = |p: &Peer| {
        ticket_in(p, ticket)
            .and_then(|t| t.approval)
            .is_some_and(|a| a.decisions.get(&0).is_some_and(|d| d.by == "赵经理"))
    };
    assert!(
        wang.peer.until(approved, 10).await,
        "the decision reached the requester"
    );

    // The director a requester mentioned never receives a byte of it.
    qian.peer.track(ticket).await;
    assert!(
        qian.peer
            .until(|p| p.unavailable.contains(&ticket), 10)
            .await
    );
    assert!(!qian.peer.seen_on_wire.contains(&ticket));
}

#[tokio::test]
async fn a_ticket_asked_for_before_it_reaches_the_relay_is_sent_when_it_arrives() {
    let data = temp_dir("early-ask");
    let wang_token = add_person(&data, "王芳", "wang@example.cn", "财务部", "requester");
    let li_token = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    let relay = Relay::start(&page_dir(), &data);
    let mut wang = sign_in(&relay, &wang_token, "laptop").await;
    let mut li = sign_in(&relay, &li_token, "desk").await;

    // Li asks for a ticket whose filer's device has not delivered it yet: not there.
    let (ticket, doc) = new_ticket(&wang, "王芳", "打印机卡纸", "IT", 3);
    li.peer.track(ticket).await;
    assert!(li.peer.until(|p| p.unavailable.contains(&ticket), 10).await);

    // 王芳's page asks for the team's part of it at once, as it does for every ticket it holds:
    // the relay starts that part only once the ticket is there.
    let team = part_id(ticket, &Part::Team);
    wang.peer.track(team).await;

    // It arrives; Li's device receives it without asking again, and her page the team's part.
    wang.peer.replica.docs.insert(ticket, doc);
    wang.peer.track(ticket).await;
    assert!(wang.peer.until(|p| p.client.is_settled(ticket), 10).await);
    assert!(
        li.peer
            .until(|p| p.replica.docs.contains_key(&ticket), 10)
            .await,
        "the early asker is served"
    );
    assert!(
        wang.peer
            .until(|p| p.replica.docs.contains_key(&team), 10)
            .await,
        "the part asked for before it existed is sent once it does"
    );

    // Someone who may not read it asked too, and still receives nothing.
    let zhao_token = add_person(&data, "赵敏", "zhao@example.cn", "HR", "agent");
    let mut zhao = sign_in(&relay, &zhao_token, "desk").await;
    let (other, other_doc) = new_ticket(&wang, "王芳", "报销", "财务部", 4);
    zhao.peer.track(other).await;
    assert!(
        zhao.peer
            .until(|p| p.unavailable.contains(&other), 10)
            .await
    );
    wang.peer.replica.docs.insert(other, other_doc);
    wang.peer.track(other).await;
    assert!(wang.peer.up_to_date(10).await);
    zhao.peer.idle(1_000).await;
    assert!(!zhao.peer.replica.docs.contains_key(&other));
    assert!(!zhao.peer.seen_on_wire.contains(&other));
}

#[tokio::test]
async fn a_ticket_of_an_older_schema_is_moved_into_its_parts_and_its_internal_note_stays_with_the_team(
) {
    use innerdesk_core::domain::Visibility;
    let data = temp_dir("legacy");
    let wang_token = add_person(&data, "王芳", "wang@example.cn", "财务部", "requester");
    let li_token = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    let zhao_token = add_person(&data, "赵敏", "zhao@example.cn", "HR", "requester");
    let relay = Relay::start(&page_dir(), &data);

    // 王芳's laptop still holds a ticket saved before tickets had parts: in progress, with an
    // internal note that mentions 赵敏. It reaches the relay as it is.
    let old = automerge::AutoCommit::load(include_bytes!(
        "../../core/tests/fixtures/ticket-schema-1.automerge"
    ))
    .unwrap();
    let ticket: DocumentId = old
        .get(automerge::ROOT, "id")
        .unwrap()
        .unwrap()
        .0
        .into_string()
        .unwrap()
        .parse()
        .unwrap();
    let mut wang = sign_in(&relay, &wang_token, "laptop").await;
    wang.peer.replica.docs.insert(ticket, old);
    wang.peer.track(ticket).await;
    assert!(wang.peer.up_to_date(10).await);

    // The relay moves what the team owned into the team's part and the note into the staff
    // part: the agent reads it all.
    let mut li = sign_in(&relay, &li_token, "desk").await;
    assert!(fetch_all(&mut li.peer, &[ticket]).await);
    follow_parts(&mut li.peer, ticket, true).await;
    let whole = |p: &Peer| {
        ticket_in(p, ticket).is_some_and(|t| {
            t.status == Status::InProgress
                && t.comments
                    .iter()
                    .any(|c| c.visibility == Visibility::Internal)
        })
    };
    assert!(
        li.peer.until(whole, 10).await,
        "the team reads the ticket whole"
    );

    // The requester, on a new device, reads its status; the note stays with the team.
    let mut phone = sign_in(&relay, &wang_token, "phone").await;
    assert!(fetch_all(&mut phone.peer, &[ticket]).await);
    follow_parts(&mut phone.peer, ticket, true).await;
    let staff = part_id(ticket, &Part::Staff);
    assert!(
        phone
            .peer
            .until(|p| p.unavailable.contains(&staff), 10)
            .await
    );
    let read = ticket_in(&phone.peer, ticket).unwrap();
    assert_eq!(read.status, Status::InProgress);
    assert!(read
        .comments
        .iter()
        .all(|c| c.visibility == Visibility::Public));
    assert!(!phone.peer.seen_on_wire.contains(&staff));

    // Whom the old ticket followed, the team let in: 赵敏 still reads it.
    let mut zhao = sign_in(&relay, &zhao_token, "desk").await;
    assert!(fetch_all(&mut zhao.peer, &[ticket]).await);
}

#[tokio::test]
async fn a_role_change_cuts_open_connections_and_they_come_back_with_what_the_new_role_may_see() {
    let data = temp_dir("role-change");
    let wang_token = add_person(&data, "王芳", "wang@example.cn", "财务部", "requester");
    let li_token = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    let relay = Relay::start(&page_dir(), &data);
    let mut wang = sign_in(&relay, &wang_token, "laptop").await;
    let mut li = sign_in(&relay, &li_token, "desk").await;
    let (ticket, doc) = new_ticket(&wang, "王芳", "VPN 连不上", "IT", 1);
    wang.peer.replica.docs.insert(ticket, doc);
    wang.peer.track(ticket).await;
    assert!(wang.peer.up_to_date(10).await);
    assert!(
        li.peer
            .until(|p| listed_in(p, &li.indexes).contains(&ticket), 10)
            .await,
        "the agent sees his queue"
    );

    // Li leaves the service desk for finance, as a requester.
    let said = admin(
        &data,
        &[
            "people",
            "set",
            "li@example.cn",
            "--role",
            "requester",
            "--department",
            "财务部",
        ],
    );
    assert!(said.contains("requester in 财务部"), "{said}");
    assert!(li.peer.until(|p| p.is_closed(), 5).await, "still open");
    assert!(
        li.peer
            .errors
            .join("; ")
            .contains("role or department changed"),
        "{:?}",
        li.peer.errors
    );

    // His device connects again (its token is still good) and reads as a requester.
    let mut li = sign_in(&relay, &li_token, "desk").await;
    assert!(!li.indexes.is_empty());
    li.peer.track(ticket).await;
    assert!(
        li.peer.until(|p| p.unavailable.contains(&ticket), 10).await,
        "the IT ticket is no longer his"
    );
    assert!(!li.peer.replica.docs.contains_key(&ticket));
    let indexes = li.indexes.clone();
    let settled = |p: &Peer| {
        indexes
            .iter()
            .all(|i| p.replica.docs.contains_key(i) || p.unavailable.contains(i))
    };
    assert!(li.peer.until(settled, 10).await);
    assert!(!listed(&li).contains(&ticket), "nor is it in his lists");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_device_back_from_offline_delivers_hundreds_of_documents_at_once_and_all_are_kept() {
    let data = temp_dir("catch-up");
    let token = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    let mut relay = Relay::start(&page_dir(), &data);
    let (person, _) = relay.session(&token);
    let mut device = Peer::connect(&relay.addr, &token, &person, "laptop")
        .await
        .unwrap();
    // More than one batch of changes sharing a sync to disk.
    let ids: Vec<DocumentId> = (0..600u32)
        .map(|n| {
            let mut bytes = [7u8; 16];
            bytes[..4].copy_from_slice(&n.to_be_bytes());
            DocumentId::from_bytes(bytes)
        })
        .collect();
    for (n, id) in ids.iter().enumerate() {
        device
            .replica
            .docs
            .insert(*id, document_of_kind("note", &format!("filed offline {n}")));
    }
    for id in &ids {
        device.track(*id).await;
    }
    assert!(
        device
            .until(|p| ids.iter().all(|id| p.client.is_settled(*id)), 30)
            .await,
        "{} of {} acknowledged",
        ids.iter()
            .filter(|id| device.client.is_settled(**id))
            .count(),
        ids.len()
    );
    relay.kill_and_restart(&page_dir());
    let mut fresh = Peer::connect(&relay.addr, &token, &person, "phone")
        .await
        .unwrap();
    assert!(fetch_all(&mut fresh, &ids).await, "all of them were kept");
}

/// Enrols a device with a sign-in link: its own credential.
fn enrol(relay: &Relay, link: &str, device: &str) -> String {
    let (status, _, body) = relay.call(
        "POST",
        "/api/devices",
        Some(link),
        Some(&format!(r#"{{"device":"{device}"}}"#)),
    );
    assert_eq!(status, 200, "{body}");
    let json: serde_json::Value = serde_json::from_str(&common::dechunk(&body)).unwrap();
    assert_eq!(json["device"], device);
    json["credential"].as_str().unwrap().to_string()
}

fn ticket_for(relay: &Relay, credential: &str) -> String {
    let session = relay.session_json(credential);
    session["ticket"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_socket_opens_with_a_one_use_ticket_never_a_token_in_its_address() {
    let data = temp_dir("tickets");
    let link = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    let relay = Relay::start(&page_dir(), &data);
    let (id, _) = relay.session(&link);

    // A long-lived secret in the address is refused outright, even a valid one.
    let (status, _, body) = relay.request(&format!("/sync?token={link}&device=desk"), None);
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Authorization header"), "{body}");

    let laptop = enrol(&relay, &link, "laptop");
    let ticket = ticket_for(&relay, &laptop);
    let peer = Peer::connect_with_ticket(&relay.addr, &ticket, &id, "laptop")
        .await
        .expect("a fresh ticket opens the socket");
    let mut li = Person {
        id: id.clone(),
        token: laptop.clone(),
        indexes: Vec::new(),
        peer,
    };
    let (doc_id, doc) = new_ticket(&li, "Li Lei", "打印机卡纸", "IT", 1);
    li.peer.replica.docs.insert(doc_id, doc);
    li.peer.track(doc_id).await;
    assert!(li.peer.up_to_date(10).await, "the ticketed socket syncs");

    // Used up: the same ticket opens nothing again, nor does a made-up one.
    for used in [ticket.as_str(), "idt_made_up"] {
        assert_eq!(
            Peer::connect_with_ticket(&relay.addr, used, &id, "laptop")
                .await
                .err(),
            Some(401)
        );
    }
    // The ticket speaks for the device it was issued to: the peer id must be that device's.
    let ticket = ticket_for(&relay, &laptop);
    let posing = Peer::connect_with_ticket(&relay.addr, &ticket, &id, "phone").await;
    assert!(posing.is_err(), "a laptop's ticket joined as the phone");
}

#[tokio::test]
async fn each_device_is_listed_and_revoked_alone_and_a_revoked_one_is_cut_at_once() {
    let data = temp_dir("devices");
    let link = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    let wang_link = add_person(&data, "王芳", "wang@example.cn", "财务部", "requester");
    let admin_link = add_person(&data, "Root", "root@example.cn", "IT", "admin");
    let relay = Relay::start(&page_dir(), &data);
    let (id, _) = relay.session(&link);
    let laptop = enrol(&relay, &link, "laptop");
    let phone = enrol(&relay, &link, "phone");
    let wang_phone = enrol(&relay, &wang_link, "phone");

    // A device's credential cannot mint more credentials: a stolen one ends when revoked.
    let (status, _, _) = relay.call(
        "POST",
        "/api/devices",
        Some(&phone),
        Some(r#"{"device":"another"}"#),
    );
    assert_eq!(status, 403);

    // Li sees his two devices, the one asking marked, named after the browser.
    let (status, _, body) = relay.request("/api/devices", Some(&laptop));
    assert_eq!(status, 200);
    let listed: serde_json::Value = serde_json::from_str(&common::dechunk(&body)).unwrap();
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2, "{listed:?}");
    let current: Vec<_> = listed.iter().filter(|d| d["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], "laptop");
    assert_eq!(current[0]["label"], "Firefox on Linux");
    // Everyone's devices are for admins only.
    assert_eq!(
        relay.request("/api/devices?everyone=true", Some(&laptop)).0,
        403
    );
    let (_, _, body) = relay.request("/api/devices?everyone=true", Some(&admin_link));
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&common::dechunk(&body))
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // 王芳 cannot revoke Li's phone; a device that does not exist answers as not found.
    let revoke = |who: &str, device: &str, by: &str| {
        relay
            .call(
                "DELETE",
                &format!("/api/devices/{who}/{device}"),
                Some(by),
                None,
            )
            .0
    };
    assert_eq!(revoke(&id, "phone", &wang_phone), 403);
    assert_eq!(revoke(&id, "tablet", &laptop), 404);

    // The phone syncs; Li revokes it from his laptop; its socket is cut within seconds and
    // its credential refused, while the laptop stays signed in.
    let mut on_phone =
        Peer::connect_with_ticket(&relay.addr, &ticket_for(&relay, &phone), &id, "phone")
            .await
            .unwrap();
    assert_eq!(revoke(&id, "phone", &laptop), 204);
    assert!(on_phone.until(|p| p.is_closed(), 5).await, "still open");
    assert_eq!(relay.request("/api/session", Some(&phone)).0, 401);
    assert_eq!(relay.request("/api/session", Some(&laptop)).0, 200);
    // A ticket issued just before the revocation is worth nothing after it.
    let ticket = ticket_for(&relay, &laptop);
    let (root, _) = relay.session(&admin_link);
    assert_eq!(
        revoke(&id, "laptop", &admin_link),
        204,
        "{root} revokes for Li"
    );
    assert_eq!(
        Peer::connect_with_ticket(&relay.addr, &ticket, &id, "laptop")
            .await
            .err(),
        Some(401)
    );

    // The shell sees and revokes devices too.
    let listed = admin(&data, &["people", "devices", "wang@example.cn"]);
    assert!(
        listed.contains("phone") && listed.contains("Firefox on Linux"),
        "{listed}"
    );
    admin(
        &data,
        &["people", "revoke-device", "wang@example.cn", "phone"],
    );
    assert_eq!(relay.request("/api/session", Some(&wang_phone)).0, 401);
    // The link itself still enrols a new device.
    enrol(&relay, &wang_link, "new-phone");
}

#[tokio::test]
async fn a_device_unused_past_its_limit_must_sign_in_again() {
    let data = temp_dir("lapse");
    let link = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    let relay = Relay::start_with(
        &page_dir(),
        &data,
        "127.0.0.1:0",
        &["--device-idle-days", "0"],
    );
    let laptop = enrol(&relay, &link, "laptop");
    assert_eq!(relay.request("/api/session", Some(&laptop)).0, 200, "fresh");
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    let (status, _, body) = relay.request("/api/session", Some(&laptop));
    assert_eq!(status, 401, "{body}");
    // The link enrols the device again.
    let again = enrol(&relay, &link, "laptop");
    assert_eq!(relay.request("/api/session", Some(&again)).0, 200);
}

/// The voters the relay counted for a suggestion, as the index everyone reads says.
fn counted_voters(person: &Person, suggestion: &str) -> Option<Vec<String>> {
    use innerdesk_core::store::voice_doc::VOTE_COUNTS;
    person.indexes.iter().find_map(|index| {
        let doc = person.peer.replica.docs.get(index)?;
        let (_, map) = doc.get(automerge::ROOT, VOTE_COUNTS).ok()??;
        let (value, _) = doc.get(&map, suggestion).ok()??;
        serde_json::from_str(&value.into_scalar().ok()?.into_string().ok()?).ok()
    })
}

#[tokio::test]
async fn a_vote_counts_only_when_its_voter_cast_it() {
    use innerdesk_core::domain::voice::suggestions::Suggestion;
    use innerdesk_core::store::voice_doc::{create, suggest, vote, BOARD};
    let data = temp_dir("votes");
    let wang_token = add_person(&data, "王芳", "wang@example.cn", "财务部", "requester");
    let li_token = add_person(&data, "Li Lei", "li@example.cn", "IT", "agent");
    let relay = Relay::start(&page_dir(), &data);
    let mut wang = sign_in(&relay, &wang_token, "laptop").await;
    let mut li = sign_in(&relay, &li_token, "desk").await;

    // 王芳 starts the board with a suggestion and votes for it.
    let board_id = DocumentId::from_bytes([77; 16]);
    let mut board = create(BOARD).unwrap();
    let idea = Suggestion {
        id: "s1".into(),
        text: "食堂增加素食".into(),
        department: "行政部".into(),
        author: String::new(),
        at: Timestamp(1),
    };
    suggest(&mut board, &idea).unwrap();
    vote(&mut board, "s1", &wang.id, true).unwrap();
    wang.peer.replica.docs.insert(board_id, board);
    wang.peer.track(board_id).await;
    assert!(wang.peer.up_to_date(10).await);
    let (wang_id, li_id) = (wang.id.clone(), li.id.clone());
    assert_eq!(
        wait_for_voters(&mut wang, "s1", &[&wang_id]).await,
        Some(vec![wang_id.clone()]),
        "her vote counts"
    );

    // Li, with a raw client, writes three votes in made-up names and withdraws hers: the board
    // says so, the count does not.
    li.peer.track(board_id).await;
    assert!(fetch_all(&mut li.peer, &[board_id]).await);
    let doc = li.peer.replica.docs.get_mut(&board_id).unwrap();
    for forged in ["p-nobody", "p-also", &wang_id] {
        vote(doc, "s1", forged, true).unwrap();
    }
    vote(doc, "s1", &wang_id, false).unwrap();
    vote(doc, "s1", &li_id, true).unwrap();
    li.peer.changed(board_id).await;
    assert!(li.peer.up_to_date(10).await);
    let mut both = [wang_id.clone(), li_id.clone()];
    both.sort();
    let both: Vec<&str> = both.iter().map(String::as_str).collect();
    assert_eq!(
        wait_for_voters(&mut li, "s1", &both).await,
        Some(both.iter().map(|s| s.to_string()).collect()),
        "his own vote counts, and hers still does"
    );
}

/// Waits up to five seconds for the counted voters of a suggestion to be `expected`; returns
/// what they were last.
async fn wait_for_voters(
    person: &mut Person,
    suggestion: &str,
    expected: &[&str],
) -> Option<Vec<String>> {
    let mut counted = None;
    for _ in 0..50 {
        person.peer.idle(100).await;
        counted = counted_voters(person, suggestion);
        if counted.as_ref().is_some_and(|c| c == expected) {
            break;
        }
    }
    counted
}
