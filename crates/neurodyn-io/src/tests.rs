//! End-to-end tests of the recorder, the reader and atomic publication.

use std::fs::{self, File};
use std::path::Path;

use neurodyn_core::{
    Column, ColumnType, Error, Field, OwnedColumn, Recorder, TableId, TableSchema,
};
use parquet::basic::Compression as ParquetCompression;
use parquet::file::reader::{FileReader, SerializedFileReader};

use crate::meta::*;
use crate::{
    Compression, FileMeta, ParquetRecorder, RecorderOptions, read_key_value_metadata, read_table,
};

fn meta() -> FileMeta {
    FileMeta {
        pipeline: "lif_population".into(),
        stage: "simulate".into(),
        params_json: r#"{"n":100,"tau_ms":20.0}"#.into(),
        seed: 18_446_744_073_709_551_557,
        fingerprint: "b3:0123abcd".into(),
    }
}

fn options(rows: usize) -> RecorderOptions {
    RecorderOptions {
        row_group_rows: rows,
        ..RecorderOptions::default()
    }
}

fn all_types() -> TableSchema {
    TableSchema::new(
        "all",
        vec![
            Field::new("step", ColumnType::U32, None),
            Field::new("offset", ColumnType::I64, None),
            Field::new("v_mv", ColumnType::F64, Some("mV")),
            Field::new("spiked", ColumnType::Bool, None),
            Field::new("label", ColumnType::Str, None),
        ],
    )
}

/// Names in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn parquet_reader(path: &Path) -> SerializedFileReader<File> {
    SerializedFileReader::new(File::open(path).unwrap()).unwrap()
}

#[test]
fn round_trip_of_all_types_across_row_groups() {
    const N: usize = 1050;
    let step: Vec<u32> = (0..N as u32).collect();
    let offset: Vec<i64> = (0..N as i64).map(|i| (i - 500) * 1_000_000_007).collect();
    let v: Vec<f64> = (0..N).map(|i| -65.0 + (i as f64).sin() * 0.1).collect();
    let spiked: Vec<bool> = (0..N).map(|i| i % 3 == 0).collect();
    let labels: Vec<String> = (0..N)
        .map(|i| match i % 4 {
            0 => String::new(),
            1 => format!("n{i}"),
            2 => "ünïcødé ✓".to_string(),
            _ => "x".repeat(i % 50),
        })
        .collect();
    let label_refs: Vec<&str> = labels.iter().map(String::as_str).collect();

    let dir = tempfile::tempdir().unwrap();
    let mut rec = ParquetRecorder::create(dir.path(), meta(), options(100)).unwrap();
    let t = rec.declare(all_types()).unwrap();
    // Chunks of 37 straddle the row-group size of 100.
    for start in (0..N).step_by(37) {
        let r = start..(start + 37).min(N);
        rec.append(
            t,
            &[
                Column::U32(&step[r.clone()]),
                Column::I64(&offset[r.clone()]),
                Column::F64(&v[r.clone()]),
                Column::Bool(&spiked[r.clone()]),
                Column::Str(&label_refs[r]),
            ],
        )
        .unwrap();
    }
    assert_eq!(rec.rows(), vec![("all".to_string(), N as u64)]);
    rec.finish().unwrap();

    let path = dir.path().join("all.parquet");
    assert_eq!(rec.files(), vec![path.clone()]);
    assert_eq!(listing(dir.path()), vec!["all.parquet"]);

    // Row groups: ten full ones and one of the remaining 50 rows.
    let reader = parquet_reader(&path);
    let md = reader.metadata();
    assert_eq!(md.num_row_groups(), N.div_ceil(100));
    let sizes: Vec<i64> = md.row_groups().iter().map(|g| g.num_rows()).collect();
    assert_eq!(&sizes[..10], &[100; 10]);
    assert_eq!(sizes[10], 50);
    assert_eq!(md.file_metadata().num_rows(), N as i64);
    let codec = md.row_group(0).column(0).compression();
    assert!(matches!(codec, ParquetCompression::ZSTD(_)), "{codec:?}");

    let table = read_table(&path).unwrap();
    assert_eq!(table.schema, all_types());
    assert_eq!(table.rows(), N);
    assert_eq!(table.columns[0], OwnedColumn::U32(step));
    assert_eq!(table.columns[1], OwnedColumn::I64(offset));
    // Bit-exact floats.
    let back = table.column("v_mv").unwrap().as_f64().unwrap();
    assert!(back.iter().zip(&v).all(|(a, b)| a.to_bits() == b.to_bits()));
    assert_eq!(table.columns[3], OwnedColumn::Bool(spiked));
    assert_eq!(table.columns[4], OwnedColumn::Str(labels));
}

