//! Group commit: a change is acknowledged only once it is on disk for good, and everything
//! written while one sync runs shares the next one, so the cost of a sync is spread over every
//! message that arrived meanwhile instead of paid by each.

use crate::disk::Disk;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

pub struct Durability {
    /// `None` when syncing is turned off (`--unsynced-writes`): faster, and a power cut may lose
    /// what was acknowledged.
    disk: Option<Arc<dyn Disk>>,
    state: Mutex<State>,
    finished: Notify,
}

#[derive(Default)]
struct State {
    /// Syncs begun and finished so far; one runs at a time.
    begun: u64,
    finished: u64,
    running: bool,
    /// How the latest finished sync went, and when it ended.
    failed: Option<io::ErrorKind>,
    last_ended: Option<Instant>,
}

/// The least time from one sync's end to the next one's start.
const GATHER: Duration = Duration::from_millis(2);

impl Durability {
    pub fn new(disk: Arc<dyn Disk>, enabled: bool) -> Self {
        Self {
            disk: enabled.then_some(disk),
            state: Mutex::default(),
            finished: Notify::new(),
        }
    }

    /// Returns once everything written before the call is durable: it waits for a sync that
    /// begins after the call, running it itself when none is running.
    pub async fn barrier(&self) -> io::Result<()> {
        let Some(disk) = &self.disk else {
            return Ok(());
        };
        // Begun counts only syncs that started: one gathering writers still covers this call.
        let wanted = self.state.lock().unwrap().begun + 1;
        loop {
            let finished = self.finished.notified();
            tokio::pin!(finished);
            // Registered before the state is read, so a sync ending in between still wakes us.
            finished.as_mut().enable();
            let last_ended = {
                let mut state = self.state.lock().unwrap();
                if state.finished >= wanted {
                    return match state.failed {
                        None => Ok(()),
                        Some(kind) => Err(io::Error::new(kind, "the disk could not sync")),
                    };
                }
                if state.running {
                    None
                } else {
                    state.running = true;
                    Some(state.last_ended)
                }
            };
            let Some(last_ended) = last_ended else {
                finished.await;
                continue;
            };
            // Writers arriving meanwhile join this sync: under load each sync covers many writes
            // instead of a few (a sync costs the machine as much as a relay's whole handling of a
            // change), and when writes are sparse no one waits.
            if let Some(gather) = last_ended.map(|at| at + GATHER) {
                tokio::time::sleep_until(gather.into()).await;
            }
            let generation = {
                let mut state = self.state.lock().unwrap();
                state.begun += 1;
                state.begun
            };
            let disk = disk.clone();
            let outcome = tokio::task::spawn_blocking(move || disk.sync())
                .await
                .unwrap_or_else(|_| Err(io::Error::other("the sync task failed")));
            let mut state = self.state.lock().unwrap();
            state.running = false;
            state.finished = generation;
            state.last_ended = Some(Instant::now());
            state.failed = outcome.err().map(|e| e.kind());
            drop(state);
            self.finished.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A disk whose sync is slow and counted.
    struct Slow(AtomicUsize);

    impl Disk for Slow {
        fn create_dir_all(&self, _: &Path) -> io::Result<()> {
            Ok(())
        }
        fn write(&self, _: &Path, _: &[u8]) -> io::Result<()> {
            Ok(())
        }
        fn rename(&self, _: &Path, _: &Path) -> io::Result<()> {
            Ok(())
        }
        fn remove_file(&self, _: &Path) -> io::Result<()> {
            Ok(())
        }
        fn read(&self, _: &Path) -> io::Result<Vec<u8>> {
            Ok(Vec::new())
        }
        fn list(&self, _: &Path) -> io::Result<Vec<String>> {
            Ok(Vec::new())
        }
        fn exists(&self, _: &Path) -> io::Result<bool> {
            Ok(false)
        }
        fn sync(&self) -> io::Result<()> {
            std::thread::sleep(std::time::Duration::from_millis(20));
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn many_waiters_share_few_syncs() {
        let disk = Arc::new(Slow(AtomicUsize::new(0)));
        let durability = Arc::new(Durability::new(disk.clone(), true));
        let waiters: Vec<_> = (0..100)
            .map(|_| {
                let durability = durability.clone();
                tokio::spawn(async move { durability.barrier().await })
            })
            .collect();
        for waiter in waiters {
            waiter.await.unwrap().unwrap();
        }
        let syncs = disk.0.load(Ordering::SeqCst);
        // Each waiter needs a sync begun after it asked: at most two rounds for everyone.
        assert!((1..=3).contains(&syncs), "{syncs} syncs for 100 waiters");
        durability.barrier().await.unwrap();
        assert_eq!(disk.0.load(Ordering::SeqCst), syncs + 1);
    }
}
