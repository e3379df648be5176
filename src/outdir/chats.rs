//! `chats.csv` for `--out`: every replication's rows, in index order, written once.
//!
//! Replications run on any thread, in any order, but their rows must reach the file in index
//! order (so that the file is the same whatever `--threads`). A replication whose turn it is
//! when it starts (every earlier one is in the file, and nobody is writing to it) streams its
//! rows straight into the file. One that starts early, while another thread is still on an
//! earlier replication, streams into a part file beside it, `.chats.{r}.csv.part`, which is
//! appended, in the kernel (`copy_file_range`), and removed as soon as its turn comes. On one
//! thread the replications run in order, so every row is written once; the parts are what
//! running in parallel costs.
//!
//! Lifecycle: [`ChatsFile::create`] writes the header, [`ChatsFile::rows`] gives each
//! replication its recorder, whose `finish` (the engine's last call) hands the file on to the
//! next replication and appends any early ones now due, and [`ChatsFile::finish`] checks that
//! every replication is in and flushes the file to disk. The file lives in the staging folder,
//! so a run that fails or is interrupted leaves nothing of it behind.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use routesim::error::{Error, Result};
use routesim::model::{Model, SimTime};
use routesim::report::csv::{CHATS_HEADER, ChatWriter};
use routesim::sim::{ChatRecord, Recorder};

/// `chats.csv` being written by a run's replications.
#[derive(Debug)]
pub struct ChatsFile<'m> {
    model: &'m Model,
    path: PathBuf,
    joint: Mutex<Joint>,
}

/// Where the file stands, shared by the replications' recorders.
#[derive(Debug)]
struct Joint {
    /// The file, while no replication is streaming into it.
    file: Option<File>,
    /// The replication whose rows come next in the file.
    next: u32,
    /// Replications that finished before their turn: their part files, by index.
    early: BTreeMap<u32, PathBuf>,
    /// The first error met; the file is then never finished.
    error: Option<io::Error>,
}

impl Joint {
    /// Appends the early replications now due, in order, each removed once appended.
    fn catch_up(&mut self) {
        while self.error.is_none()
            && let Some(file) = &mut self.file
            && let Some(path) = self.early.remove(&self.next)
        {
            let appended = File::open(&path).and_then(|mut part| io::copy(&mut part, file));
            let _ = fs::remove_file(&path);
            match appended {
                Ok(_) => self.next += 1,
                Err(e) => self.error = Some(e),
            }
        }
    }
}