#[test]
fn arrow_schema_is_typed_and_non_nullable() {
    let dir = tempfile::tempdir().unwrap();
    let mut rec = ParquetRecorder::create(dir.path(), meta(), options(8)).unwrap();
    rec.declare(all_types()).unwrap();
    rec.finish().unwrap();
    let file = File::open(dir.path().join("all.parquet")).unwrap();
    let builder =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    use arrow::datatypes::DataType::*;
    let types: Vec<_> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.data_type().clone())
        .collect();
    assert_eq!(types, vec![UInt32, Int64, Float64, Boolean, Utf8]);
    assert!(builder.schema().fields().iter().all(|f| !f.is_nullable()));
}

#[test]
fn metadata_keys_carry_the_provenance() {
    let dir = tempfile::tempdir().unwrap();
    let mut rec = ParquetRecorder::create(dir.path(), meta(), options(10)).unwrap();
    let t = rec.declare(all_types()).unwrap();
    rec.append(
        t,
        &[
            Column::U32(&[1]),
            Column::I64(&[-1]),
            Column::F64(&[0.5]),
            Column::Bool(&[true]),
            Column::Str(&["a"]),
        ],
    )
    .unwrap();
    rec.finish().unwrap();

    let kv = read_key_value_metadata(&dir.path().join("all.parquet")).unwrap();
    let m = meta();
    assert_eq!(kv[KEY_PIPELINE], "lif_population");
    assert_eq!(kv[KEY_STAGE], "simulate");
    assert_eq!(kv[KEY_PARAMS], m.params_json);
    assert_eq!(kv[KEY_SEED], "18446744073709551557");
    assert_eq!(kv[KEY_FINGERPRINT], "b3:0123abcd");
    assert_eq!(kv[KEY_VERSION], neurodyn_core::VERSION);
    assert_eq!(kv[KEY_UNITS], r#"{"v_mv":"mV"}"#);
    // The Arrow schema is stored too, so Arrow readers get the exact types.
    assert!(kv.contains_key("ARROW:schema"));
}

#[test]
fn a_table_without_rows_still_gets_a_readable_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut rec = ParquetRecorder::create(dir.path(), meta(), options(10)).unwrap();
    let t = rec.declare(all_types()).unwrap();
    rec.append(
        t,
        &[
            Column::U32(&[]),
            Column::I64(&[]),
            Column::F64(&[]),
            Column::Bool(&[]),
            Column::Str(&[]),
        ],
    )
    .unwrap();
    rec.finish().unwrap();
    let path = dir.path().join("all.parquet");
    assert_eq!(parquet_reader(&path).metadata().num_row_groups(), 0);
    let table = read_table(&path).unwrap();
    assert_eq!(table.schema, all_types());
    assert_eq!(table.rows(), 0);
    assert_eq!(
        read_key_value_metadata(&path).unwrap()[KEY_STAGE],
        "simulate"
    );
}

#[test]
fn several_tables_each_get_their_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("runs/a");
    let mut rec = ParquetRecorder::create(&out, meta(), options(4)).unwrap();
    let spikes = rec
        .declare(TableSchema::new(
            "spikes",
            vec![
                Field::new("step", ColumnType::U32, None),
                Field::new("neuron", ColumnType::U32, None),
            ],
        ))
        .unwrap();
    let rate = rec
        .declare(TableSchema::new(
            "rate",
            vec![Field::new("rate_hz", ColumnType::F64, Some("1/s"))],
        ))
        .unwrap();
    rec.append(
        spikes,
        &[Column::U32(&[1, 2, 3, 4, 5]), Column::U32(&[9, 8, 7, 6, 5])],
    )
    .unwrap();
    rec.append(rate, &[Column::F64(&[3.5])]).unwrap();
    rec.finish().unwrap();
    assert_eq!(listing(&out), vec!["rate.parquet", "spikes.parquet"]);
    assert_eq!(
        rec.rows(),
        vec![("spikes".to_string(), 5), ("rate".to_string(), 1)]
    );
    let spikes = read_table(&out.join("spikes.parquet")).unwrap();
    assert_eq!(spikes.schema.name, "spikes");
    assert_eq!(
        spikes.column("neuron").unwrap().as_u32().unwrap(),
        &[9, 8, 7, 6, 5]
    );
    let rate = read_table(&out.join("rate.parquet")).unwrap();
    assert_eq!(rate.schema.fields[0].unit.as_deref(), Some("1/s"));
    assert_eq!(
        read_key_value_metadata(&out.join("rate.parquet")).unwrap()[KEY_UNITS],
        r#"{"rate_hz":"1/s"}"#
    );
}

