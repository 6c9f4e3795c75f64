#!/bin/bash
# Inputs that once aborted, exhausted memory or failed late (issue 21),
# each run on the release binary with its message and exit code.
# From the repository root, after `cargo build --release -p neurodyn-cli`:
#   bash tools/reliability_repro.sh
# The disk-full case mounts a 30 MB tmpfs and needs root; it is skipped
# otherwise.
cd "$(dirname "$0")/.."
B=$PWD/target/release/neurodyn
D=$(mktemp -d); trap 'rm -rf "$D"' EXIT
t() { # label, sed, pipeline
  sed -e "$2" pipelines/$3.toml > $D/x.toml
  echo "== $1"
  /usr/bin/time -f "[%e s, %M KB]" $B run $D/x.toml --out $D/out -q 2>&1 | tail -3
  echo "exit ${PIPESTATUS[0]}; files written: $(find $D/out -type f 2>/dev/null | wc -l)"; rm -rf $D/out
}
t "two axes of 100000 values" 's/^g = .*/g = { start = 0, stop = 99999 }/; s/^session = .*/session = { start = 0, stop = 99999 }/' rnn-chaos
t "ring n_e = 100000" 's/^n_e = .*/n_e = 100000/' ring-attractor
t "ring current_step_pa = 1e-9" 's/^current_step_pa = .*/current_step_pa = 1e-9/' ring-attractor
t "rnn n = 100000, p = 1.0" 's/^n = .*/n = 100000/; s/^p = .*/p = 1.0/' rnn-chaos
t "force n = 100000" 's/^n = 200/n = 100000/' force-motifs
t "dt_ms = {}" 's/^dt_ms = .*/dt_ms = {}/' rnn-chaos
t "integrator = {}" 's/^integrator = .*/integrator = {}/' whole-brain
t "duration_ms = {}" 's/^duration_ms = .*/duration_ms = {}/' whole-brain
t "ring dt_ms = 10" '28s/.*/dt_ms = 10/' ring-attractor
t "rnn steps = 1" 's/^steps = 7000/steps = 1/' rnn-chaos
t "branching sigma = 1000" 's/^sigma = .*/sigma = [1000.0]/' branching-avalanches
t "whole-brain speed = [1e-6]" 's/^speed = .*/speed = [1e-6]/' whole-brain
t "whole-brain connectome = /etc/passwd" 's|^connectome = .*|connectome = "/etc/passwd"|' whole-brain
t "whole-brain bad target" 's|^target = .*|target = "/etc/passwd"|' whole-brain
t "whole-brain fcd.window_ms = 1e9" 's|^window_ms = .*|window_ms = 1e9|' whole-brain
echo "== zip bomb (1 MB zip, weights.txt inflates to 1 GiB)"
python3 - "$D/bomb.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED) as z:
    with z.open('weights.txt','w', force_zip64=False) as f:
        row=(b'0 '*1023+b'0\n')
        for _ in range((1<<30)//len(row)): f.write(row)
    z.writestr('tract_lengths.txt','0\n'); z.writestr('centres.txt','a 0 0 0\n')
PY
ls -l $D/bomb.zip | awk '{print "bomb.zip:", $5, "bytes"}'
/usr/bin/time -f "[%e s, %M KB]" $B connectome info $D/bomb.zip 2>&1; echo "exit $?"
echo "== a 20 GB sparse file as the connectome"
truncate -s 20G $D/huge.zip
/usr/bin/time -f "[%e s, %M KB]" $B connectome info $D/huge.zip 2>&1; echo "exit $?"
echo "== ragged CSV"
printf 'size,duration\n3,1\n5,2,9\n7\n' > $D/rag.csv
$B analyze powerlaw --input $D/rag.csv --column size --out $D/an 2>&1; echo "exit $?; files: $(find $D/an -type f 2>/dev/null | wc -l)"
echo "== sizes of u64::MAX"
printf 'size\n3\n18446744073709551615\n' > $D/big.csv
$B analyze powerlaw --input $D/big.csv --column size --min-tail 1 --out $D/an2 2>&1 | head -3; echo "exit ${PIPESTATUS[0]}"
echo "== disk full (30 MB tmpfs)"
mkdir -p $D/small
if mount -t tmpfs -o size=30m tmpfs $D/small 2>/dev/null; then
  /usr/bin/time -f "[%e s, %M KB]" $B run rnn-chaos --out $D/small -q 2>&1 | cut -c1-400
  echo "temporaries left: $(find $D/small -name '*.tmp-*' | wc -l)"
  umount $D/small
else
  echo "skipped: mounting a tmpfs needs root"
fi
echo "== a run killed mid-way: polars reads a dataset folder"
(timeout -s KILL 1.5 $B run rnn-chaos --out $D/k -q); 
echo "temporaries: $(find $D/k -name '*.tmp-*' | wc -l), all in: $(find $D/k -name '*.tmp-*' -printf '%h\n' | sort -u | sed "s|$D/k/||")"
python3 -c "import polars as pl; print('polars.read_parquet(simulate/distance/):', pl.read_parquet('$D/k/rnn-chaos/simulate/distance/').shape)"
