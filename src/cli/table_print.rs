//! Printing the head of an Arrow table as aligned text.

use arrow_array::RecordBatch;
use arrow_cast::display::{ArrayFormatter, FormatOptions};

/// The first `rows` rows of `batch`, one line per row, columns aligned.
pub fn head(batch: &RecordBatch, rows: usize) -> String {
    let n = rows.min(batch.num_rows());
    let schema = batch.schema();
    let options = FormatOptions::default().with_null("null");
    let mut cells: Vec<Vec<String>> = vec![schema.fields().iter().map(|f| f.name().clone()).collect()];
    let formatters: Vec<Option<ArrayFormatter>> = batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).ok())
        .collect();
    for r in 0..n {
        cells.push(
            formatters
                .iter()
                .map(|f| f.as_ref().map_or("?".to_string(), |f| f.value(r).to_string()))
                .collect(),
        );
    }
    let widths: Vec<usize> = (0..schema.fields().len())
        .map(|c| cells.iter().map(|row| row[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &cells {
        let line: Vec<String> = row.iter().zip(&widths).map(|(cell, w)| format!("{cell:>w$}")).collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}
