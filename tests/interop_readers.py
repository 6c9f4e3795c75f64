# Prepended to each interop check (tests/interop_python.rs): every table of
# an output folder read by pandas, polars, DuckDB and pyarrow with no
# argument but its path, each sweep key checked against its real type.
import json as _json
import pathlib as _pathlib
import sys as _sys
import warnings as _warnings

import duckdb as _duckdb
import pandas as _pd
import polars as _pl
import pyarrow.dataset as _ds
import pyarrow.parquet as _pq

# the type each reader must give a key of each kind
_WANT = {
    "pandas": {"float": "float64", "int": "int64", "str": "str"},
    "polars": {"float": "Float64", "int": "Int64", "str": "String"},
    "duckdb": {"float": "DOUBLE", "int": "BIGINT", "str": "VARCHAR"},
    "pyarrow": {"float": "double", "int": "int64", "str": "string"},
}


def _fail(msg):
    print("FAIL:", msg)
    _sys.exit(1)


def _types(target, is_dir, keys):
    """Each reader's (rows, {key: type}) of a dataset folder or one file."""
    glob = f"{target}/**/*.parquet" if is_dir else str(target)
    out = {}
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        df = _pd.read_parquet(target)
    # pandas 3 gives strings the `str` dtype, older ones `object`
    out["pandas"] = (len(df), {k: ("str" if _pd.api.types.is_string_dtype(df[k]) and str(df[k].dtype) != "category" else str(df[k].dtype)) for k in keys})
    lf = _pl.scan_parquet(glob, hive_partitioning=True).collect()
    out["polars"] = (lf.height, {k: str(lf[k].dtype) for k in keys})
    rel = _duckdb.sql(f"select * from read_parquet('{glob}', hive_partitioning=true)")
    ty = dict(zip(rel.columns, map(str, rel.types)))
    out["duckdb"] = (rel.shape[0], {k: ty.get(k) for k in keys})
    t = _ds.dataset(target).to_table()
    out["pyarrow"] = (t.num_rows, {k: str(t.schema.field(k).type) if k in t.schema.names else None for k in keys})
    return out


def check_readers(root, key_kinds):
    """Every per-point dataset and every table across the sweep under root:
    the four readers agree on the rows and give each sweep key its type;
    every file shows its provenance as Arrow schema metadata."""
    root = _pathlib.Path(root)
    targets = []
    for stage in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("_")):
        for t in sorted(stage.iterdir()):
            if t.is_dir() and not t.name.startswith("_"):
                targets.append((t, True, list(key_kinds)))
            elif t.suffix == ".parquet":
                names = _pq.read_schema(t).names
                targets.append((t, False, [k for k in key_kinds if k in names]))
    if not any(d for _, d, _ in targets):
        _fail(f"no dataset under {root}")
    for target, is_dir, keys in targets:
        got = _types(target, is_dir, keys)
        rows = {r for r, _ in got.values()}
        if len(rows) != 1:
            _fail(f"{target}: the readers disagree on the rows: {got}")
        for reader, (_, types) in got.items():
            for k in keys:
                want = _WANT[reader][key_kinds[k]]
                if types[k] != want:
                    _fail(f"{reader} reads key {k} of {target} as {types[k]}, not {want}")
        for f in [target] if not is_dir else sorted(target.rglob("*.parquet")):
            md = _pq.read_schema(f).metadata or {}
            if b"neurodyn.pipeline" not in md or b"neurodyn.units" not in md:
                _fail(f"{f}: no neurodyn metadata in the Arrow schema: {md}")
            _json.loads(md[b"neurodyn.units"])
        print(f"{target.relative_to(root)}: {rows.pop()} rows; " + "; ".join(
            f"{r} " + ", ".join(f"{k} {v}" for k, v in t.items()) for r, (_, t) in got.items()))
