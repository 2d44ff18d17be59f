//! Parquet export of every profile table, one file per table.

use std::path::{Path, PathBuf};

use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;

use futures::StreamExt;

use super::{AtomicFile, ReportError};
use crate::engine::Engine;

/// What was written for one table.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ExportedTable {
    pub table: String,
    pub path: PathBuf,
    pub rows: usize,
}

/// Writes `<dir>/<table>.parquet` for every profile table. Each file appears only once
/// complete (temporary file, then rename).
pub async fn export_tables(engine: &Engine, dir: &Path) -> Result<Vec<ExportedTable>, ReportError> {
    std::fs::create_dir_all(dir).map_err(|e| ReportError::File {
        path: dir.display().to_string(),
        message: format!("cannot create directory: {e}"),
    })?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build();
    let mut out = Vec::new();
    for table in engine.table_names() {
        let (schema, mut stream) = engine
            .sql_stream(&format!("SELECT * FROM \"{table}\""))
            .await?;
        let path = dir.join(format!("{table}.parquet"));
        let pq = |e: datafusion::parquet::errors::ParquetError| ReportError::Parquet(e.to_string());
        let mut rows = 0usize;
        // Batches are written as the scan yields them, so the big tables never sit in
        // memory whole; the file is renamed into place only once complete.
        let mut out_file = AtomicFile::create(&path)?;
        {
            let mut writer =
                ArrowWriter::try_new(out_file.file(), schema, Some(props.clone())).map_err(pq)?;
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(crate::engine::EngineError::from)?;
                rows += batch.num_rows();
                writer.write(&batch).map_err(pq)?;
            }
            writer.close().map_err(pq)?;
        }
        out_file.commit()?;
        out.push(ExportedTable { table, path, rows });
    }
    Ok(out)
}
