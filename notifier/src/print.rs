//! Paper print batches on disk. A batch is a directory `batch-<uuid>/` holding one PDF
//! per letter (`<letter-id>.pdf`) and `manifest.xml`. It is written under a temporary
//! name (`.tmp-batch-<uuid>`), synced, and renamed into place, so the print service
//! (which ignores names starting with `.`) never sees half a batch.

use chrono::{DateTime, Utc};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;
use uuid::Uuid;

use crate::error::PrintError;
use crate::render::manifest::{manifest, PrintItem};

/// One letter for the batch: its manifest entry and its PDF.
#[derive(Debug, Clone)]
pub struct PaperLetter {
    pub item: PrintItem,
    pub pdf: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct PrintBatches {
    dir: PathBuf,
}

impl PrintBatches {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn batch_dir(&self, batch_id: Uuid) -> PathBuf {
        self.dir.join(format!("batch-{batch_id}"))
    }

    pub fn letter_file(letter_id: Uuid) -> String {
        format!("{letter_id}.pdf")
    }

    /// Whether a finished batch holds this letter.
    pub fn holds(&self, batch_id: Uuid, letter_id: Uuid) -> bool {
        self.batch_dir(batch_id)
            .join(Self::letter_file(letter_id))
            .is_file()
    }

    /// Removes temporary batch directories older than `older_than`: the leftovers of a
    /// worker that died while writing (their letters were never marked, so they are sent
    /// again in a new batch). Younger ones may belong to a worker still writing.
    pub async fn remove_stale_temporaries(
        &self,
        older_than: Duration,
    ) -> Result<usize, PrintError> {
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || {
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
                Err(e) => return Err(PrintError::Io(e)),
            };
            let mut removed = 0;
            for entry in entries {
                let entry = entry?;
                let is_tmp = entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".tmp-batch-");
                let age = entry
                    .metadata()?
                    .modified()?
                    .elapsed()
                    .unwrap_or(Duration::ZERO);
                if is_tmp && age >= older_than {
                    fs::remove_dir_all(entry.path())?;
                    removed += 1;
                }
            }
            Ok(removed)
        })
        .await
        .map_err(|e| PrintError::Io(std::io::Error::other(e.to_string())))?
    }

    /// Writes a batch atomically. Writing a batch that exists already changes nothing.
    pub async fn write(
        &self,
        batch_id: Uuid,
        created: DateTime<Utc>,
        sender_cvr: String,
        letters: Vec<PaperLetter>,
    ) -> Result<PathBuf, PrintError> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            this.write_blocking(batch_id, created, &sender_cvr, &letters)
        })
        .await
        .map_err(|e| PrintError::Io(std::io::Error::other(e.to_string())))?
    }

    fn write_blocking(
        &self,
        batch_id: Uuid,
        created: DateTime<Utc>,
        sender_cvr: &str,
        letters: &[PaperLetter],
    ) -> Result<PathBuf, PrintError> {
        let done = self.batch_dir(batch_id);
        if done.is_dir() {
            return Ok(done);
        }
        fs::create_dir_all(&self.dir)?;
        let tmp = self.dir.join(format!(".tmp-batch-{batch_id}"));
        if tmp.exists() {
            fs::remove_dir_all(&tmp)?;
        }
        fs::create_dir(&tmp)?;
        for letter in letters {
            write_synced(&tmp.join(&letter.item.file), &letter.pdf)?;
        }
        let items: Vec<PrintItem> = letters.iter().map(|l| l.item.clone()).collect();
        write_synced(
            &tmp.join("manifest.xml"),
            manifest(batch_id, created, sender_cvr, &items).as_bytes(),
        )?;
        fs::File::open(&tmp)?.sync_all()?;
        fs::rename(&tmp, &done)?;
        fs::File::open(&self.dir)?.sync_all()?;
        Ok(done)
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[tokio::test]
    async fn batch_appears_whole_and_only_once() {
        let root = std::env::temp_dir().join(format!("notifier-print-{}", Uuid::now_v7()));
        let batches = PrintBatches::new(&root);
        let id = Uuid::now_v7();
        let letter = PaperLetter {
            item: PrintItem {
                letter_id: id,
                recipient_name: "Åse".into(),
                address: "Vej 1".into(),
                postcode: "8000".into(),
                city: "Aarhus".into(),
                title: "T".into(),
                file: PrintBatches::letter_file(id),
                pages: 1,
                letter_date: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            },
            pdf: b"%PDF-1.7".to_vec(),
        };
        let batch = Uuid::now_v7();
        let dir = batches
            .write(batch, Utc::now(), "12345678".into(), vec![letter.clone()])
            .await
            .unwrap();
        assert!(batches.holds(batch, id));
        assert!(dir.join("manifest.xml").is_file());
        // A second write of the same batch is a no-op.
        batches
            .write(batch, Utc::now(), "12345678".into(), vec![])
            .await
            .unwrap();
        assert!(batches.holds(batch, id));
        let names: Vec<String> = fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec![format!("batch-{batch}")]);
        // A crashed writer's temporary directory is cleaned once it is old enough.
        fs::create_dir(root.join(".tmp-batch-x")).unwrap();
        assert_eq!(
            batches
                .remove_stale_temporaries(Duration::from_secs(3600))
                .await
                .unwrap(),
            0
        );
        assert_eq!(
            batches
                .remove_stale_temporaries(Duration::ZERO)
                .await
                .unwrap(),
            1
        );
        assert!(batches.holds(batch, id));
        fs::remove_dir_all(&root).unwrap();
    }
}
