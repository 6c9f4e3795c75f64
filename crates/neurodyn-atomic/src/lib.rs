//! Atomic file replacement: write into a hidden temporary file next to the
//! final path, then `fsync` and rename it into place.
//!
//! A reader therefore sees either the previous file or the complete new one,
//! never a half-written file. The temporary file is named
//! `.<final file name>.tmp-<pid>-<counter>@<host>`. It is written into the
//! temporary folder [`TEMP_DIR`] of the nearest enclosing folder that has
//! one (a pipeline's output folder: see [`make_temp_dir`]), so that no
//! reader of a dataset folder ever lists it: polars reads every file below
//! a folder it is given, hidden or not. Elsewhere it sits next to the final
//! file, hidden and not ending in `.parquet`. If the process is killed before
//! the rename, the leftover is removed by [`remove_stale_temps`] at the
//! start of the next run on that host (only temporaries whose process is
//! gone: other processes, shards or hosts may be writing into the folder).
//!
//! [`InstanceLock`] is the lock file that keeps two processes from writing
//! one stage instance at once.
//!
//! This is the one implementation of atomic writes in the workspace: the
//! Parquet recorder, the tables, manifests, connectome files and figures
//! all write through it (`neurodyn_io::atomic` re-exports it).
//!
//! ```
//! use std::io::Write;
//! use neurodyn_atomic::AtomicFile;
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("out/summary.txt");
//! let mut f = AtomicFile::create(&path).unwrap();
//! f.write_all(b"done\n").unwrap();
//! assert!(!path.exists());
//! f.commit().unwrap();
//! assert_eq!(std::fs::read(&path).unwrap(), b"done\n");
//! ```
#![warn(missing_docs)]

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use neurodyn_core::{Error, Result};

/// The marker every temporary file name contains (after its leading dot).
pub const TEMP_MARKER: &str = ".tmp-";

/// The folder that holds the temporary files of every file written below
/// the folder that contains it.
pub const TEMP_DIR: &str = ".neurodyn-tmp";

/// Create `root/`[`TEMP_DIR`]: from then on the temporary files of every
/// file written below `root` are kept there, out of the dataset folders.
pub fn make_temp_dir(root: impl AsRef<Path>) -> Result<PathBuf> {
    let dir = root.as_ref().join(TEMP_DIR);
    fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
    Ok(dir)
}

/// Where the temporary file of a file in `dir` goes: the [`TEMP_DIR`] of
/// the nearest folder from `dir` upwards that has one, else `dir`.
fn temp_folder(dir: &Path) -> PathBuf {
    dir.ancestors()
        .map(|a| a.join(TEMP_DIR))
        .find(|t| t.is_dir())
        .unwrap_or_else(|| dir.to_path_buf())
}

/// Per-process counter making temporary names unique within the process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The temporary files this process has open, and whether it is stopping
/// (then no new one may be created): see [`abandon_all`].
struct Live {
    stopping: bool,
    temps: BTreeSet<PathBuf>,
    /// The [`InstanceLock`]s this process holds.
    locks: BTreeSet<PathBuf>,
}

static LIVE: Mutex<Live> = Mutex::new(Live {
    stopping: false,
    temps: BTreeSet::new(),
    locks: BTreeSet::new(),
});

fn live() -> std::sync::MutexGuard<'static, Live> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// For an interrupt handler: refuse every later [`AtomicFile::create`],
/// delete every temporary file of this process that is still open and
/// release its [`InstanceLock`]s. Creation
/// and this call exclude each other, so no temporary file can appear after
/// it returns (however many threads are writing). Returns how many files
/// were removed.
pub fn abandon_all() -> usize {
    let mut l = live();
    l.stopping = true;
    let temps = std::mem::take(&mut l.temps);
    // the instances being written are abandoned too: release their locks
    for lock in std::mem::take(&mut l.locks) {
        let _ = fs::remove_file(lock);
    }
    temps.iter().filter(|t| fs::remove_file(t).is_ok()).count()
}

