//! The file system under the relay's document store, behind a small trait: the real one, whose
//! `sync` is `syncfs(2)` on the data folder's file system, and (for tests) a simulated one that
//! loses whatever was not synced when its power is cut.

use std::fs::File;
use std::io;
use std::path::Path;

pub trait Disk: Send + Sync + 'static {
    fn create_dir_all(&self, path: &Path) -> io::Result<()>;
    /// Creates or replaces a file with these bytes.
    fn write(&self, path: &Path, bytes: &[u8]) -> io::Result<()>;
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// The names in a folder; `NotFound` if there is no such folder.
    fn list(&self, path: &Path) -> io::Result<Vec<String>>;
    fn exists(&self, path: &Path) -> io::Result<bool>;
    /// Returns once everything written before the call survives a power cut.
    fn sync(&self) -> io::Result<()>;
}

/// The machine's own file system.
pub struct RealDisk {
    /// Any file on the data folder's file system: `syncfs` flushes that whole file system, the
    /// audit and access logs included, in one call however many files a batch touched.
    anchor: File,
}

impl RealDisk {
    pub fn open(folder: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(folder)?;
        Ok(Self {
            anchor: File::open(folder)?,
        })
    }
}

impl Disk for RealDisk {
    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        std::fs::create_dir_all(path)
    }

    fn write(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        std::fs::write(path, bytes)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        std::fs::remove_file(path)
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(path)
    }

    fn list(&self, path: &Path) -> io::Result<Vec<String>> {
        std::fs::read_dir(path)?
            .map(|entry| Ok(entry?.file_name().to_string_lossy().into_owned()))
            .collect()
    }

    fn exists(&self, path: &Path) -> io::Result<bool> {
        path.try_exists()
    }

    fn sync(&self) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        // SAFETY: the descriptor is open for as long as `self` lives.
        if unsafe { libc::syncfs(self.anchor.as_raw_fd()) } == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
}

/// A disk in memory that, like a real one, keeps only what was synced when the power goes: of
/// every write, rename and removal since the last sync, any may have reached the platter or not,
/// in any order, and a file whose name reached it before its data holds nothing.
#[cfg(test)]
pub mod simulated {
    use super::*;
    use std::collections::BTreeMap;
    use std::path::PathBuf;
    use std::sync::Mutex;

    #[derive(Clone)]
    enum Op {
        Write(PathBuf, Vec<u8>),
        Rename(PathBuf, PathBuf),
        Remove(PathBuf),
    }

    #[derive(Default)]
    struct State {
        /// What a reader sees now.
        files: BTreeMap<PathBuf, Vec<u8>>,
        /// What survives a power cut for certain.
        durable: BTreeMap<PathBuf, Vec<u8>>,
        unsynced: Vec<Op>,
        /// Decides what of the unsynced survives (xorshift: reproducible per seed).
        seed: u64,
    }

    pub struct SimulatedDisk(Mutex<State>);

    impl SimulatedDisk {
        pub fn new(seed: u64) -> Self {
            Self(Mutex::new(State {
                seed: seed | 1,
                ..State::default()
            }))
        }

        /// The power goes and comes back: what was synced is there, of the rest whatever
        /// happened to reach the disk.
        pub fn cut_power(&self) {
            let mut state = self.0.lock().unwrap();
            let mut after = state.durable.clone();
            for op in std::mem::take(&mut state.unsynced) {
                let reached = state.coin();
                match op {
                    Op::Write(path, bytes) => {
                        // The name may have reached the disk without the data.
                        let data_too = state.coin();
                        if reached {
                            after.insert(path, if data_too { bytes } else { Vec::new() });
                        }
                    }
                    Op::Rename(from, to) if reached => {
                        if let Some(bytes) = after.remove(&from) {
                            after.insert(to, bytes);
                        }
                    }
                    Op::Remove(path) if reached => {
                        after.remove(&path);
                    }
                    _ => {}
                }
            }
            state.files = after.clone();
            state.durable = after;
        }
    }

    impl State {
        fn coin(&mut self) -> bool {
            self.seed ^= self.seed << 13;
            self.seed ^= self.seed >> 7;
            self.seed ^= self.seed << 17;
            self.seed & 1 == 1
        }
    }

    fn missing() -> io::Error {
        io::Error::from(io::ErrorKind::NotFound)
    }

    impl Disk for SimulatedDisk {
        fn create_dir_all(&self, _: &Path) -> io::Result<()> {
            Ok(()) // folders are implied by the paths of their files
        }

        fn write(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
            let mut state = self.0.lock().unwrap();
            state.files.insert(path.into(), bytes.to_vec());
            state.unsynced.push(Op::Write(path.into(), bytes.to_vec()));
            Ok(())
        }

        fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
            let mut state = self.0.lock().unwrap();
            let bytes = state.files.remove(from).ok_or_else(missing)?;
            state.files.insert(to.into(), bytes);
            state.unsynced.push(Op::Rename(from.into(), to.into()));
            Ok(())
        }

        fn remove_file(&self, path: &Path) -> io::Result<()> {
            let mut state = self.0.lock().unwrap();
            state.files.remove(path).ok_or_else(missing)?;
            state.unsynced.push(Op::Remove(path.into()));
            Ok(())
        }

        fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
            let state = self.0.lock().unwrap();
            state.files.get(path).cloned().ok_or_else(missing)
        }

        fn list(&self, folder: &Path) -> io::Result<Vec<String>> {
            let state = self.0.lock().unwrap();
            let mut names: Vec<String> = state
                .files
                .keys()
                .filter_map(|path| path.strip_prefix(folder).ok())
                .filter_map(|rest| rest.components().next())
                .map(|first| first.as_os_str().to_string_lossy().into_owned())
                .collect();
            names.dedup();
            if names.is_empty() {
                return Err(missing());
            }
            Ok(names)
        }

        fn exists(&self, path: &Path) -> io::Result<bool> {
            Ok(self.0.lock().unwrap().files.contains_key(path))
        }

        fn sync(&self) -> io::Result<()> {
            let mut state = self.0.lock().unwrap();
            state.durable = state.files.clone();
            state.unsynced.clear();
            Ok(())
        }
    }
}
