//! One-use socket tickets. A browser cannot set headers on a WebSocket, so the page asks
//! `/api/session` (with its credential in a header) for a ticket and opens the socket with that:
//! a secret that may end up in a proxy's access log is useless by the time anyone reads it.

use crate::people::Credential;
use innerdesk_core::access::PersonId;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a ticket waits to be used: a page opens its socket right after asking.
const TICKET_LIFETIME: Duration = Duration::from_secs(30);

/// What a ticket lets its holder do, once: open one socket as this person from this device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub person: PersonId,
    pub credential: Credential,
    pub device: String,
}

#[derive(Default)]
pub struct SocketTickets {
    /// By the ticket's hash, so a lookup's timing says nothing of the ticket.
    open: Mutex<HashMap<[u8; 32], (Ticket, Instant)>>,
}

impl SocketTickets {
    pub fn issue(&self, ticket: Ticket, now: Instant) -> String {
        let secret = format!("idt_{}", bs58::encode(random_bytes()).into_string());
        let mut open = self.open.lock().unwrap();
        open.retain(|_, (_, issued)| now.duration_since(*issued) <= TICKET_LIFETIME);
        open.insert(crate::routes::sha256(&secret), (ticket, now));
        secret
    }

    /// The ticket's grant, if it is one not used yet and not too old; it is used up either way.
    pub fn redeem(&self, secret: &str, now: Instant) -> Option<Ticket> {
        let (ticket, issued) = self
            .open
            .lock()
            .unwrap()
            .remove(&crate::routes::sha256(secret))?;
        (now.duration_since(issued) <= TICKET_LIFETIME).then_some(ticket)
    }
}

fn random_bytes() -> [u8; 24] {
    let mut bytes = [0; 24];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    bytes
}

/// What a device is, in a person's words, from its browser's `User-Agent`: "Edge on Windows".
pub fn device_label(user_agent: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
    ]
    .into_iter()
    .find(|(mark, _)| user_agent.contains(mark))
    .map(|(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(mark, _)| user_agent.contains(mark))
    .map(|(_, name)| name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} on {s}"),
        (Some(one), None) | (None, Some(one)) => one.into(),
        (None, None) => user_agent.chars().take(40).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket() -> Ticket {
        Ticket {
            person: PersonId("p1".into()),
            credential: Credential {
                hash: "h".into(),
                device: Some("laptop".into()),
                invitation: false,
            },
            device: "laptop".into(),
        }
    }

    #[test]
    fn a_ticket_opens_one_socket_and_only_while_fresh() {
        let tickets = SocketTickets::default();
        let now = Instant::now();
        let first = tickets.issue(ticket(), now);
        assert_eq!(tickets.redeem(&first, now), Some(ticket()));
        assert_eq!(tickets.redeem(&first, now), None, "used up");
        let late = tickets.issue(ticket(), now);
        assert_eq!(tickets.redeem(&late, now + TICKET_LIFETIME * 2), None);
        assert_eq!(tickets.redeem("idt_made_up", now), None);
        // Stale tickets do not pile up.
        for _ in 0..100 {
            tickets.issue(ticket(), now);
        }
        tickets.issue(ticket(), now + TICKET_LIFETIME * 2);
        assert_eq!(tickets.open.lock().unwrap().len(), 1);
    }

    #[test]
    fn devices_are_named_as_people_know_them() {
        let windows = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0";
        assert_eq!(device_label(windows), "Edge on Windows");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(device_label(iphone), "Safari on iPhone");
        let android = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36";
        assert_eq!(device_label(android), "Chrome on Android");
        assert_eq!(device_label("curl/8.0"), "curl/8.0");
    }
}
