//! Accounts from the directory, tried over the wire against the real relay: the run command's
//! first administrator, invitations that enrol one device once, roles and deactivation set in the
//! directory document (only an administrator's edit counts), all with raw clients.

mod common;

use common::{admin, dechunk, page_dir, temp_dir, Peer, Relay, BINARY};
use innerdesk_core::access::Role;
use innerdesk_core::domain::directory::{Department, DepartmentId, Directory, Member};
use innerdesk_core::domain::DocumentId;
use innerdesk_core::store::directory_doc;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};

fn directory_id() -> DocumentId {
    DocumentId::from_bytes([77; 16])
}

/// The token of the sign-in link a command printed.
fn link_token(printed: &str) -> String {
    printed
        .lines()
        .find_map(|l| {
            l.split_once("/#/signin/")
                .map(|(_, t)| t.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no sign-in link in {printed:?}"))
}

/// What `POST /api/devices` answers for this secret: status and body.
fn enrol(relay: &Relay, secret: &str, device: &str) -> (u16, Value) {
    let body = json!({ "device": device }).to_string();
    let (status, _, text) = relay.call("POST", "/api/devices", Some(secret), Some(&body));
    (status, serde_json::from_str(&dechunk(&text)).unwrap())
}

fn enrolled(relay: &Relay, invitation: &str, device: &str) -> String {
    let (status, body) = enrol(relay, invitation, device);
    assert_eq!(status, 200, "{body}");
    body["credential"].as_str().unwrap().to_string()
}

fn person(email: &str, name: &str, department: &str, role: Role) -> Member {
    Member {
        email: email.into(),
        name: name.into(),
        department: DepartmentId(department.into()),
        manager: None,
        role,
        deactivated: false,
    }
}

fn directory(people: &[Member]) -> Directory {
    let mut directory = Directory::default();
    for name in ["IT", "财务部"] {
        let id = DepartmentId(name.into());
        let department = Department {
            id: id.clone(),
            name: name.into(),
            parent: None,
        };
        directory.departments.insert(id, department);
    }
    for member in people {
        directory
            .people
            .insert(member.email.clone(), member.clone());
    }
    directory
}

/// Writes the directory into the peer's copy of the organisation's directory document and
/// delivers the change.
async fn publish(peer: &mut Peer, wanted: &Directory) {
    let doc = peer
        .replica
        .docs
        .entry(directory_id())
        .or_insert_with(|| directory_doc::create().unwrap());
    directory_doc::save_directory(doc, wanted).unwrap();
    peer.track(directory_id()).await;
    peer.changed(directory_id()).await;
    assert!(peer.up_to_date(10).await, "the directory was delivered");
}

/// Asks for invitations until the relay has read the directory that lists these people.
fn invite(relay: &Relay, admin: &str, emails: &[&str], expected: usize) -> Value {
    let body = json!({ "emails": emails }).to_string();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, _, text) = relay.call("POST", "/api/invitations", Some(admin), Some(&body));
        assert_eq!(status, 200, "{text}");
        let answer: Value = serde_json::from_str(&dechunk(&text)).unwrap();
        if answer["invitations"].as_array().unwrap().len() == expected || Instant::now() > deadline
        {
            return answer;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn token_of(invited: &Value, email: &str) -> String {
    invited["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["email"] == email)
        .and_then(|i| i["token"].as_str())
        .unwrap_or_else(|| panic!("no invitation for {email} in {invited}"))
        .to_string()
}

/// The first administrator, as the run command makes them, signed in on a device.
async fn first_admin(data: &Path, relay: &Relay) -> (String, Peer) {
    let printed = admin(data, &["people", "first-admin", "--url", "http://x"]);
    let invitation = link_token(&printed);
    let credential = enrolled(relay, &invitation, "desk");
    let id = relay.session_json(&credential)["person"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let peer = Peer::connect(&relay.addr, &credential, &id, "desk")
        .await
        .expect("the administrator connects");
    (credential, peer)
}

#[tokio::test]
async fn an_administrator_invites_directory_people_and_each_link_enrols_one_device_once() {
    let data = temp_dir("invitations");
    let relay = Relay::start(&page_dir(), &data);
    let printed = admin(&data, &["people", "first-admin", "--url", "http://x"]);
    assert!(printed.contains("admin@localhost"), "{printed}");
    let invitation = link_token(&printed);

    // The link says whose it is without enrolling, and never opens a socket.
    let session = relay.session_json(&invitation);
    assert_eq!(session["person"]["role"], "admin");
    assert_eq!(session["ticket"], "");
    let id = session["person"]["id"].as_str().unwrap().to_string();
    assert_eq!(
        Peer::connect(&relay.addr, &invitation, &id, "desk")
            .await
            .err(),
        Some(403)
    );
    let (status, _, _) = relay.call("POST", "/api/invitations", Some(&invitation), Some("{}"));
    assert_eq!(status, 403, "an invitation only enrols");

    // It enrols one device, once: the second use is told when and where it was used.
    let credential = enrolled(&relay, &invitation, "desk");
    let (status, spent) = enrol(&relay, &invitation, "thief");
    assert_eq!(status, 410, "{spent}");
    assert_eq!(spent["spent"], "used");
    assert!(spent["device"].as_str().unwrap().contains("Firefox"));
    let (status, _, body) = relay.request("/api/session", Some(&invitation));
    assert_eq!(status, 410, "{body}");
    let again = admin(&data, &["people", "first-admin"]);
    assert!(again.contains("signed in already"), "{again}");
    assert!(!again.contains("/#/signin/"), "{again}");

    // The administrator publishes a directory and invites from it.
    let mut root = Peer::connect(&relay.addr, &credential, &id, "desk")
        .await
        .unwrap();
    let mut zhao = person("zhao@example.cn", "赵六", "IT", Role::Agent);
    zhao.deactivated = true;
    let people = [
        person("wang@example.cn", "王芳", "财务部", Role::Requester),
        person("li@example.cn", "李雷", "IT", Role::Agent),
        zhao,
    ];
    publish(&mut root, &directory(&people)).await;
    let invited = invite(
        &relay,
        &credential,
        &[
            "Wang@Example.cn",
            "li@example.cn",
            "zhao@example.cn",
            "x@example.cn",
        ],
        2,
    );
    let refused = invited["refused"].as_array().unwrap();
    assert!(
        refused.contains(&json!(["zhao@example.cn", "deactivated"])),
        "{invited}"
    );
    assert!(
        refused.contains(&json!(["x@example.cn", "not_listed"])),
        "{invited}"
    );

    // 王芳's link makes her account what the directory says.
    let wang_link = token_of(&invited, "wang@example.cn");
    let wang = enrolled(&relay, &wang_link, "laptop");
    let session = relay.session_json(&wang);
    assert_eq!(
        (&session["person"]["role"], &session["person"]["department"]),
        (&json!("requester"), &json!("财务部"))
    );
    assert!(!session["ticket"].as_str().unwrap().is_empty());
    let (status, _, _) = relay.call(
        "POST",
        "/api/invitations",
        Some(&wang),
        Some(r#"{"emails":[]}"#),
    );
    assert_eq!(status, 403, "only admins invite");
    assert_eq!(relay.request("/api/people", Some(&wang)).0, 403);

    // A new link for 李雷 replaces the first; the list shows who is where.
    let first_li = token_of(&invited, "li@example.cn");
    let again = invite(&relay, &credential, &["li@example.cn"], 1);
    let (status, spent) = enrol(&relay, &first_li, "desk");
    assert_eq!((status, &spent["spent"]), (410, &json!("replaced")));
    enrolled(&relay, &token_of(&again, "li@example.cn"), "desk");
    let (status, _, body) = relay.request("/api/people", Some(&credential));
    assert_eq!(status, 200);
    let accounts: Value = serde_json::from_str(&dechunk(&body)).unwrap();
    let of = |email: &str| {
        accounts
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["email"] == email)
            .cloned()
            .unwrap_or_else(|| panic!("{email} in {accounts}"))
    };
    assert_eq!(
        (
            of("wang@example.cn")["devices"].as_u64(),
            of("li@example.cn")["devices"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert!(of("admin@localhost")["invited_until"].is_null());

    // An invitation expires: with a lifetime of zero days it never works.
    let expired = std::process::Command::new(BINARY)
        .arg("--data-dir")
        .arg(&data)
        .args([
            "--invitation-days",
            "0",
            "people",
            "invite",
            "wang@example.cn",
        ])
        .output()
        .unwrap();
    let expired = link_token(&String::from_utf8(expired.stdout).unwrap());
    let (status, spent) = enrol(&relay, &expired, "phone");
    assert_eq!((status, &spent["spent"]), (410, &json!("expired")));
}

#[tokio::test]
async fn the_directory_sets_roles_and_deactivation_cuts_at_once_but_only_from_an_admin() {
    let data = temp_dir("deactivate");
    let relay = Relay::start(&page_dir(), &data);
    let (root, mut root_peer) = first_admin(&data, &relay).await;
    let mut people = vec![person("wang@example.cn", "王芳", "财务部", Role::Requester)];
    publish(&mut root_peer, &directory(&people)).await;
    let invited = invite(&relay, &root, &["wang@example.cn"], 1);
    let wang = enrolled(&relay, &token_of(&invited, "wang@example.cn"), "laptop");
    let wang_id = relay.session_json(&wang)["person"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    // 王芳 edits the directory document herself to make herself an admin: the relay does not
    // take her change, and her role stays.
    let mut forger = Peer::connect(&relay.addr, &wang, &wang_id, "laptop")
        .await
        .unwrap();
    forger.track(directory_id()).await;
    assert!(
        forger
            .until(|p| p.replica.docs.contains_key(&directory_id()), 10)
            .await
    );
    let mut forged = people.clone();
    forged[0].role = Role::Admin;
    let doc = forger.replica.docs.get_mut(&directory_id()).unwrap();
    directory_doc::save_directory(doc, &directory(&forged)).unwrap();
    forger.changed(directory_id()).await;
    forger.idle(1_500).await;
    assert!(
        forger.read_only.contains(&directory_id()),
        "told it is read-only"
    );
    assert_eq!(relay.session_json(&wang)["person"]["role"], "requester");
    drop(forger);

    // The administrator makes her an agent of IT: her open connection is cut, and she
    // reconnects as what the directory says.
    let mut open = Peer::connect(&relay.addr, &wang, &wang_id, "laptop")
        .await
        .unwrap();
    people[0].role = Role::Agent;
    people[0].department = DepartmentId("IT".into());
    publish(&mut root_peer, &directory(&people)).await;
    assert!(open.until(|p| p.is_closed(), 5).await, "still open");
    assert!(open.errors.join(";").contains("role"), "{:?}", open.errors);
    let session = relay.session_json(&wang);
    assert_eq!(
        (&session["person"]["role"], &session["person"]["department"]),
        (&json!("agent"), &json!("IT"))
    );

    // Deactivated: cut within seconds, refused from then on, and no new link can be made.
    let mut open = Peer::connect(&relay.addr, &wang, &wang_id, "laptop")
        .await
        .unwrap();
    people[0].deactivated = true;
    publish(&mut root_peer, &directory(&people)).await;
    assert!(open.until(|p| p.is_closed(), 5).await, "still open");
    assert!(
        open.errors.join(";").contains("revoked"),
        "{:?}",
        open.errors
    );
    assert_eq!(relay.request("/api/session", Some(&wang)).0, 401);
    let refused = invite(&relay, &root, &["wang@example.cn"], 0);
    assert_eq!(
        refused["refused"],
        json!([["wang@example.cn", "deactivated"]])
    );
    let listed = admin(&data, &["people", "list"]);
    assert!(listed.contains("deactivated"), "{listed}");

    // The last administrator cannot be demoted by the directory.
    people.push(person(
        "admin@localhost",
        "Administrator",
        "IT",
        Role::Requester,
    ));
    publish(&mut root_peer, &directory(&people)).await;
    root_peer.idle(1_500).await;
    assert_eq!(relay.session_json(&root)["person"]["role"], "admin");
}
