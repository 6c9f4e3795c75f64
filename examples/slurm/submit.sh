#!/bin/bash
# Submit a neurodyn sweep as a Slurm job array of TASKS shards, then the
# dependent aggregate job:  examples/slurm/submit.sh PIPELINE [OUT] [TASKS]
set -euo pipefail
PIPELINE=${1:?usage: submit.sh PIPELINE [OUT] [TASKS]}
OUT=${2:-data/out}
TASKS=${3:-8}
here=$(dirname "$0")
jid=$(sbatch --parsable --array="1-$TASKS" \
    --export=ALL,PIPELINE="$PIPELINE",OUT="$OUT" "$here/shard.sbatch")
sbatch --dependency="afterany:$jid" \
    --export=ALL,PIPELINE="$PIPELINE",OUT="$OUT" "$here/aggregate.sbatch"
echo "shards: job $jid (array 1-$TASKS); aggregate after it"
