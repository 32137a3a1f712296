//! The IndexedDB store in a real browser: the same conformance story as the memory store, plus
//! durability across connections.
//!
//! Run with `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown --test web_storage`.
#![cfg(target_arch = "wasm32")]

use innerdesk::domain::{DocumentId, Priority, Profile, TicketDraft, Timestamp};
use innerdesk::storage::documents::conformance;
use innerdesk::storage::indexeddb::IdbStore;
use innerdesk::storage::ChunkStore;
use innerdesk::store::desk::{load_ticket, open_desk, Problem};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

async fn fresh(name: &str) -> IdbStore {
    IdbStore::delete(name).await.unwrap();
    IdbStore::open(name).await.unwrap()
}

#[wasm_bindgen_test]
async fn write_reopen_and_compact() {
    conformance::write_reopen_compact(&fresh("conformance-compact").await).await;
}

#[wasm_bindgen_test]
async fn corrupt_document_is_skipped() {
    conformance::corrupt_document_is_skipped(&fresh("conformance-corrupt").await).await;
}

#[wasm_bindgen_test]
async fn corrupt_increment_is_reported() {
    conformance::corrupt_increment_is_reported(&fresh("conformance-increment").await).await;
}

#[wasm_bindgen_test]
async fn settings_round_trip() {
    conformance::settings_round_trip(&fresh("conformance-settings").await).await;
}

fn counter() -> impl FnMut() -> DocumentId {
    let mut n = 0u8;
    move || {
        n += 1;
        DocumentId::from_bytes([n; 16])
    }
}

/// A desk written through one connection is read back whole through a brand-new one, as after a reload.
#[wasm_bindgen_test]
async fn desk_survives_a_new_connection() {
    let first = fresh("desk-reopen").await;
    let mut ids = counter();
    let (mut desk, _) = open_desk(&first, &mut ids).await.unwrap();
    desk.set_profile(Profile::new("王芳", "财务部").unwrap())
        .unwrap();
    let ticket = DocumentId::from_bytes([200; 16]);
    let draft = TicketDraft {
        title: "报销单无法提交".into(),
        description: "点击提交后没有反应".into(),
        requester: "王芳".into(),
        department: "IT".into(),
        category: "".into(),
        priority: Priority::High,
        ..Default::default()
    };
    desk.create_ticket(ticket, &draft, Timestamp(1_000))
        .unwrap();
    desk.add_comment(
        ticket,
        "已重启浏览器",
        innerdesk::domain::Visibility::Public,
        Timestamp(2_000),
    )
    .unwrap();
    for plan in desk.pending_writes() {
        first.write(plan.batch.clone()).await.unwrap();
        desk.saved(plan);
    }
    assert!(!desk.has_unsaved());
    first.close();

    let second = IdbStore::open("desk-reopen").await.unwrap();
    let (mut reopened, problems) = open_desk(&second, &mut ids).await.unwrap();
    assert_eq!(problems, Vec::<Problem>::new());
    assert_eq!(reopened.profile().unwrap().department, "财务部");
    assert_eq!(reopened.rows().len(), 1);
    assert_eq!(reopened.rows()[0].0.comment_count, 1);
    let loaded = load_ticket(&second, ticket).await.unwrap().unwrap();
    reopened.insert_loaded(loaded).unwrap();
    let read = reopened.ticket(ticket).unwrap().unwrap();
    assert_eq!(read.title, "报销单无法提交");
    assert_eq!(read.comments[0].body, "已重启浏览器");
}

/// Damaged bytes under one ticket do not stop the desk or other tickets from loading.
#[wasm_bindgen_test]
async fn damaged_ticket_does_not_block_the_desk() {
    let store = fresh("desk-damaged").await;
    let mut ids = counter();
    let (mut desk, _) = open_desk(&store, &mut ids).await.unwrap();
    desk.set_profile(Profile::new("Ann", "HR").unwrap())
        .unwrap();
    let (good, bad) = (
        DocumentId::from_bytes([100; 16]),
        DocumentId::from_bytes([101; 16]),
    );
    let draft = |t: &str| TicketDraft {
        title: t.into(),
        description: "".into(),
        requester: "Ann".into(),
        department: "IT".into(),
        category: "".into(),
        priority: Priority::Normal,
        ..Default::default()
    };
    desk.create_ticket(good, &draft("good"), Timestamp(1))
        .unwrap();
    desk.create_ticket(bad, &draft("bad"), Timestamp(2))
        .unwrap();
    for plan in desk.pending_writes() {
        store.write(plan.batch.clone()).await.unwrap();
        desk.saved(plan);
    }
    for (key, _) in store.load_chunks(bad).await.unwrap() {
        store
            .put_raw(&key.to_string(), b"\x85\x6f\x4a\x83garbage")
            .await
            .unwrap();
    }
    let (reopened, problems) = open_desk(&store, &mut ids).await.unwrap();
    assert!(
        problems.is_empty(),
        "the desk and index are intact: {problems:?}"
    );
    assert_eq!(reopened.rows().len(), 2, "both rows still list");
    assert!(
        load_ticket(&store, bad).await.is_err(),
        "the damaged ticket is reported"
    );
    assert!(
        load_ticket(&store, good).await.unwrap().is_some(),
        "the other ticket loads"
    );
}
