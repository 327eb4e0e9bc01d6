//! Reading and writing Parquet files with rnx's settings: zstd, no dictionary for floats, fixed metadata.

use super::TableError;
use arrow_array::RecordBatch;
use arrow_schema::DataType;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;
use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

/// Writes one batch to `path`. Float columns skip dictionary encoding, which is slow and useless for them.
pub fn write_parquet(path: &Path, batch: &RecordBatch) -> Result<(), TableError> {
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(1).map_err(|e| parquet_err(path, e))?,
        ))
        .set_created_by(format!("rnx {}", env!("CARGO_PKG_VERSION")));
    for field in batch.schema().fields() {
        if matches!(field.data_type(), DataType::Float32 | DataType::Float64) {
            props = props.set_column_dictionary_enabled(ColumnPath::from(field.name().as_str()), false);
        }
    }
    let file = File::create(path).map_err(|source| TableError::Io {
        action: "create",
        path: path.into(),
        source,
    })?;
    let mut writer = ArrowWriter::try_new(BufWriter::new(file), batch.schema(), Some(props.build()))
        .map_err(|e| parquet_err(path, e))?;
    writer.write(batch).map_err(|e| parquet_err(path, e))?;
    let inner = writer.into_inner().map_err(|e| parquet_err(path, e))?;
    let file = inner.into_inner().map_err(|e| TableError::Io {
        action: "write",
        path: path.into(),
        source: e.into_error(),
    })?;
    file.sync_all().map_err(|source| TableError::Io {
        action: "sync",
        path: path.into(),
        source,
    })?;
    Ok(())
}

/// Reads a whole Parquet file into one batch.
pub fn read_parquet(path: &Path) -> Result<RecordBatch, TableError> {
    let file = File::open(path).map_err(|source| TableError::Io {
        action: "open",
        path: path.into(),
        source,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| parquet_err(path, e))?;
    let schema = builder.schema().clone();
    let reader = builder.build().map_err(|e| parquet_err(path, e))?;
    let mut batches = Vec::new();
    for batch in reader {
        batches.push(batch.map_err(|e| parquet_err(path, e))?);
    }
    arrow_select_concat(&schema, &batches).map_err(|message| TableError::Parquet {
        path: path.into(),
        message,
    })
}

fn arrow_select_concat(schema: &arrow_schema::SchemaRef, batches: &[RecordBatch]) -> Result<RecordBatch, String> {
    match batches {
        [] => Ok(RecordBatch::new_empty(schema.clone())),
        [one] => Ok(one.clone()),
        many => arrow_select::concat::concat_batches(schema, many).map_err(|e| e.to_string()),
    }
}

fn parquet_err(path: &Path, e: impl std::fmt::Display) -> TableError {
    TableError::Parquet {
        path: path.into(),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::TableBuilder;

    #[test]
    fn round_trips_and_is_byte_stable() {
        let dir = tempfile::tempdir().unwrap();
        let batch = TableBuilder::new()
            .i64("trial", vec![0, 1, 2])
            .f64("x", vec![0.5, -1.0, 2.25])
            .utf8("epoch", &["a", "b", "a"])
            .build()
            .unwrap();
        let (p1, p2) = (dir.path().join("a.parquet"), dir.path().join("b.parquet"));
        write_parquet(&p1, &batch).unwrap();
        write_parquet(&p2, &batch).unwrap();
        assert_eq!(std::fs::read(&p1).unwrap(), std::fs::read(&p2).unwrap());
        assert_eq!(read_parquet(&p1).unwrap(), batch);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.parquet");
        std::fs::write(&p, b"PAR1 this is not parquet PAR1").unwrap();
        assert!(read_parquet(&p).is_err());
    }
}