/// A file written under a temporary name and renamed to its final path on
/// [`AtomicFile::commit`]. Dropped without a commit, it removes its
/// temporary file and leaves the final path untouched.
#[derive(Debug)]
pub struct AtomicFile {
    /// The open temporary file; `None` once committed.
    file: Option<File>,
    /// Where the data go on commit.
    path: PathBuf,
    /// The temporary file, in the same folder as `path`.
    temp: PathBuf,
}

impl AtomicFile {
    /// Create a temporary file for `path` in the same folder, creating that
    /// folder (and its parents) if needed.
    pub fn create(path: impl AsRef<Path>) -> Result<Self> {
        Self::create_named(path.as_ref(), false)
    }

    /// [`AtomicFile::create`] with a temporary name that keeps the final
    /// extension (`.fig.png.tmp-<pid>-<n>.png`), for writers that choose
    /// the format from the file name (the PNG encoder). Not for dataset
    /// files: a reader globbing `*.parquet` would see the temporary file.
    pub fn create_keeping_extension(path: impl AsRef<Path>) -> Result<Self> {
        Self::create_named(path.as_ref(), true)
    }

    fn create_named(path: &Path, keep_extension: bool) -> Result<Self> {
        let path = path.to_path_buf();
        let name = path.file_name().ok_or_else(|| {
            Error::io(
                &path,
                io::Error::new(io::ErrorKind::InvalidInput, "not a file path"),
            )
        })?;
        let dir = parent_dir(&path);
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(
            "{TEMP_MARKER}{}-{count}@{}",
            std::process::id(),
            host_name()
        ));
        if let Some(ext) = path.extension().filter(|_| keep_extension) {
            temp_name.push(".");
            temp_name.push(ext);
        }
        let temp = temp_folder(dir).join(temp_name);
        let mut l = live();
        if l.stopping {
            return Err(Error::io(
                &temp,
                io::Error::new(io::ErrorKind::Interrupted, "the process is stopping"),
            ));
        }
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| Error::io(&temp, e))?;
        l.temps.insert(temp.clone());
        drop(l);
        Ok(AtomicFile {
            file: Some(file),
            path,
            temp,
        })
    }

    /// The final path the file gets on commit.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The temporary file being written.
    pub fn temp_path(&self) -> &Path {
        &self.temp
    }

    /// The open temporary file.
    pub fn file(&mut self) -> &mut File {
        self.file
            .as_mut()
            .expect("an AtomicFile holds its file until commit consumes it")
    }

    /// Make the data durable and visible: flush, `sync_all`, rename the
    /// temporary file onto the final path (replacing any file there), and
    /// `fsync` the folder so the rename itself survives a crash.
    ///
    /// On error the temporary file is removed and the final path keeps its
    /// previous content (or stays absent).
    pub fn commit(mut self) -> Result<()> {
        let mut file = self
            .file
            .take()
            .expect("an AtomicFile holds its file until commit consumes it");
        let synced = file.flush().and_then(|()| file.sync_all());
        drop(file);
        let mut l = live();
        l.temps.remove(&self.temp);
        if let Err(e) = synced {
            let _ = fs::remove_file(&self.temp);
            return Err(Error::io(&self.temp, e));
        }
        if l.stopping {
            // abandon_all already removed it: publish nothing
            let _ = fs::remove_file(&self.temp);
            return Err(Error::io(
                &self.path,
                io::Error::new(io::ErrorKind::Interrupted, "the process is stopping"),
            ));
        }
        if let Err(e) = fs::rename(&self.temp, &self.path) {
            let _ = fs::remove_file(&self.temp);
            return Err(Error::io(&self.path, e));
        }
        drop(l);
        let dir = parent_dir(&self.path);
        sync_dir(dir).map_err(|e| Error::io(dir, e))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file().write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file().write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file().flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if let Some(file) = self.file.take() {
            drop(file);
            // Best effort: a leftover is cleared by `remove_stale_temps`.
            let _ = fs::remove_file(&self.temp);
            live().temps.remove(&self.temp);
        }
    }
}

