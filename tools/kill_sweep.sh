#!/usr/bin/env bash
# Kills a spotcheck command at every call of each file-system system call in
# turn, with strace's fault injection (SIGKILL at the Nth call of one
# syscall), and checks that the campaign folder comes back: after each kill,
# `spotcheck recover` (every other time) and the command again must succeed,
# and `spotcheck audit` must pass.
#
#   bash tools/kill_sweep.sh SNAPSHOT -- SPOTCHECK-ARGUMENTS…
#
# SNAPSHOT is a campaign folder in the state before the command; each kill
# runs on a fresh copy of it. In the arguments, {camp} stands for that copy
# (use SNAPSHOT = none and `init {camp} …` to sweep init). Set SPOTCHECK to
# the binary (default target/debug/spotcheck). Needs strace.
#
# Example, on a folder that has had `forms`:
#   bash tools/kill_sweep.sh /tmp/before-score -- -C {camp} score
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sc=${SPOTCHECK:-$repo/target/debug/spotcheck}
snapshot=$1
shift
[[ "${1:-}" == "--" ]] && shift
command -v strace >/dev/null || { echo "strace is needed (apt-get install strace)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
syscalls=(openat write fsync renameat renameat2 unlink unlinkat mkdir rmdir)
kills=0
failed=0

fresh() {
  rm -rf "$work/p"
  mkdir -p "$work/p"
  if [[ "$snapshot" != none ]]; then cp -a "$snapshot" "$work/p/camp"; fi
}

args() {
  local a out=()
  for a in "$@"; do out+=("${a//\{camp\}/$work/p/camp}"); done
  printf '%s\0' "${out[@]}"
}

fail() {
  echo "FAIL: $*" >&2
  failed=$((failed + 1))
}

mapfile -d '' cmd < <(args "$@")
for sys in "${syscalls[@]}"; do
  n=1
  while :; do
    fresh
    # In a subshell, so that the shell does not report each kill.
    (
      strace -f -o /dev/null -e trace="$sys" -e inject="$sys":signal=SIGKILL:when="$n" \
        "$sc" "${cmd[@]}" >/dev/null 2>&1
      echo $? >"$work/rc"
    ) 2>/dev/null
    rc=$(cat "$work/rc")
    if [[ $rc -eq 0 ]]; then break; fi
    if [[ $rc -ne 137 ]]; then fail "$sys #$n: exit $rc, not a kill"; break; fi
    kills=$((kills + 1))
    camp="$work/p/camp"
    if (( n % 2 == 1 )) && [[ -f "$camp/journal.jsonl" ]]; then
      "$sc" -C "$camp" recover >"$work/out" 2>&1 || fail "$sys #$n: recover: $(cat "$work/out")"
      "$sc" -C "$camp" audit >/dev/null 2>"$work/out" || fail "$sys #$n: audit after recover: $(cat "$work/out")"
    fi
    "$sc" "${cmd[@]}" >/dev/null 2>"$work/out" || fail "$sys #$n: the command again: $(cat "$work/out")"
    "$sc" -C "$camp" audit >/dev/null 2>"$work/out" || fail "$sys #$n: audit: $(cat "$work/out")"
    if [[ "$snapshot" == none && "$(ls -A "$work/p")" != camp ]]; then
      fail "$sys #$n: leftovers beside the campaign: $(ls -A "$work/p" | tr '\n' ' ')"
    fi
    n=$((n + 1))
  done
  echo "$sys: $((n - 1)) kill point(s)" >&2
done
echo "kill sweep: ${cmd[*]}: $kills kills, $failed failure(s)" >&2
[[ $failed -eq 0 ]]
