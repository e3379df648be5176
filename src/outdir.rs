//! `--out DIR` as a set: the folder holds one whole run's files, the old set or the new one.
//!
//! Lifecycle:
//! 1. [`OutDir::claim`], before anything is simulated: create DIR if needed, make sure it holds
//!    nothing but a set of ours (so swapping it cannot lose a user's file), lock it (a second
//!    run writing to it is refused, not interleaved), and create a private staging folder
//!    beside it (created exclusively, mode 0700: a symlink planted anywhere cannot redirect a
//!    write). An unwritable place fails here, before the simulation.
//! 2. The run writes every file into the staging folder; `chats.csv` as the replications run
//!    ([`ChatsFile`]), the rest when they are done.
//! 3. [`OutDir::commit`] swaps the staging folder and DIR in one atomic `renameat2` exchange
//!    (where the file system cannot, two renames), then removes the old set. Dropping an
//!    `OutDir` without committing (an error, an interrupt) removes the staging folder and
//!    leaves DIR as it was.

mod chats;

pub use chats::ChatsFile;

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

use routesim::error::{Error, Result};

/// The files of a set: a run's (`report.html` and the rest), a sweep's (`sweep.csv` and
/// `report.html`), a comparison's (`comparison.csv` and `report.html`) or a stress test's
/// (`stress.csv`, `stress.json` and `report.html`). Any may replace
/// another, as a run replaces the set before it.
pub const FILES: [&str; 10] = [
    "summary.json",
    "teams.csv",
    "agents.csv",
    "intervals.csv",
    "chats.csv",
    "report.html",
    "sweep.csv",
    "comparison.csv",
    "stress.csv",
    "stress.json",
];

/// A claimed output folder and the staging folder its next set is written into.
#[derive(Debug)]
pub struct OutDir {
    dir: PathBuf,
    /// Held until the set is swapped in; the kernel releases it if the process dies.
    _lock: File,
    staging: tempfile::TempDir,
    /// The highest folder the claim made (DIR, or a parent it had to make too): a command that
    /// fails before its set is in removes them again, if still empty, so that a refused run
    /// leaves nothing behind.
    made: Option<PathBuf>,
}

impl Drop for OutDir {
    fn drop(&mut self) {
        if let Some(top) = &self.made {
            // The staging folder sits beside DIR, in a parent that may be one made: it goes
            // first (after a commit it holds the old set, which goes in any case).
            let _ = fs::remove_dir_all(self.staging.path());
            remove_made(&self.dir, top);
        }
    }
}

/// Removes `dir` and its parents up to `top`, each only if empty (after a commit DIR holds the
/// set, and stays).
fn remove_made(dir: &Path, top: &Path) {
    let mut at = dir.to_path_buf();
    while fs::remove_dir(&at).is_ok() && at != top && at.pop() {}
}

/// DIR as the folder it names, absolute, before anything is made: the part that exists read
/// through the file system (`..` there is the real parent, past any symbolic link), the rest
/// by its names (a folder not made yet is no link), so `--out a/b/..` makes `a` alone, not `b`
/// inside it to be refused as a stranger's, and `x/y/../../z` makes `z` alone.
fn resolve(dir: &Path) -> io::Result<PathBuf> {
    use std::path::Component;
    let mut parts = dir.components().peekable();
    let mut real = PathBuf::new();
    // The longest leading part that exists.
    while let Some(c) = parts.peek() {
        let next = real.join(c);
        if !next.exists() {
            break;
        }
        real = next;
        parts.next();
    }
    let mut out = fs::canonicalize(if real.as_os_str().is_empty() {
        Path::new(".")
    } else {
        &real
    })?;
    for c in parts {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    Ok(out)
}

fn write_err(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
    move |source| Error::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Names in DIR that are not part of a set of ours. A folder is never ours, whatever its name:
/// the old set is removed whole once the new one is in, and a folder called `summary.json`
/// would go with it, contents and all. (A symbolic link of a set's name is replaced, not
/// followed.)
fn foreign(dir: &Path) -> io::Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_dir() {
            out.push(format!("{name}/"));
        } else if !FILES.contains(&name.as_str()) {
            out.push(name);
        }
    }
    out.sort();
    Ok(out)
}

fn refuse_foreign(dir: &Path) -> Result<()> {
    let names = foreign(dir).map_err(write_err(dir))?;
    if names.is_empty() {
        return Ok(());
    }
    let shown = names.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    Err(Error::Usage(format!(
        "--out {}: the folder holds files that are not routesim's ({shown}{}); a run replaces the whole folder, so give it an empty folder or one of its own",
        dir.display(),
        if names.len() > 5 { ", ..." } else { "" }
    )))
}

