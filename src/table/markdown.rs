//! A table as Markdown, with numbers at a fixed count of significant digits: the form in which
//! pipelines/README.md quotes results, so that a test can re-render them from the committed tables.

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type};
use arrow_array::{Array, RecordBatch};
use arrow_cast::display::{ArrayFormatter, FormatOptions};
use arrow_schema::DataType;

/// Significant digits of every floating-point cell.
const MARKDOWN_DIGITS: usize = 3;

/// Every row of `batch` as a Markdown table (header, rule, rows): floats at [`MARKDOWN_DIGITS`]
/// significant digits, other types as arrow displays them, `|` escaped, nulls as `–`.
pub fn markdown(batch: &RecordBatch) -> String {
    let schema = batch.schema();
    let mut out = String::new();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    out.push_str(&format!("| {} |\n", names.join(" | ")));
    out.push_str(&format!("|{}\n", " --- |".repeat(names.len())));
    let options = FormatOptions::default();
    let formatters: Vec<Option<ArrayFormatter>> = batch
        .columns()
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).ok())
        .collect();
    for r in 0..batch.num_rows() {
        let cells: Vec<String> = batch
            .columns()
            .iter()
            .zip(&formatters)
            .map(|(c, f)| cell(c.as_ref(), f.as_ref(), r))
            .collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

fn cell(column: &dyn Array, formatter: Option<&ArrayFormatter>, row: usize) -> String {
    if column.is_null(row) {
        return "–".to_string();
    }
    match column.data_type() {
        DataType::Float64 => significant(column.as_primitive::<Float64Type>().value(row), MARKDOWN_DIGITS),
        DataType::Float32 => significant(
            f64::from(column.as_primitive::<Float32Type>().value(row)),
            MARKDOWN_DIGITS,
        ),
        _ => formatter.map_or_else(|| "?".to_string(), |f| f.value(row).to_string().replace('|', "\\|")),
    }
}

/// `x` rounded to `digits` significant digits: fixed-point between 1e-3 and 1e6, scientific
/// (`1.10e-4`) outside, `0` for zero.
fn significant(x: f64, digits: usize) -> String {
    if x == 0.0 {
        return "0".to_string();
    }
    if !x.is_finite() {
        return x.to_string();
    }
    let digits = digits.max(1);
    let exponent = x.abs().log10().floor() as i32;
    if !(-3..6).contains(&exponent) {
        return format!("{:.*e}", digits - 1, x);
    }
    let decimals = (digits as i32 - 1 - exponent).max(0) as usize;
    let fixed = format!("{x:.decimals$}");
    // Rounding can carry into a new digit (0.9996 -> "1.000"): recount from the rounded value.
    let rounded: f64 = fixed.parse().unwrap_or(x);
    let new_exponent = rounded.abs().log10().floor() as i32;
    if new_exponent != exponent {
        let decimals = (digits as i32 - 1 - new_exponent).max(0) as usize;
        return format!("{rounded:.decimals$}");
    }
    fixed
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Float64Array, Int64Array, StringArray};
    use arrow_schema::{Field, Schema};
    use std::sync::Arc;

    #[test]
    fn significant_digits_in_both_forms() {
        assert_eq!(significant(0.80712, 3), "0.807");
        assert_eq!(significant(10.14, 3), "10.1");
        assert_eq!(significant(2.2749, 3), "2.27");
        assert_eq!(significant(1234.6, 3), "1235");
        assert_eq!(significant(0.00011, 3), "1.10e-4");
        assert_eq!(significant(-0.336, 2), "-0.34");
        assert_eq!(significant(0.99996, 3), "1.00");
        assert_eq!(significant(0.0, 3), "0");
        assert_eq!(significant(f64::NAN, 3), "NaN");
    }

    #[test]
    fn a_table_with_every_row_and_nulls_as_dashes() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("stage", DataType::Utf8, false),
            Field::new("n", DataType::Int64, false),
            Field::new("rmse", DataType::Float64, true),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(StringArray::from(vec!["a|b", "c"])),
                Arc::new(Int64Array::from(vec![3, 4])),
                Arc::new(Float64Array::from(vec![Some(0.03612), None])),
            ],
        )
        .unwrap();
        assert_eq!(
            markdown(&batch),
            "| stage | n | rmse |\n| --- | --- | --- |\n| a\\|b | 3 | 0.0361 |\n| c | 4 | – |\n"
        );
    }
}
