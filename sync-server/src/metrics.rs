//! Counters for `/metrics`, in Prometheus' text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

#[derive(Default)]
pub struct Metrics {
    connections_total: AtomicU64,
    connections_open: AtomicI64,
    sign_ins_refused_total: AtomicU64,
    connections_cut_total: AtomicU64,
    sync_messages_received_total: AtomicU64,
    sync_bytes_received_total: AtomicU64,
    sync_messages_sent_total: AtomicU64,
    sync_bytes_sent_total: AtomicU64,
    documents_open: AtomicI64,
    /// Deliveries refused, by quota (in the order of `OverQuota::NAMES`).
    quota_refusals_total: [AtomicU64; 4],
}

impl Metrics {
    pub fn connected(&self) {
        self.connections_total.fetch_add(1, Relaxed);
        self.connections_open.fetch_add(1, Relaxed);
    }

    pub fn disconnected(&self) {
        self.connections_open.fetch_sub(1, Relaxed);
    }

    pub fn sign_in_refused(&self) {
        self.sign_ins_refused_total.fetch_add(1, Relaxed);
    }

    pub fn connection_cut(&self) {
        self.connections_cut_total.fetch_add(1, Relaxed);
    }

    pub fn sync_received(&self, bytes: usize) {
        self.sync_messages_received_total.fetch_add(1, Relaxed);
        self.sync_bytes_received_total
            .fetch_add(bytes as u64, Relaxed);
    }

    pub fn sync_sent(&self, bytes: usize) {
        self.sync_messages_sent_total.fetch_add(1, Relaxed);
        self.sync_bytes_sent_total.fetch_add(bytes as u64, Relaxed);
    }

    pub fn quota_refused(&self, over: &crate::quota::OverQuota) {
        self.quota_refusals_total[over.index()].fetch_add(1, Relaxed);
    }

    pub fn document_opened(&self) {
        self.documents_open.fetch_add(1, Relaxed);
    }

    pub fn document_closed(&self) {
        self.documents_open.fetch_sub(1, Relaxed);
    }

    /// The text `/metrics` answers with; `documents_known` comes from the registry.
    pub fn render(&self, documents_known: usize) -> String {
        let counters: [(&str, &str, &str, i64); 10] = [
            (
                "innerdesk_connections_total",
                "counter",
                "WebSocket connections accepted",
                load(&self.connections_total),
            ),
            (
                "innerdesk_connections_open",
                "gauge",
                "WebSocket connections open now",
                self.connections_open.load(Relaxed),
            ),
            (
                "innerdesk_sign_ins_refused_total",
                "counter",
                "connections refused for a missing, wrong or revoked token",
                load(&self.sign_ins_refused_total),
            ),
            (
                "innerdesk_connections_cut_total",
                "counter",
                "connections closed for malformed or oversize input",
                load(&self.connections_cut_total),
            ),
            (
                "innerdesk_sync_messages_received_total",
                "counter",
                "sync messages received",
                load(&self.sync_messages_received_total),
            ),
            (
                "innerdesk_sync_bytes_received_total",
                "counter",
                "bytes of sync messages received",
                load(&self.sync_bytes_received_total),
            ),
            (
                "innerdesk_sync_messages_sent_total",
                "counter",
                "sync messages sent",
                load(&self.sync_messages_sent_total),
            ),
            (
                "innerdesk_sync_bytes_sent_total",
                "counter",
                "bytes of sync messages sent",
                load(&self.sync_bytes_sent_total),
            ),
            (
                "innerdesk_documents_open",
                "gauge",
                "documents held in memory",
                self.documents_open.load(Relaxed),
            ),
            (
                "innerdesk_documents_known",
                "gauge",
                "documents the relay has access facts for",
                documents_known as i64,
            ),
        ];
        let mut out = String::new();
        for (name, kind, help, value) in counters {
            let _ = write!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"
            );
        }
        let name = "innerdesk_quota_refusals_total";
        let _ = write!(
            out,
            "# HELP {name} deliveries refused for a person's quota\n# TYPE {name} counter\n"
        );
        for (quota, count) in crate::quota::OverQuota::NAMES
            .iter()
            .zip(&self.quota_refusals_total)
        {
            let _ = writeln!(out, "{name}{{quota=\"{quota}\"}} {}", load(count));
        }
        out
    }
}

fn load(counter: &AtomicU64) -> i64 {
    counter.load(Relaxed) as i64
}