/// Write `bytes` to `path` atomically (see [`AtomicFile`]), creating the
/// parent folders if needed.
pub fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    let mut f = AtomicFile::create(path)?;
    let temp = f.temp_path().to_path_buf();
    f.write_all(bytes).map_err(|e| Error::io(temp, e))?;
    f.commit()
}

/// Recursively delete the temporary files [`AtomicFile`] leaves behind when
/// its process is killed: files whose name starts with `.` and contains
/// `.tmp-`, written by a process of this host that no longer runs (names
/// without a host are taken as this host's). Temporaries of live processes
/// and of other hosts are left alone, so other runs may be writing below
/// `root`. Returns how many were removed; a missing `root` counts as empty.
/// Symbolic links are neither followed nor removed.
pub fn remove_stale_temps(root: impl AsRef<Path>) -> io::Result<usize> {
    let root = root.as_ref();
    match fs::symlink_metadata(root) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e),
        Ok(m) if m.is_dir() => remove_in(root),
        Ok(_) => Ok(0),
    }
}

fn remove_in(dir: &Path) -> io::Result<usize> {
    let mut removed = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let ty = entry.file_type()?;
        if ty.is_dir() {
            removed += remove_in(&entry.path())?;
        } else if ty.is_file() && is_stale_temp(&entry.file_name().to_string_lossy()) {
            match fs::remove_file(entry.path()) {
                Ok(()) => removed += 1,
                // Removed meanwhile (e.g. by its own writer's Drop): fine.
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(removed)
}

/// True for names produced by [`AtomicFile::create`].
fn is_temp_name(name: &str) -> bool {
    name.starts_with('.') && name.contains(TEMP_MARKER)
}

/// A temporary name whose writer is a process of this host that has ended.
fn is_stale_temp(name: &str) -> bool {
    if !is_temp_name(name) {
        return false;
    }
    // `<pid>-<count>[@<host>][.ext]` after the last marker
    let tail = &name[name.rfind(TEMP_MARKER).expect("marker") + TEMP_MARKER.len()..];
    let (ids, host) = match tail.split_once('@') {
        Some((ids, rest)) => (ids, Some(rest.split('.').next().unwrap_or(rest))),
        None => (tail, None),
    };
    let pid = ids.split('-').next().and_then(|p| p.parse::<u32>().ok());
    match (pid, host) {
        (_, Some(h)) if h != host_name() => false,
        (Some(pid), _) => pid != std::process::id() && !pid_alive(pid),
        // unreadable: an old name format; the writer cannot be asked
        (None, _) => true,
    }
}

/// This host's short name (up to the first `.`), for temporary names and
/// lock files: `/proc/sys/kernel/hostname`, else `$HOSTNAME`, else
/// `localhost`.
pub fn host_name() -> String {
    let name = fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_default();
    let short: String = name
        .trim()
        .split('.')
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    if short.is_empty() {
        "localhost".into()
    } else {
        short
    }
}

/// Whether process `pid` of this host runs: `/proc/<pid>` exists and the
/// process is not a zombie (ended, not yet reaped: a killed MPI rank whose
/// launcher has gone, in a container whose init does not reap). Where there
/// is no `/proc`, every process counts as running: nothing is taken from a
/// process that cannot be checked.
pub fn pid_alive(pid: u32) -> bool {
    let proc_fs = Path::new("/proc");
    if !proc_fs.join("self").exists() {
        return true;
    }
    let dir = proc_fs.join(pid.to_string());
    match fs::read_to_string(dir.join("stat")) {
        // `pid (comm) state …`: the state follows the last `)`
        Ok(stat) => !stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X')),
        Err(_) => dir.exists(),
    }
}

/// Who holds an [`InstanceLock`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    /// Host name ([`host_name`]).
    pub host: String,
    /// Process id on that host.
    pub pid: u32,
}

impl Holder {
    fn me() -> Self {
        Holder {
            host: host_name(),
            pid: std::process::id(),
        }
    }

    /// Whether the holder is a process of this host that has ended.
    pub fn is_dead_here(&self) -> bool {
        self.host == host_name() && !pid_alive(self.pid)
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "process {} on {}", self.pid, self.host)
    }
}

