#!/usr/bin/env bash
# Runs the example campaign end to end, as far as the pipeline goes:
# check → init → reports import → commit → draw (with the example's public
# seed, and each village's household list) → verify → assign → forms →
# findings import (the village findings and the household findings) →
# status → score → escalate (the sequential plan's second round for the
# county in between) → round-2 findings → score → explain → audit →
# annual, then verifies again as an outside auditor from the published
# files alone.
#
#   bash examples/cangzhou-2008/run.sh [CAMPAIGN_FOLDER]
#
# The folder defaults to target/example-campaign and must not exist yet
# (a previous run's folder there is removed first, since it is only a demo).
# Set SPOTCHECK to use an already built binary.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
default_out="$repo/target/example-campaign"
out=${1:-$default_out}

if [[ -z "${SPOTCHECK:-}" ]]; then
  cargo build --quiet --manifest-path "$repo/Cargo.toml"
  SPOTCHECK="$repo/target/debug/spotcheck"
fi
sc() { echo "+ spotcheck $*" >&2; "$SPOTCHECK" "$@"; }

if [[ "$out" == "$default_out" ]]; then rm -rf "$out" "$out-published"; fi

rules="$repo/rules/cangzhou-2008-face-to-face.toml"
frame="$here/synthetic-frame.csv"

# The commission: check the inputs, create the campaign, publish the commitment.
sc check --rules "$rules" --frame "$frame"
sc init "$out" --rules "$rules" --frame "$frame" >/dev/null
# Each county's self-check report, before the commitment fixes the inputs.
sc -C "$out" reports import "$here"/reports/*.csv >/dev/null
commitment=$(sc -C "$out" commit)
echo "commitment to publish before the ceremony: $commitment" >&2

# The public ceremony rolls the seed; the draw follows.
sc -C "$out" draw --seed "$(cat "$here/seed.txt")"
sc -C "$out" verify

# Teams (never to their home county) and one blind findings form per team.
sc -C "$out" assign --teams "$here/teams.csv" >/dev/null
sc -C "$out" forms >/dev/null

# The teams' filled-in forms come back (the example's findings are synthetic):
# each team's village findings (检查表) and household findings (入户表).
sc -C "$out" findings import "$here"/findings/*.csv >/dev/null
sc -C "$out" status >/dev/null

# Round 1 scored. 黄骅市's sample suspects concealment but cannot prove it,
# so its card stays provisional until the sequential plan has checked it again.
sc -C "$out" score --provisional >/dev/null
# The published decision rule: accept, veto, or draw round 2 from the same
# seed for the counties in between, on forms for the teams that checked them.
sc -C "$out" escalate
sc -C "$out" verify
sc -C "$out" findings import "$here"/findings-round-2/*.csv >/dev/null

# The assessors: scorecards, the trail behind one number, and the trail of
# the escalated county through both rounds.
sc -C "$out" score
sc -C "$out" explain 130921 birth_accuracy >/dev/null
sc -C "$out" explain 130983 birth_accuracy >/dev/null
sc -C "$out" explain 130927 reward_received >/dev/null
# Households per village for each county's satisfaction rate within ±5 points,
# with the design effect the example's household findings show.
sc -C "$out" plan households --margin 5% --field satisfaction >/dev/null
sc test "$repo/rules"
sc -C "$out" audit >/dev/null

# The year-end assessment: this campaign (60%) with the departments' routine
# scores (40%) and bonus items, grades and ranks; reports in four formats.
sc annual --rules "$repo/rules/cangzhou-2009-annual.toml" \
  --campaign face-to-face="$out" --input routine="$here/routine-2009.csv" \
  --input bonus="$here/bonus-2009.csv" --out "$out/annual" --force

# An outside auditor, with only the published files.
pub="$out-published"
mkdir -p "$pub"
(cd "$out" && cp -r rules frame reports draw.toml sample.csv households.csv round-2.toml round-2.csv "$pub/")
sc -C "$pub" verify

echo >&2
echo "The sample list for Excel is $out/sample.xlsx (sample.csv is the verifiable record); each village's household list" >&2
echo "is in $out/households.csv; the draw record in $out/draw.toml; the second round of the sequential plan in" >&2
echo "$out/round-2.csv and round-2.toml; the teams' findings forms, with a household sheet per village, are in" >&2
echo "$out/forms/; the scorecards in $out/score/." >&2
echo "The annual report: $out/annual/annual.html (open it in a browser; it prints on A4)." >&2
