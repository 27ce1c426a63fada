#!/usr/bin/env bash
# Mutation check for the reply player and the echo gate (issue 12 §2): each mutation below
# removes one behaviour from a copy of the repository and runs the tests that pin it. Every
# mutation must turn at least one test red; a mutation that survives means a test is missing.
#
#   scripts/mutations.sh            # all mutations (about 40 s)
#   scripts/mutations.sh 3          # only mutation 3
#
# Not part of `npm test` (it reruns test files once per mutation); run it after changing the
# reply player, the echo gate or the device role.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# name | file | exact text to remove or replace | replacement | test files
mutations=(
  "no generation bump on interrupt|src/bridge/replyPlayer.ts|    this.generation = (this.generation + 1) & 0xffff;||test/replyPlayer.test.ts"
  "no FLUSH on interrupt|src/bridge/replyPlayer.ts|    this.options.sink.send({ type: 'flush', generation: this.generation });||test/replyPlayer.test.ts"
  "no credit check|src/bridge/replyPlayer.ts|      if (this.inFlight() + entry.samples > capacitySamples) break;||test/replyPlayer.test.ts"
  "no queue clear on interrupt|src/bridge/replyPlayer.ts|    this.stats.bargeIns++;
    this.queue.clear();|    this.stats.bargeIns++;|test/replyPlayer.test.ts"
  "echo gate always open|src/bridge/echoGate.ts|    if (this.options.fullDuplex) return 'pass';|    return 'pass';|test/bridge.echoGate.test.ts test/bridge.agent.test.ts"
  "echo gate never told that a reply plays|src/bridge/deviceAgent.ts|    this.gate.setPlaying(playing, this.clock.now());||test/bridge.agent.test.ts"
  "no transition table|src/bridge/deviceAgent.ts|    if (!canTransition(this.state, state)) {|    if (false) {|test/bridge.agent.test.ts"
  "no REPLY_END|src/bridge/replyPlayer.ts|        if (protocolRevision >= 1) sink.send({ type: 'replyEnd', generation: entry.generation });||test/replyPlayer.test.ts"
  "no play-out estimate for 1.0 boards|src/bridge/replyPlayer.ts|        this.playedOut = true;
        this.update();||test/replyPlayer.test.ts"
  "no local mute after a button barge-in|src/bridge/replyPlayer.ts|    if (reason !== InterruptReason.MODEL) this.muted = true;||test/replyPlayer.test.ts"
  "no CREDIT when the buffer runs empty (rule 4)|src/device/devicePlayback.ts|    if (this.options.revision >= 1 && this.released !== this.creditReleased) this.creditNow = true; // rule 4||test/replyPlayer.test.ts test/devicePlayback.test.ts"
)

cp -r "$root/src" "$root/test" "$root/firmware" "$root/package.json" "$root/tsconfig.json" "$root/vitest.config.ts" "$work/"
ln -s "$root/node_modules" "$work/node_modules"

survived=0
for i in "${!mutations[@]}"; do
  n=$((i + 1))
  [ $# -gt 0 ] && [ "$1" != "$n" ] && continue
  IFS='|' read -r name file find replace tests <<<"${mutations[$i]}"
  # The fields may span lines: re-split on the record separator instead of the line.
  record="${mutations[$i]}"
  name="${record%%|*}"; rest="${record#*|}"
  file="${rest%%|*}"; rest="${rest#*|}"
  find="${rest%%|*}"; rest="${rest#*|}"
  replace="${rest%%|*}"; tests="${rest#*|}"
  cp "$root/$file" "$work/$file"
  FIND="$find" REPLACE="$replace" node -e '
    const fs = require("fs"); const f = process.argv[1]; const s = fs.readFileSync(f, "utf8");
    const n = s.split(process.env.FIND).length - 1;
    if (n !== 1) { console.error(`mutation text found ${n} times in ${f}`); process.exit(2); }
    fs.writeFileSync(f, s.replace(process.env.FIND, process.env.REPLACE));' "$work/$file"
  if (cd "$work" && npx vitest run $tests >/dev/null 2>&1); then
    echo "SURVIVED  $n. $name"
    survived=$((survived + 1))
  else
    echo "killed    $n. $name"
  fi
  cp "$root/$file" "$work/$file"
done
echo "$survived mutation(s) survived"
[ "$survived" -eq 0 ]