/// A lock file (`host pid`), created atomically (written whole, then
/// hard-linked into place: the link fails if the lock exists), that one
/// process holds while it writes a stage instance; dropped, it is removed.
#[derive(Debug)]
pub struct InstanceLock {
    path: PathBuf,
}

/// What [`InstanceLock::try_take`] found.
#[derive(Debug)]
pub enum Taken {
    /// The lock is this process's now; `took_over` names the ended process
    /// of this host whose stale lock it replaced.
    Taken {
        /// The lock.
        lock: InstanceLock,
        /// The stale holder replaced, if any.
        took_over: Option<Holder>,
    },
    /// Another process holds it (alive, or on another host).
    Held(Holder),
}

impl InstanceLock {
    /// Take the lock at `path` (creating its folder), unless a live process
    /// or another host's holds it. A lock left by an ended process of this
    /// host is taken over.
    pub fn try_take(path: &Path) -> Result<Taken> {
        let dir = parent_dir(path);
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let me = Holder::me();
        let mut took_over = None;
        // The lock appears complete or not at all: its content is written to
        // a temporary file first, then hard-linked to `path`, which fails
        // if `path` exists (atomic, also on NFS).
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(
            ".{name}{TEMP_MARKER}{}-{count}@{}",
            me.pid, me.host
        ));
        fs::write(&temp, format!("{} {}\n", me.host, me.pid)).map_err(|e| Error::io(&temp, e))?;
        let result = Self::link(&temp, path, &mut took_over);
        let _ = fs::remove_file(&temp);
        if let Some(taken) = result? {
            return Ok(taken);
        }
        // another process took the stale lock first
        match Self::holder(path)? {
            Some(h) => Ok(Taken::Held(h)),
            None => Err(Error::io(
                path,
                io::Error::other("the lock changed hands repeatedly"),
            )),
        }
    }

    /// Link `temp` (the lock's content) to `path`, twice at most: once more
    /// after removing a stale lock. `None`: another process took the stale
    /// lock first.
    fn link(temp: &Path, path: &Path, took_over: &mut Option<Holder>) -> Result<Option<Taken>> {
        for _ in 0..2 {
            match fs::hard_link(temp, path) {
                Ok(()) => {
                    live().locks.insert(path.to_path_buf());
                    return Ok(Some(Taken::Taken {
                        lock: InstanceLock {
                            path: path.to_path_buf(),
                        },
                        took_over: took_over.take(),
                    }));
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let holder = match Self::holder(path)? {
                        Some(h) => h,
                        // removed meanwhile: try again
                        None => continue,
                    };
                    if !holder.is_dead_here() {
                        return Ok(Some(Taken::Held(holder)));
                    }
                    match fs::remove_file(path) {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                        Err(e) => return Err(Error::io(path, e)),
                    }
                    *took_over = Some(holder);
                }
                Err(e) => return Err(Error::io(path, e)),
            }
        }
        Ok(None)
    }

    /// The holder written in the lock at `path`; `None` when there is no
    /// lock. A lock whose content cannot be read as `host pid` (not one of
    /// neurodyn's: they appear whole) is reported as held by pid 0 of host
    /// `?`, which is never taken over.
    pub fn holder(path: &Path) -> Result<Option<Holder>> {
        let text = match fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path, e)),
        };
        let mut it = text.split_whitespace();
        Ok(Some(
            match (it.next(), it.next().and_then(|p| p.parse().ok())) {
                (Some(host), Some(pid)) => Holder {
                    host: host.to_string(),
                    pid,
                },
                _ => Holder {
                    host: String::from("?"),
                    pid: 0,
                },
            },
        ))
    }
}

impl Drop for InstanceLock {
    fn drop(&mut self) {
        live().locks.remove(&self.path);
        let _ = fs::remove_file(&self.path);
    }
}

