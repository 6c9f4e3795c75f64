//! Atomic file replacement: write into a hidden temporary file next to the
//! final path, then `fsync` and rename it into place.
//!
//! A reader therefore sees either the previous file or the complete new one,
//! never a half-written file. The temporary file is named
//! `.<final file name>.tmp-<pid>-<counter>`: it is hidden and does not end in
//! `.parquet`, so dataset readers (pandas, pyarrow, polars) scanning the
//! folder never pick it up. If the process is killed before the rename, the
//! leftover is removed by [`remove_stale_temps`] at the start of the next run.
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

/// Per-process counter making temporary names unique within the process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The temporary files this process has open, and whether it is stopping
/// (then no new one may be created): see [`abandon_all`].
struct Live {
    stopping: bool,
    temps: BTreeSet<PathBuf>,
}

static LIVE: Mutex<Live> = Mutex::new(Live {
    stopping: false,
    temps: BTreeSet::new(),
});

fn live() -> std::sync::MutexGuard<'static, Live> {
    LIVE.lock().unwrap_or_else(|e| e.into_inner())
}

/// For an interrupt handler: refuse every later [`AtomicFile::create`] and
/// delete every temporary file of this process that is still open. Creation
/// and this call exclude each other, so no temporary file can appear after
/// it returns (however many threads are writing). Returns how many files
/// were removed.
pub fn abandon_all() -> usize {
    let mut l = live();
    l.stopping = true;
    let temps = std::mem::take(&mut l.temps);
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
        temp_name.push(format!("{TEMP_MARKER}{}-{count}", std::process::id()));
        if let Some(ext) = path.extension().filter(|_| keep_extension) {
            temp_name.push(".");
            temp_name.push(ext);
        }
        let temp = dir.join(temp_name);
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
/// `.tmp-`. Returns how many were removed; a missing `root` counts as empty.
/// Symbolic links are neither followed nor removed.
///
/// Meant for the start of a run, while no other process writes below `root`.
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
        } else if ty.is_file() && is_temp_name(&entry.file_name().to_string_lossy()) {
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
        let stale = [
            "run/.spikes.parquet.tmp-123-0",
            "run/sub/.v.parquet.tmp-99-7",
            ".manifest.json.tmp-1-2",
        ];
        for p in keep.iter().chain(&stale) {
            fs::write(root.join(p), b"x").unwrap();
        }
        // A live temp of this process is a temp file too.
        let live = AtomicFile::create(root.join("run/sub/w.parquet")).unwrap();
        let live_temp = live.temp_path().to_path_buf();

        assert_eq!(remove_stale_temps(root).unwrap(), stale.len() + 1);
        for p in keep {
            assert!(root.join(p).exists(), "{p} was removed");
        }
        for p in stale {
            assert!(!root.join(p).exists(), "{p} was kept");
        }
        assert!(!live_temp.exists());
        // The writer's own cleanup tolerates the file being gone already.
        drop(live);
        assert_eq!(remove_stale_temps(root).unwrap(), 0);
        assert_eq!(remove_stale_temps(root.join("missing")).unwrap(), 0);
    }
}
