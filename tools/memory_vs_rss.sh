#!/bin/bash
# The memory estimate of each study at two sizes (the largest stage's, as
# `neurodyn status` prints it) against the peak RSS of a one-thread run.
# From the repository root, after `cargo build --release -p neurodyn-cli`:
#   bash tools/memory_vs_rss.sh
cd "$(dirname "$0")/.."
B=$PWD/target/release/neurodyn
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
m() { # label sed pipeline
  sed -e "$2" pipelines/$3.toml > $T/m.toml
  est=$($B status $T/m.toml --out $T/mo 2>&1 | grep -o "about [0-9.]* [MGT]B per instance" | sed 's/ per instance//' | awk '{v=$2; if ($3=="GB") v*=1000; if (v>m) {m=v; s=$0}} END {print "largest stage estimate " s}')
  rss=$( { /usr/bin/time -f "%M" $B run $T/m.toml --out $T/mo -q --threads 1 >/dev/null 2>$T/err; } 2>&1; tail -1 $T/err)
  echo "$1 | $est | peak RSS $((rss/1024)) MB"
  rm -rf $T/mo
}
m "rnn-chaos n=200" 's/^n = .*/n = 200/' rnn-chaos
m "rnn-chaos n=4000 p=0.5" 's/^n = .*/n = 4000/; s/^p = .*/p = 0.5/; s/^steps = .*/steps = 300/; s/^benettin_transient_steps = .*/benettin_transient_steps = 100/; s/^g = .*/g = [4.0]/; s/^session = .*/session = [1]/' rnn-chaos
m "force-motifs n=200" 's/^pqif = .*/pqif = [0.5]/; s/^v_reset = .*/v_reset = [-12.3]/; s/^seed = \[.*/seed = [0]/; s/^loops = .*/loops = 2/; s/^train_last_loop = .*/train_last_loop = 1/; s/^current_loops = .*/current_loops = [1]/' force-motifs
m "force-motifs n=1000" 's/^n = 200/n = 1000/; s/^pqif = .*/pqif = [0.5]/; s/^v_reset = .*/v_reset = [-12.3]/; s/^seed = \[.*/seed = [0]/; s/^loops = .*/loops = 2/; s/^train_last_loop = .*/train_last_loop = 1/; s/^current_loops = .*/current_loops = [1]/; s/^steps_per_loop = .*/steps_per_loop = 300/; s/^stim_steps = .*/stim_steps = 100/' force-motifs
m "ring-attractor n_e=360" 's/^seed = \[.*/seed = [0]/; s/^condition = .*/condition = ["normal"]/; s/^parameter_set = .*/parameter_set = ["original"]/' ring-attractor
m "ring-attractor n_e=1440" 's/^n_e = .*/n_e = 1440/; s/^seed = \[.*/seed = [0]/; s/^condition = .*/condition = ["normal"]/; s/^parameter_set = .*/parameter_set = ["original"]/' ring-attractor
m "whole-brain speed=3" 's/^speed = .*/speed = [3.0]/; s/^k = .*/k = [0.5]/; s/^model = .*/model = ["hopf"]/; s/^seed = \[.*/seed = [0]/' whole-brain
m "whole-brain speed=0.003" 's/^speed = .*/speed = [0.003]/; s/^k = .*/k = [0.5]/; s/^model = .*/model = ["hopf"]/; s/^seed = \[.*/seed = [0]/' whole-brain
m "rnn-dimensionality n=200" 's/^seed = \[.*/seed = [0]/; s/^g = .*/g = [1.5]/' rnn-dimensionality
m "rnn-dimensionality n=4000" 's/^n = 200/n = 4000/; s/^seed = \[.*/seed = [0]/; s/^g = .*/g = [1.5]/; s/^duration_ms = .*/duration_ms = 1500.0/' rnn-dimensionality
m "branching poisson 1e5 avalanches" 's/^model = .*/model = ["poisson"]/; s/^sigma = .*/sigma = [1.0]/; s/^bootstrap = .*/bootstrap = 0/' branching-avalanches
m "branching poisson 1e6 avalanches" 's/^poisson.avalanches = .*/poisson.avalanches = 1000000/; s/^model = .*/model = ["poisson"]/; s/^sigma = .*/sigma = [1.0]/; s/^bootstrap = .*/bootstrap = 0/' branching-avalanches