/// Refuses a DIR that is read-only (no write bit at all, whoever runs) or that this user may
/// not write. The swap itself only needs the parent to be writable, so such a folder was
/// replaced with exit 0, and its old set, which could not be removed from it, was left beside it
/// in a hidden folder at every run.
fn refuse_read_only(dir: &Path) -> Result<()> {
    let read_only = fs::metadata(dir).is_ok_and(|m| m.permissions().readonly());
    if read_only || rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).is_err() {
        return Err(Error::Write {
            path: dir.to_path_buf(),
            source: io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "the folder is read-only{}; a run replaces the files in it, so make it writable or give another folder",
                    if read_only { "" } else { " to you" }
                ),
            ),
        });
    }
    Ok(())
}

impl OutDir {
    /// Claims `dir` for a run: see the module's lifecycle.
    pub fn claim(dir: &Path) -> Result<OutDir> {
        if dir.exists() && !dir.is_dir() {
            return Err(Error::Usage(format!(
                "--out {}: not a folder",
                dir.display()
            )));
        }
        let dir = resolve(dir).map_err(write_err(dir))?;
        // The highest folder that is not there yet: made below, and removed again on failure.
        let top = dir
            .ancestors()
            .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
            .last()
            .map(Path::to_path_buf);
        fs::create_dir_all(&dir).map_err(write_err(&dir))?;
        // The real path, so that the staging folder goes beside DIR even for `--out .`.
        let dir = fs::canonicalize(&dir).map_err(write_err(&dir))?;
        let made = top.and_then(|t| fs::canonicalize(t).ok());
        Self::claim_made(&dir, made.clone()).inspect_err(|_| {
            if let Some(top) = &made {
                remove_made(&dir, top);
            }
        })
    }

    /// The rest of [`OutDir::claim`], once DIR exists (`made`: what the claim made of it).
    fn claim_made(dir: &Path, made: Option<PathBuf>) -> Result<OutDir> {
        // The set is swapped in by replacing the folder itself: a shell standing in it would be
        // left in a deleted folder.
        if std::env::current_dir().is_ok_and(|cwd| cwd.starts_with(dir)) {
            return Err(Error::Usage(format!(
                "--out {}: the current folder (or one above it) cannot be the output folder, since a run replaces the folder whole; give a folder below it, such as --out results",
                dir.display()
            )));
        }
        refuse_foreign(dir)?;
        let lock = File::open(dir).map_err(write_err(dir))?;
        lock.try_lock().map_err(|e| match e {
            fs::TryLockError::WouldBlock => Error::Write {
                path: dir.to_path_buf(),
                source: io::Error::other("another routesim run is writing to this folder"),
            },
            fs::TryLockError::Error(source) => Error::Write {
                path: dir.to_path_buf(),
                source,
            },
        })?;
        refuse_read_only(dir)?;
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let staging = tempfile::Builder::new()
            .prefix(".routesim-out-")
            .tempdir_in(parent)
            .map_err(write_err(parent))?;
        Ok(OutDir {
            dir: dir.to_path_buf(),
            _lock: lock,
            staging,
            made,
        })
    }

    /// The folder the new set is written into.
    pub fn staging(&self) -> &Path {
        self.staging.path()
    }

    /// Swaps the staged set in for DIR's old one, and removes the old one.
    pub fn commit(self) -> Result<()> {
        let (dir, staging) = (&self.dir, self.staging.path());
        // Someone may have put a file into DIR while the run went on: never swap it away.
        refuse_foreign(dir)?;
        if let Ok(meta) = fs::metadata(dir) {
            let _ = fs::set_permissions(staging, meta.permissions());
        }
        let exchanged = rustix::fs::renameat_with(
            rustix::fs::CWD,
            staging,
            rustix::fs::CWD,
            dir,
            rustix::fs::RenameFlags::EXCHANGE,
        );
        match exchanged {
            // The staging path now holds the old set: the TempDir removes it when dropped.
            Ok(()) => Ok(()),
            // A file system without atomic exchange: move the old set aside, then the new in.
            Err(_) => {
                let aside = staging.with_extension("old");
                fs::rename(dir, &aside).map_err(write_err(dir))?;
                if let Err(source) = fs::rename(staging, dir) {
                    let _ = fs::rename(&aside, dir);
                    return Err(Error::Write {
                        path: dir.clone(),
                        source,
                    });
                }
                let _ = fs::remove_dir_all(&aside);
                Ok(())
            }
        }
    }
}
