# t-proofstreams: the checksum proof on target.seed_threads streams, every
# session in a snapshot of one point, and resumed per table and chunk after
# a kill -9. The cutover's proof at the freeze point runs on 4 streams
# (the default); then, with the proof's facts lost as after a kill, the
# re-proof at a new point (t-reproof) is held up on one table (a lock on
# the source, which the snapshot's reads wait for) while the others are
# proven; the daemon is killed; the next re-proof goes on from what the
# last one recorded (proof.resume): it does not compare shop.items again
# (a row changed there since, on the source alone, is not read) and
# proves the rest.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db.sh"

db_start
db_items
db_plan shop "freeze_timeout = 3s" "approval = auto"
writer_start 200

db_sync
inject cutover
start_daemon
ok "writer switched" wait_for 30 history_has 'cutover -> full_traffic'
ok "the proof at the freeze point passed" wait_for 30 fact_is proof.verdict ok
ok "it ran on 4 streams" grep -q 'checksum proof started on 4 streams' "$LOG"
expect_match "its report says so" '"streams": *4' \
    "$(journal | grep '"verdict": *"ok"' | tail -1)"
expect_match "and that more than one checksummed at once" \
    '"streams_busy_max": *[2-4]' "$(journal | grep '"verdict": *"ok"' | tail -1)"
ok "nothing kept once a verdict is in" test -z "$(fact proof.resume)"

# resume_has TABLE: the kept state has TABLE proven whole.
resume_has() {
	fact proof.resume | python3 -c '
import json, sys
t = json.load(sys.stdin)["tables"].get(sys.argv[1], {})
sys.exit(0 if t.get("done") else 1)' "$1" 2>/dev/null
}
lose_proof() {
	stop_daemon
	sqlite3 "$STATE" "DELETE FROM facts WHERE key LIKE 'proof.%'"
}

# The re-proof, held up on shop.tags, proves shop.items; killed there.
lose_proof
hold_lock source shop.tags 60
start_daemon
ok "re-proof: shop.items proven and kept" wait_for 40 resume_has shop.items
not_resume_has() { ! resume_has "$1"; }
ok "re-proof: shop.tags not (it waits for the lock)" not_resume_has shop.tags
expect_eq "re-proof: no verdict yet" "" "$(fact proof.verdict)"
kill9_daemon
release_lock source
expect_match "the kept state names its cutover" '"cutover": *"[0-9]+"' \
    "$(fact proof.resume)"

# A row changed on the source alone in shop.items: proven before, not read.
src_sql "SET sql_log_bin = 0; UPDATE shop.items SET name = 'later'
    WHERE id = 77"
start_daemon
ok "resumed: verdict ok" wait_for 60 fact_is proof.verdict ok
ok "resumed: it went on from the kept state" grep -q \
    'going on from what the last one proved' "$LOG"
report=$(journal | grep '"verdict": *"ok"' | tail -1)
expect_match "resumed: the report counts the kept chunks" \
    '"resumed_chunks": *[1-9]' "$report"
expect_match "resumed: and still every row" '"rows": *[0-9]{4,}' "$report"
ok "resumed: nothing kept after the verdict" test -z "$(fact proof.resume)"
src_sql "SET sql_log_bin = 0; UPDATE shop.items SET name = 'item 77'
    WHERE id = 77"

writer_stop
expect_eq "no acknowledged write lost" 0 "$(writer_lost "$REPLICA_PORT")"
stop_daemon
finish