#[test]
fn dropping_before_finish_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut rec = ParquetRecorder::create(dir.path(), meta(), options(10)).unwrap();
    let t = rec.declare(all_types()).unwrap();
    let n = 25; // two full row groups already written to the temporary file
    let step: Vec<u32> = (0..n).collect();
    let offset = vec![0i64; n as usize];
    let v = vec![1.0; n as usize];
    let b = vec![false; n as usize];
    let s = vec!["s"; n as usize];
    rec.append(
        t,
        &[
            Column::U32(&step),
            Column::I64(&offset),
            Column::F64(&v),
            Column::Bool(&b),
            Column::Str(&s),
        ],
    )
    .unwrap();
    // While recording, only a hidden temporary file exists.
    let during = listing(dir.path());
    assert_eq!(during.len(), 1);
    assert!(during[0].starts_with(".all.parquet.tmp-"), "{during:?}");
    drop(rec);
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn a_panic_while_recording_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let result = std::panic::catch_unwind(move || {
        let mut rec = ParquetRecorder::create(&path, meta(), options(2)).unwrap();
        let t = rec
            .declare(TableSchema::new(
                "x",
                vec![Field::new("a", ColumnType::U32, None)],
            ))
            .unwrap();
        rec.append(t, &[Column::U32(&[1, 2, 3])]).unwrap();
        panic!("simulation diverged");
    });
    assert!(result.is_err());
    assert!(listing(dir.path()).is_empty());
}

#[test]
fn an_earlier_file_is_replaced_only_by_a_finished_run() {
    let dir = tempfile::tempdir().unwrap();
    let schema = || TableSchema::new("x", vec![Field::new("a", ColumnType::U32, None)]);
    let run = |values: &[u32], finish: bool| {
        let mut rec = ParquetRecorder::create(dir.path(), meta(), options(2)).unwrap();
        let t = rec.declare(schema()).unwrap();
        rec.append(t, &[Column::U32(values)]).unwrap();
        if finish {
            rec.finish().unwrap();
        }
    };
    let read = || read_table(&dir.path().join("x.parquet")).unwrap().columns[0].clone();
    run(&[1, 2, 3], true);
    assert_eq!(read(), OwnedColumn::U32(vec![1, 2, 3]));
    run(&[7, 7, 7, 7, 7], false);
    assert_eq!(read(), OwnedColumn::U32(vec![1, 2, 3]));
    run(&[4], true);
    assert_eq!(read(), OwnedColumn::U32(vec![4]));
    assert_eq!(listing(dir.path()), vec!["x.parquet"]);
}

#[test]
fn misuse_is_an_error_that_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut rec = ParquetRecorder::create(dir.path(), meta(), options(10)).unwrap();
    let schema = TableSchema::new(
        "x",
        vec![
            Field::new("step", ColumnType::U32, None),
            Field::new("v", ColumnType::F64, None),
        ],
    );
    let t = rec.declare(schema.clone()).unwrap();
    assert!(matches!(rec.declare(schema), Err(Error::Record(_))));
    // Wrong type, wrong count, unequal lengths, unknown table.
    let wrong = [
        rec.append(t, &[Column::F64(&[1.0]), Column::F64(&[1.0])]),
        rec.append(t, &[Column::U32(&[1]), Column::I64(&[1])]),
        rec.append(t, &[Column::U32(&[1])]),
        rec.append(t, &[Column::U32(&[1, 2]), Column::F64(&[1.0])]),
        rec.append(TableId(5), &[Column::U32(&[1]), Column::F64(&[1.0])]),
    ];
    for r in wrong {
        assert!(matches!(r, Err(Error::Record(_))), "{r:?}");
    }
    assert_eq!(rec.rows(), vec![("x".to_string(), 0)]);
    // The recorder still works after refused pushes.
    rec.append(t, &[Column::U32(&[3]), Column::F64(&[0.25])])
        .unwrap();
    rec.finish().unwrap();
    let table = read_table(&dir.path().join("x.parquet")).unwrap();
    assert_eq!(table.column("step").unwrap().as_u32().unwrap(), &[3]);
    assert_eq!(table.column("v").unwrap().as_f64().unwrap(), &[0.25]);

    // After finish: finishing again is a no-op, everything else an error.
    rec.finish().unwrap();
    assert!(matches!(
        rec.append(t, &[Column::U32(&[1]), Column::F64(&[1.0])]),
        Err(Error::Record(_))
    ));
    let late = TableSchema::new("late", vec![Field::new("a", ColumnType::U32, None)]);
    assert!(matches!(rec.declare(late), Err(Error::Record(_))));
    assert_eq!(listing(dir.path()), vec!["x.parquet"]);
}

