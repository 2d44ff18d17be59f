//! What the download tools share: where files go, how downloaded files become handles
//! grouped as one bundle, and fetching several Datadog bundles at once.

use std::path::{Path, PathBuf};

use futures::future::BoxFuture;
use futures::StreamExt;
use serde::Serialize;

use super::store::{random_id, Origin};
use super::{CallError, Context};
use crate::sources::bundle::Unpacked;
use crate::sources::datadog::list::Candidate;
use crate::sources::datadog::DatadogClient;
use crate::sources::{DownloadedFile, SourceError};

/// Bundles downloaded at once, at most.
pub const PARALLEL_DOWNLOADS: usize = 3;

/// One file of a download, as tools report it.
#[derive(Clone, Debug, Serialize)]
pub struct FileOut {
    #[serde(rename = "type")]
    pub kind: String,
    pub handle: String,
    pub path: String,
    pub bytes: u64,
}

impl Context {
    /// The folder downloads go to: `out_dir` under the output rule, else a new folder
    /// `profsql-<name>-*` (in the base folder when confined, else the system temp dir)
    /// that is kept.
    pub(crate) fn out_dir(&self, given: Option<&str>, name: &str) -> Result<PathBuf, CallError> {
        if let Some(g) = given.filter(|g| !g.is_empty()) {
            return self.paths.output("out_dir", g);
        }
        let parent = match self.paths.base() {
            Some(b) => b.to_path_buf(),
            None => std::env::temp_dir(),
        };
        let dir = tempfile::Builder::new()
            .prefix(&format!("profsql-{name}-"))
            .tempdir_in(&parent)
            .map_err(|e| CallError::internal(format!("{}: {e}", parent.display())))?;
        Ok(dir.keep())
    }

    /// Registers downloaded files as handles of one new bundle.
    pub(crate) fn register_files(
        &self,
        files: &[DownloadedFile],
        origin: &Origin,
    ) -> Result<(String, Vec<FileOut>), CallError> {
        let bundle = random_id("bundle:")?;
        let mut out = Vec::new();
        for f in files {
            let o = Origin {
                kind: Some(f.kind.clone()),
                bundle: Some(bundle.clone()),
                ..origin.clone()
            };
            let handle = self.store.register_origin(&f.path, o)?;
            out.push(FileOut {
                kind: f.kind.clone(),
                handle,
                path: f.path.display().to_string(),
                bytes: f.bytes,
            });
        }
        Ok((bundle, out))
    }
}

/// Downloads the bundles of `candidates` into `root/<folder(i)>`, a few at a time;
/// results in candidate order.
pub async fn download_candidates(
    ctx: &Context,
    client: &DatadogClient,
    candidates: &[Candidate],
    root: &Path,
    prefix: &str,
    folder: impl Fn(usize) -> String,
) -> Vec<Result<Unpacked, SourceError>> {
    let opts = ctx.store.decode_options();
    // Boxed so the stream's item type is one nameable type (and Send for the server).
    let mut jobs: Vec<BoxFuture<'_, Result<Unpacked, SourceError>>> = Vec::new();
    for (i, c) in candidates.iter().enumerate() {
        let dir = root.join(folder(i));
        jobs.push(Box::pin(async move {
            client
                .download_bundle(
                    Some(&c.profile_id),
                    &c.event_id,
                    &dir,
                    prefix,
                    &opts,
                    ctx.progress(),
                )
                .await
        }));
    }
    futures::stream::iter(jobs)
        .buffered(PARALLEL_DOWNLOADS)
        .collect()
        .await
}

/// The file of `kind` in a bundle: the member of that type, else one whose path says it.
pub fn file_of_kind<'a>(u: &'a Unpacked, kind: &str) -> Option<&'a DownloadedFile> {
    u.files.iter().find(|f| f.kind == kind).or_else(|| {
        u.files.iter().find(|f| {
            f.path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().contains(kind))
        })
    })
}