/// The folder holding `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// `fsync` a folder so that a rename inside it is durable.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Folders cannot be opened for syncing here; the rename is left to the OS.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn temp_is_hidden_in_the_same_folder_and_not_parquet() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spikes.parquet");
        let f = AtomicFile::create(&path).unwrap();
        let temp = f.temp_path().to_path_buf();
        assert_eq!(temp.parent().unwrap(), dir.path());
        let name = temp.file_name().unwrap().to_str().unwrap();
        let prefix = format!(".spikes.parquet.tmp-{}-", std::process::id());
        assert!(name.starts_with(&prefix), "{name}");
        assert!(!name.ends_with(".parquet"));
        assert!(temp.exists());
        assert_eq!(f.path(), path);
    }

    #[test]
    fn below_a_temp_folder_the_dataset_folders_hold_only_final_files() {
        let root = tempfile::tempdir().unwrap();
        let tmp = make_temp_dir(root.path()).unwrap();
        let path = root.path().join("simulate/spikes/g_1.0/spikes.parquet");
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"data").unwrap();
        // while it is written: the dataset folder is empty, the temporary
        // file is in the temp folder
        assert_eq!(f.temp_path().parent().unwrap(), tmp);
        assert!(names(&root.path().join("simulate/spikes/g_1.0")).is_empty());
        f.commit().unwrap();
        assert_eq!(
            names(&root.path().join("simulate/spikes/g_1.0")),
            ["spikes.parquet"]
        );
        assert!(names(&tmp).is_empty());
        // one that is killed is removed by the next run's sweep of the root
        let gone = 4_194_305 + 19;
        let dead = tmp.join(format!(".x.parquet.tmp-{gone}-0@{}", host_name()));
        fs::write(&dead, b"half").unwrap();
        assert_eq!(remove_stale_temps(root.path()).unwrap(), 1);
        assert!(!dead.exists());
    }

    #[test]
    fn only_temporaries_of_ended_processes_of_this_host_are_stale() {
        let me = std::process::id();
        let host = host_name();
        // a pid that is not running: above the kernel's pid_max
        let gone = 4_194_305 + 17;
        assert!(!pid_alive(gone) || !Path::new("/proc/self").exists());
        assert!(is_stale_temp(&format!(".a.parquet.tmp-{gone}-0@{host}")));
        assert!(is_stale_temp(&format!(".a.json.tmp-{gone}-3@{host}.json")));
        assert!(is_stale_temp(&format!(".a.parquet.tmp-{gone}-0")));
        assert!(!is_stale_temp(&format!(".a.parquet.tmp-{me}-0@{host}")));
        assert!(!is_stale_temp(&format!(".a.parquet.tmp-1-0@{host}")));
        assert!(!is_stale_temp(&format!(
            ".a.parquet.tmp-{gone}-0@elsewhere-{host}"
        )));
        assert!(!is_stale_temp("a.parquet"));
        // and remove_stale_temps removes exactly those
        let dir = tempfile::tempdir().unwrap();
        let live = AtomicFile::create(dir.path().join("live.bin")).unwrap();
        let dead = dir.path().join(format!(".dead.bin.tmp-{gone}-0@{host}"));
        let remote = dir
            .path()
            .join(format!(".remote.bin.tmp-{gone}-0@elsewhere-{host}"));
        fs::write(&dead, b"x").unwrap();
        fs::write(&remote, b"x").unwrap();
        assert_eq!(remove_stale_temps(dir.path()).unwrap(), 1);
        assert!(!dead.exists() && remote.exists() && live.temp_path().exists());
    }

    #[test]
    fn a_lock_is_held_once_released_on_drop_and_a_dead_holders_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x/_lock");
        let Taken::Taken { lock, took_over } = InstanceLock::try_take(&path).unwrap() else {
            panic!("free lock not taken")
        };
        assert!(took_over.is_none());
        let me = Holder::me();
        assert_eq!(InstanceLock::holder(&path).unwrap(), Some(me.clone()));
        // held: a second attempt (as another live process would) is refused
        match InstanceLock::try_take(&path).unwrap() {
            Taken::Held(h) => assert_eq!(h, me),
            Taken::Taken { .. } => panic!("taken twice"),
        }
        drop(lock);
        assert!(!path.exists());
        // a lock of an ended process of this host is taken over
        let gone = Holder {
            host: host_name(),
            pid: 4_194_305 + 17,
        };
        fs::write(&path, format!("{} {}\n", gone.host, gone.pid)).unwrap();
        match InstanceLock::try_take(&path).unwrap() {
            Taken::Taken { took_over, .. } => assert_eq!(took_over, Some(gone)),
            Taken::Held(h) => panic!("stale lock of {h} not taken over"),
        }
        // another host's lock is never taken
        fs::write(&path, "elsewhere 1\n").unwrap();
        assert!(matches!(
            InstanceLock::try_take(&path).unwrap(),
            Taken::Held(Holder { pid: 1, .. })
        ));
    }

    #[test]
    fn two_temps_for_one_path_do_not_collide() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.bin");
        let a = AtomicFile::create(&path).unwrap();
        let b = AtomicFile::create(&path).unwrap();
        assert_ne!(a.temp_path(), b.temp_path());
        assert_eq!(names(dir.path()).len(), 2);
    }

    #[test]
    fn drop_without_commit_removes_the_temp_and_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        fs::write(&path, b"old").unwrap();
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"new, unfinished").unwrap();
        let temp = f.temp_path().to_path_buf();
        assert!(temp.exists());
        drop(f);
        assert!(!temp.exists());
        assert_eq!(fs::read(&path).unwrap(), b"old");
        assert_eq!(names(dir.path()), vec!["a.txt"]);
    }

    #[test]
    fn commit_makes_the_content_visible_and_replaces_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        fs::write(&path, b"old").unwrap();
        let mut f = AtomicFile::create(&path).unwrap();
        f.file().write_all(b"new ").unwrap();
        f.write_all(b"content").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"old");
        f.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new content");
        assert_eq!(names(dir.path()), vec!["a.txt"]);
    }

    #[test]
    fn write_atomic_creates_parent_folders() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x/y/z.json");
        write_atomic(&path, b"{}").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"{}");
        assert_eq!(names(&dir.path().join("x/y")), vec!["z.json"]);
    }

    #[test]
    fn create_fails_with_the_path_for_a_path_without_file_name() {
        let err = AtomicFile::create(Path::new("/")).unwrap_err();
        assert!(matches!(err, Error::Io { ref path, .. } if path == Path::new("/")));
    }

    #[test]
    fn remove_stale_temps_removes_only_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("run/sub")).unwrap();
        let keep = [
            "run/spikes.parquet",
            "run/.hidden",
            "run/notes.txt",
            "run/sub/v.parquet",
        ];
        // processes that have ended (pids above the kernel's pid_max)
        let stale = [
            "run/.spikes.parquet.tmp-4194323-0",
            "run/sub/.v.parquet.tmp-4194324-7",
            ".manifest.json.tmp-4194325-2",
        ];
        for p in keep.iter().chain(&stale) {
            fs::write(root.join(p), b"x").unwrap();
        }
        // A live temp of this process is being written: it stays.
        let live = AtomicFile::create(root.join("run/sub/w.parquet")).unwrap();
        let live_temp = live.temp_path().to_path_buf();

        assert_eq!(remove_stale_temps(root).unwrap(), stale.len());
        for p in keep {
            assert!(root.join(p).exists(), "{p} was removed");
        }
        for p in stale {
            assert!(!root.join(p).exists(), "{p} was kept");
        }
        assert!(live_temp.exists());
        // The writer's own cleanup removes it.
        drop(live);
        assert!(!live_temp.exists());
        assert_eq!(remove_stale_temps(root).unwrap(), 0);
        assert_eq!(remove_stale_temps(root.join("missing")).unwrap(), 0);
    }
}