impl<'m> ChatsFile<'m> {
    /// Creates `dir/chats.csv` (which must not exist) with its header, for the replications
    /// from `first` on.
    pub fn create(model: &'m Model, dir: &Path, first: u32) -> Result<Self> {
        let path = dir.join("chats.csv");
        let created = File::create_new(&path).and_then(|mut file| {
            file.write_all((CHATS_HEADER.join(",") + "\n").as_bytes())?;
            Ok(file)
        });
        let file = created.map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })?;
        Ok(ChatsFile {
            model,
            path,
            joint: Mutex::new(Joint {
                file: Some(file),
                next: first,
                early: BTreeMap::new(),
                error: None,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Joint> {
        // A recorder that panicked holding the lock has failed the run anyway.
        self.joint
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The recorder of replication `r`'s rows: straight into the file if it is `r`'s turn,
    /// else into a part file.
    pub fn rows(&self, r: u32) -> ChatRows<'_, 'm> {
        let direct = {
            let mut joint = self.lock();
            if joint.next == r && joint.error.is_none() {
                joint.file.take()
            } else {
                None
            }
        };
        let (out, part) = match direct {
            Some(file) => (Ok(file), None),
            None => {
                let path = self.path.with_file_name(format!(".chats.{r}.csv.part"));
                (File::create_new(&path), Some(path))
            }
        };
        ChatRows {
            file: self,
            replication: r,
            part,
            writer: Some(out.map(|f| ChatWriter::new(self.model, f))),
        }
    }

    /// Checks that the replications before `end` are all in the file, and flushes it to disk.
    pub fn finish(self, end: u32) -> Result<()> {
        let joint = self
            .joint
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let done = match (joint.error, joint.file) {
            (Some(e), _) => Err(e),
            (None, Some(file)) if joint.next == end => file.sync_all(),
            (None, _) => Err(io::Error::other(format!(
                "the rows of replication {} never arrived",
                joint.next
            ))),
        };
        done.map_err(|source| Error::Write {
            path: self.path,
            source,
        })
    }
}

/// One replication's rows of `chats.csv`, into the file or a part file (see the module).
pub struct ChatRows<'f, 'm> {
    file: &'f ChatsFile<'m>,
    replication: u32,
    /// The part file, for a replication that started before its turn.
    part: Option<PathBuf>,
    /// Taken when the replication finishes.
    writer: Option<io::Result<ChatWriter<'m, File>>>,
}

impl Recorder for ChatRows<'_, '_> {
    #[inline]
    fn record(&mut self, rec: &ChatRecord<'_>) {
        if let Some(Ok(w)) = &mut self.writer {
            w.record(rec);
        }
    }

    #[inline]
    fn keep_going(&self) -> bool {
        matches!(&self.writer, Some(Ok(w)) if w.keep_going())
    }

    /// Hands the file on: back to the next replication (streamed straight in), or this part
    /// to the queue of early ones; then appends those now due.
    fn finish(&mut self, _end: SimTime) {
        let Some(writer) = self.writer.take() else {
            return;
        };
        let written = writer.and_then(ChatWriter::finish);
        let mut joint = self.file.lock();
        match (written, self.part.take()) {
            (Ok(file), None) => {
                joint.file = Some(file);
                joint.next = self.replication + 1;
            }
            (Ok(_), Some(path)) => {
                joint.early.insert(self.replication, path);
            }
            (Err(e), part) => {
                if let Some(path) = part {
                    let _ = fs::remove_file(path);
                }
                joint.error.get_or_insert(e);
            }
        }
        joint.catch_up();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DESK: &str = r#"
[simulation]
duration = "2h"
replications = 3
[[teams]]
name = "support"
[[agents]]
name = "a"
count = 2
teams = ["support"]
[[traffic]]
name = "web"
rate = "60/h"
handle_time = "3m"
[[rules]]
name = "all"
route = [ { team = "support" } ]
"#;

    /// The file as it should be: the header, then each replication's rows in order.
    fn expected(model: &Model) -> Vec<u8> {
        let mut out = (CHATS_HEADER.join(",") + "\n").into_bytes();
        for r in 0..model.replications {
            let rows = ChatWriter::new(model, Vec::new());
            let (_, rows) = routesim::sim::run_replication(model, r, rows, |_| {});
            out.extend(rows.finish().unwrap());
        }
        out
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replications_in_order_stream_straight_into_the_file() {
        let model = routesim::scenario::parse_str("desk.toml", DESK).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let chats = ChatsFile::create(&model, dir.path(), 0).unwrap();
        for r in 0..model.replications {
            let rows = chats.rows(r);
            assert!(rows.part.is_none(), "replication {r} went to a part file");
            routesim::sim::run_replication(&model, r, rows, |_| {});
            assert_eq!(names(dir.path()), ["chats.csv"]);
        }
        chats.finish(model.replications).unwrap();
        let got = fs::read(dir.path().join("chats.csv")).unwrap();
        assert!(got.len() > 1_000);
        assert_eq!(got, expected(&model));
    }

    #[test]
    fn replications_out_of_order_wait_in_parts_and_land_in_order() {
        let model = routesim::scenario::parse_str("desk.toml", DESK).unwrap();
        // Every order of finishing, with all three started before any finishes (so 1 and 2
        // are early), and with 0 done before the others start.
        for order in [[0, 1, 2], [2, 1, 0], [1, 0, 2], [2, 0, 1]] {
            for all_started_first in [true, false] {
                let dir = tempfile::tempdir().unwrap();
                let chats = ChatsFile::create(&model, dir.path(), 0).unwrap();
                let mut started: Vec<Option<ChatRows<'_, '_>>> = Vec::new();
                if all_started_first {
                    started.extend((0..3).map(|r| Some(chats.rows(r))));
                } else {
                    let first = chats.rows(order[0]);
                    started.resize_with(3, || None);
                    started[order[0] as usize] = Some(first);
                }
                for &r in &order {
                    let rows = started[r as usize].take().unwrap_or_else(|| chats.rows(r));
                    routesim::sim::run_replication(&model, r, rows, |_| {});
                }
                chats.finish(3).unwrap();
                assert_eq!(names(dir.path()), ["chats.csv"], "{order:?}");
                let got = fs::read(dir.path().join("chats.csv")).unwrap();
                assert_eq!(got, expected(&model), "{order:?}, {all_started_first}");
            }
        }
    }

    #[test]
    fn a_missing_replication_is_an_error_not_a_short_file() {
        let model = routesim::scenario::parse_str("desk.toml", DESK).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let chats = ChatsFile::create(&model, dir.path(), 0).unwrap();
        for r in [0, 2] {
            routesim::sim::run_replication(&model, r, chats.rows(r), |_| {});
        }
        let err = chats.finish(3).unwrap_err().to_string();
        assert!(err.contains("replication 1"), "{err}");
    }
}
