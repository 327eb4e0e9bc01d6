//! A small column-by-column builder for Arrow record batches.

use super::TableError;
use arrow_array::{ArrayRef, BooleanArray, Float32Array, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use std::sync::Arc;

/// Collects named columns and checks they have one length.
#[derive(Default)]
pub struct TableBuilder {
    fields: Vec<Field>,
    columns: Vec<ArrayRef>,
}

impl TableBuilder {
    pub fn new() -> TableBuilder {
        TableBuilder::default()
    }

    pub fn f64(self, name: &str, values: Vec<f64>) -> TableBuilder {
        self.column(name, DataType::Float64, Arc::new(Float64Array::from(values)))
    }

    pub fn f32(self, name: &str, values: Vec<f32>) -> TableBuilder {
        self.column(name, DataType::Float32, Arc::new(Float32Array::from(values)))
    }

    pub fn i64(self, name: &str, values: Vec<i64>) -> TableBuilder {
        self.column(name, DataType::Int64, Arc::new(Int64Array::from(values)))
    }

    pub fn bool(self, name: &str, values: Vec<bool>) -> TableBuilder {
        self.column(name, DataType::Boolean, Arc::new(BooleanArray::from(values)))
    }

    pub fn utf8<S: AsRef<str>>(self, name: &str, values: &[S]) -> TableBuilder {
        let array = StringArray::from_iter_values(values.iter().map(|s| s.as_ref()));
        self.column(name, DataType::Utf8, Arc::new(array))
    }

    /// Adds an already built array.
    pub fn column(mut self, name: &str, ty: DataType, array: ArrayRef) -> TableBuilder {
        self.fields.push(Field::new(name, ty, false));
        self.columns.push(array);
        self
    }

    pub fn build(self) -> Result<RecordBatch, TableError> {
        let schema = Arc::new(Schema::new(self.fields));
        RecordBatch::try_new(schema, self.columns).map_err(|e| TableError::Build(e.to_string()))
    }
}
