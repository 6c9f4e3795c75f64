#!/usr/bin/env python3
"""Content hash of every Parquet table under a pipeline output folder.

    python3 tools/table_hashes.py data/out/rnn-chaos > before.tsv
    python3 tools/table_hashes.py data/out/rnn-chaos | diff before.tsv -

One line per file: its path relative to the folder, its rows, and a sha256 of
its row content: the column names, types and values in file order, read by
pyarrow, with the key-value metadata (fingerprints, parameters, versions)
left out and the row groups joined, so the hash changes only when the data
do. Manifests and figures are not tables and are not hashed.
"""

import hashlib
import pathlib
import sys

import pyarrow as pa
import pyarrow.parquet as pq


def content_hash(path):
    table = pq.read_table(path, partitioning=None).replace_schema_metadata(None)
    table = table.combine_chunks()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return table.num_rows, hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()[:16]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: table_hashes.py OUTPUT_FOLDER")
    root = pathlib.Path(sys.argv[1])
    files = sorted(p for p in root.rglob("*.parquet") if p.is_file())
    if not files:
        sys.exit(f"no Parquet files under {root}")
    for p in files:
        rows, h = content_hash(p)
        print(f"{p.relative_to(root)}\t{rows}\t{h}")


if __name__ == "__main__":
    main()