#[test]
fn compression_options_are_applied() {
    for (opt, check) in [
        (Compression::Snappy, ParquetCompression::SNAPPY),
        (Compression::Uncompressed, ParquetCompression::UNCOMPRESSED),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let opts = RecorderOptions {
            row_group_rows: 4,
            compression: opt,
        };
        let mut rec = ParquetRecorder::create(dir.path(), meta(), opts).unwrap();
        let t = rec
            .declare(TableSchema::new(
                "x",
                vec![Field::new("a", ColumnType::I64, None)],
            ))
            .unwrap();
        rec.append(t, &[Column::I64(&[1, 2, 3, 4, 5])]).unwrap();
        rec.finish().unwrap();
        let path = dir.path().join("x.parquet");
        let reader = parquet_reader(&path);
        assert_eq!(
            reader.metadata().row_group(0).column(0).compression(),
            check
        );
        assert_eq!(
            read_table(&path).unwrap().columns[0],
            OwnedColumn::I64(vec![1, 2, 3, 4, 5])
        );
    }
}

#[test]
fn read_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.parquet");
    match read_table(&missing) {
        Err(Error::Io { path, .. }) => assert_eq!(path, missing),
        other => panic!("{other:?}"),
    }
    let garbage = dir.path().join("garbage.parquet");
    fs::write(&garbage, b"not parquet at all").unwrap();
    for err in [
        read_table(&garbage).unwrap_err(),
        read_key_value_metadata(&garbage).unwrap_err(),
    ] {
        assert!(err.to_string().contains("garbage.parquet"), "{err}");
    }
}

#[test]
fn invalid_params_json_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let bad = FileMeta {
        params_json: "not json".into(),
        ..meta()
    };
    let err = ParquetRecorder::create(dir.path(), bad, RecorderOptions::default()).unwrap_err();
    assert!(matches!(err, Error::InvalidParameter { ref name, .. } if name == "params_json"));
}

#[test]
fn row_groups_whose_statistics_exclude_the_rows_are_not_read() {
    // 10 row groups of 100 rows: group g holds x = g (float) and name "g<g>"
    let dir = tempfile::tempdir().unwrap();
    let mut rec = ParquetRecorder::create(dir.path(), meta(), options(100)).unwrap();
    let t = rec
        .declare(TableSchema::new(
            "t",
            vec![
                Field::new("x", ColumnType::F64, None),
                Field::new("name", ColumnType::Str, None),
            ],
        ))
        .unwrap();
    for g in 0..10 {
        let name = format!("g{g}");
        rec.append(
            t,
            &[
                Column::F64(&[g as f64; 100]),
                Column::Str(&vec![name.as_str(); 100]),
            ],
        )
        .unwrap();
    }
    rec.finish().unwrap();
    let path = dir.path().join("t.parquet");
    let read = |equal: &[crate::Equal]| {
        let mut xs = Vec::new();
        crate::for_each_batch_where(&path, equal, |b| {
            xs.extend_from_slice(b.f64s("x")?);
            Ok(())
        })
        .unwrap();
        xs
    };
    assert_eq!(read(&[]).len(), 1000);
    assert_eq!(read(&[crate::Equal::F64("x", 3.0)]), vec![3.0; 100]);
    assert_eq!(read(&[crate::Equal::Str("name", "g7")]), vec![7.0; 100]);
    assert!(read(&[crate::Equal::F64("x", 3.0), crate::Equal::Str("name", "g7")]).is_empty());
    assert!(read(&[crate::Equal::F64("x", 2.5)]).is_empty());
    // a column the file lacks does not exclude anything
    assert_eq!(read(&[crate::Equal::F64("y", 1.0)]).len(), 1000);
}

