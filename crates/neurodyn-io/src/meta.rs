//! Provenance written into every Parquet file's key-value metadata.

use std::collections::BTreeMap;

use neurodyn_core::{Error, Result, TableSchema};

/// Metadata key: the pipeline that produced the file.
pub const KEY_PIPELINE: &str = "neurodyn.pipeline";
/// Metadata key: the pipeline stage that produced the file.
pub const KEY_STAGE: &str = "neurodyn.stage";
/// Metadata key: the stage's parameters as a JSON document.
pub const KEY_PARAMS: &str = "neurodyn.params";
/// Metadata key: the run's root seed, in decimal.
pub const KEY_SEED: &str = "neurodyn.seed";
/// Metadata key: the fingerprint of the inputs and parameters.
pub const KEY_FINGERPRINT: &str = "neurodyn.fingerprint";
/// Metadata key: the neurodyn version ([`neurodyn_core::VERSION`]).
pub const KEY_VERSION: &str = "neurodyn.version";
/// Metadata key: a JSON object mapping column name to unit, for the columns
/// that have one (`{"t_ms":"ms"}`; `{}` when none has).
pub const KEY_UNITS: &str = "neurodyn.units";

/// Where a file comes from; written into each Parquet file under the
/// `neurodyn.*` keys (see [`FileMeta::key_values`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileMeta {
    /// Pipeline name.
    pub pipeline: String,
    /// Stage name within the pipeline.
    pub stage: String,
    /// The stage's parameters, as a JSON document (`{}` when there are none).
    pub params_json: String,
    /// Root seed of the run.
    pub seed: u64,
    /// Fingerprint identifying the inputs and parameters.
    pub fingerprint: String,
}

impl FileMeta {
    /// Check that [`FileMeta::params_json`] is valid JSON.
    pub fn validate(&self) -> Result<()> {
        serde_json::from_str::<serde_json::Value>(&self.params_json)
            .map(|_| ())
            .map_err(|e| Error::invalid("params_json", &self.params_json, &format!("JSON ({e})")))
    }

    /// The key-value pairs written for a table with `schema`: the five
    /// fields, `neurodyn.version` and `neurodyn.units`.
    pub fn key_values(&self, schema: &TableSchema) -> BTreeMap<String, String> {
        BTreeMap::from([
            (KEY_PIPELINE.to_string(), self.pipeline.clone()),
            (KEY_STAGE.to_string(), self.stage.clone()),
            (KEY_PARAMS.to_string(), self.params_json.clone()),
            (KEY_SEED.to_string(), self.seed.to_string()),
            (KEY_FINGERPRINT.to_string(), self.fingerprint.clone()),
            (KEY_VERSION.to_string(), neurodyn_core::VERSION.to_string()),
            (KEY_UNITS.to_string(), units_json(schema)),
        ])
    }
}

/// The `neurodyn.units` value: a JSON object of column name to unit.
pub fn units_json(schema: &TableSchema) -> String {
    let units: serde_json::Map<String, serde_json::Value> = schema
        .fields
        .iter()
        .filter_map(|f| Some((f.name.clone(), f.unit.clone()?.into())))
        .collect();
    serde_json::Value::Object(units).to_string()
}

/// Parse a `neurodyn.units` value back into column name to unit.
pub fn parse_units(json: &str) -> Result<BTreeMap<String, String>> {
    serde_json::from_str(json).map_err(|e| {
        Error::Other(format!(
            "`{KEY_UNITS}` is not a JSON object of strings: {e}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodyn_core::{ColumnType, Field};

    #[test]
    fn units_round_trip_and_skip_unitless_columns() {
        let schema = TableSchema::new(
            "x",
            vec![
                Field::new("step", ColumnType::U32, None),
                Field::new("t_ms", ColumnType::F64, Some("ms")),
                Field::new("odd \"name\"", ColumnType::F64, Some("1/s")),
            ],
        );
        let json = units_json(&schema);
        let units = parse_units(&json).unwrap();
        assert_eq!(
            units,
            BTreeMap::from([
                ("t_ms".to_string(), "ms".to_string()),
                ("odd \"name\"".to_string(), "1/s".to_string()),
            ])
        );
        assert_eq!(units_json(&TableSchema::new("y", vec![])), "{}");
    }

    #[test]
    fn params_must_be_json() {
        let mut m = FileMeta {
            params_json: "{\"tau_ms\": 20}".into(),
            ..FileMeta::default()
        };
        m.validate().unwrap();
        m.params_json = "tau_ms = 20".into();
        assert!(matches!(m.validate(), Err(Error::InvalidParameter { .. })));
    }
}
