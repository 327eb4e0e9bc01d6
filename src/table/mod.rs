//! Parquet tables: building Arrow record batches and reading and writing them with fixed settings.

mod builder;
mod file_schema;
mod markdown;
mod parquet_io;

pub use builder::TableBuilder;
pub use file_schema::{FileSchemaReader, format_of, kind_of};
pub use markdown::markdown;
pub use parquet_io::{read_parquet, write_parquet};

/// An error reading or writing a table.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("cannot {action} `{path}`: {source}")]
    Io {
        action: &'static str,
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}` is not a readable Parquet table: {message}")]
    Parquet { path: std::path::PathBuf, message: String },
    #[error("cannot build table: {0}")]
    Build(String),
}