#[test]
fn a_partitioned_recorder_writes_the_sweep_keys_first_typed_and_nullable() {
    use crate::{KeyValue, SweepKey};
    let dir = tempfile::tempdir().unwrap();
    let keys = vec![
        SweepKey {
            name: "model".into(),
            unit: None,
            value: KeyValue::Str(Some("hopf".into())),
        },
        SweepKey {
            name: "v_reset".into(),
            unit: Some("mV".into()),
            value: KeyValue::Float(None),
        },
        SweepKey {
            name: "seed".into(),
            unit: None,
            value: KeyValue::Int(Some(-3)),
        },
    ];
    let part = Path::new("model_hopf/v_reset_null/seed_-3");
    let mut rec =
        ParquetRecorder::create_partitioned(dir.path(), part, keys, meta(), options(2)).unwrap();
    let v = rec
        .declare(TableSchema::new(
            "v",
            vec![Field::new("v_mv", ColumnType::F64, Some("mV"))],
        ))
        .unwrap();
    // 5 rows over 3 row groups: every batch gets its key columns
    rec.append(v, &[Column::F64(&[1.0, 2.0, 3.0, 4.0, 5.0])])
        .unwrap();
    // a column named like a key is refused
    let clash = rec.declare(TableSchema::new(
        "w",
        vec![Field::new("seed", ColumnType::I64, None)],
    ));
    assert!(clash.unwrap_err().to_string().contains("also a sweep key"));
    rec.finish().unwrap();
    let path = dir.path().join("v").join(part).join("v.parquet");
    let file = File::open(&path).unwrap();
    let builder =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    use arrow::datatypes::DataType::*;
    let schema = builder.schema().clone();
    let fields: Vec<_> = schema
        .fields()
        .iter()
        .map(|f| (f.name().as_str(), f.data_type().clone(), f.is_nullable()))
        .collect();
    assert_eq!(
        fields,
        vec![
            ("model", Utf8, true),
            ("v_reset", Float64, true),
            ("seed", Int64, true),
            ("v_mv", Float64, false),
        ]
    );
    // the provenance is in the Arrow schema too
    assert_eq!(schema.metadata()[KEY_STAGE], "simulate");
    assert_eq!(
        schema.metadata()[KEY_UNITS],
        r#"{"v_mv":"mV","v_reset":"mV"}"#
    );
    let t = read_table(&path).unwrap();
    assert_eq!(t.rows(), 5);
    assert_eq!(
        t.column("model").unwrap().as_str().unwrap(),
        vec!["hopf"; 5]
    );
    assert!(
        t.column("v_reset")
            .unwrap()
            .as_f64()
            .unwrap()
            .iter()
            .all(|x| x.is_nan())
    );
    assert_eq!(t.column("seed").unwrap().as_i64().unwrap(), &[-3; 5]);
    assert_eq!(
        t.column("v_mv").unwrap().as_f64().unwrap(),
        &[1.0, 2.0, 3.0, 4.0, 5.0]
    );
}

#[test]
fn rewriting_the_footer_keeps_the_data_and_adds_the_arrow_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let mut rec = ParquetRecorder::create(dir.path(), meta(), options(3)).unwrap();
    let t = rec.declare(all_types()).unwrap();
    rec.append(
        t,
        &[
            Column::U32(&[1, 2, 3, 4]),
            Column::I64(&[-1, 0, 1, 2]),
            Column::F64(&[0.5, f64::MAX, -0.0, 1e-300]),
            Column::Bool(&[true, false, true, true]),
            Column::Str(&["a", "bc", "", "d"]),
        ],
    )
    .unwrap();
    rec.finish().unwrap();
    let path = dir.path().join("all.parquet");
    let before = read_table(&path).unwrap();
    let md = std::collections::HashMap::from([("neurodyn.test".to_string(), "42".to_string())]);
    crate::arrow_schema_metadata(&path, &md).unwrap();
    let after = read_table(&path).unwrap();
    assert!(after.same_bits(&before));
    let file = File::open(&path).unwrap();
    let builder =
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    assert_eq!(builder.schema().metadata()["neurodyn.test"], "42");
    // the footer's other key-value entries stay
    let kv = read_key_value_metadata(&path).unwrap();
    assert_eq!(kv[KEY_PIPELINE], "lif_population");
    assert_eq!(builder.metadata().num_row_groups(), 2);
}
