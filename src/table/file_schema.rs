//! A user's file's columns without its data: the Parquet footer's schema, or the names in a CSV
//! header. What `rnx check` reads so that `load`'s table is known before anything runs.

use crate::ops::shapes::{FileSchema, FileSchemas};
use crate::schema::ColumnKind;
use arrow_schema::DataType;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// `parquet` or `csv`: `format` itself, or for `auto` the one the extension names.
pub fn format_of(path: &Path, format: &str) -> Result<&'static str, String> {
    match format {
        "parquet" => Ok("parquet"),
        "csv" => Ok("csv"),
        _ => match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("parquet") | Some("pq") => Ok("parquet"),
            Some("csv") => Ok("csv"),
            _ => Err(format!(
                "cannot tell the format of `{}` from its extension; set `format = csv` or `format = parquet`",
                path.file_name().map_or(path.display(), |n| Path::new(n).display())
            )),
        },
    }
}

/// Reads schemas from disk, each file once however many stages load it.
#[derive(Default)]
pub struct FileSchemaReader {
    seen: Mutex<HashMap<(PathBuf, String), Result<FileSchema, String>>>,
}

impl FileSchemas for FileSchemaReader {
    fn schema(&self, path: &Path, format: &str) -> Result<FileSchema, String> {
        let key = (path.to_path_buf(), format.to_string());
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.entry(key).or_insert_with(|| read_schema(path, format)).clone()
    }
}

fn read_schema(path: &Path, format: &str) -> Result<FileSchema, String> {
    let format = format_of(path, format)?;
    // Messages leave the path out: they are shown at the path as the file writes it.
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read the file: {e}"))?;
    match format {
        "parquet" => {
            let meta = parquet::arrow::arrow_reader::ArrowReaderMetadata::load(&file, Default::default())
                .map_err(|e| format!("the file is not a readable Parquet table: {e}"))?;
            Ok(FileSchema {
                columns: meta
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| (f.name().clone(), Some(kind_of(f.data_type()))))
                    .collect(),
            })
        }
        _ => {
            let mut header = String::new();
            std::io::BufRead::read_line(&mut std::io::BufReader::new(file), &mut header)
                .map_err(|e| format!("cannot read the file: {e}"))?;
            let names = csv_header(&header);
            if names.iter().all(String::is_empty) {
                return Err("the file is not a readable CSV file: it has no header row".to_string());
            }
            // A header names the columns; their types are inferred from the rows, when it runs.
            Ok(FileSchema {
                columns: names.into_iter().map(|n| (n, None)).collect(),
            })
        }
    }
}

/// The fields of a CSV header line, with double quotes around a field removed (`""` inside is a quote).
fn csv_header(line: &str) -> Vec<String> {
    let line = line.trim_end_matches(['\n', '\r']);
    let mut fields = vec![String::new()];
    let (mut quoted, mut chars) = (false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(String::new()),
            c => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

/// What an operator cares about in an Arrow type.
pub fn kind_of(ty: &DataType) -> ColumnKind {
    match ty {
        t if t.is_numeric() => ColumnKind::Number,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => ColumnKind::Text,
        DataType::Boolean => ColumnKind::Bool,
        DataType::Dictionary(_, value) => kind_of(value),
        _ => ColumnKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_header_gives_names_and_quotes_are_removed() {
        assert_eq!(
            csv_header("a,\"b,c\",\"say \"\"hi\"\"\"\r\n"),
            ["a", "b,c", "say \"hi\""]
        );
    }

    #[test]
    fn a_parquet_footer_gives_names_and_kinds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let batch = crate::table::TableBuilder::new()
            .f64("x", vec![1.0])
            .utf8("who", &["a"])
            .build()
            .unwrap();
        crate::table::write_parquet(&path, &batch).unwrap();
        let schema = FileSchemaReader::default().schema(&path, "auto").unwrap();
        assert_eq!(
            schema.columns,
            vec![
                ("x".to_string(), Some(ColumnKind::Number)),
                ("who".to_string(), Some(ColumnKind::Text))
            ]
        );
        std::fs::write(dir.path().join("bad.parquet"), "not parquet").unwrap();
        assert!(read_schema(&dir.path().join("bad.parquet"), "auto").is_err());
        assert!(read_schema(&dir.path().join("missing.csv"), "auto").is_err());
        assert!(read_schema(&dir.path().join("x.txt"), "auto").is_err());
    }
}
