# t-files: the plan's [files] section, in decommission, against the
# DigitalOcean and AWS test endpoints. The sync command (a cp -a of an
# upload directory) runs every files.interval while the migration waits
# for approval; a failing sync pauses with its output, and resume runs it
# again at once; after a SIGKILL the schedule goes on from the store.
# Once approved and the droplets drained, the final sync copies a file
# added late; a verify whose counts differ holds the decommission (paused,
# no droplet touched) until it passes; the final sync is not run again
# after a SIGKILL once it passed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/aws.sh"

aws_start
aws_fixture
mkdir -p "$T/secrets"
echo "do-files-token" > "$T/secrets/do"; chmod 600 "$T/secrets/do"
python3 "$TOP/tests/fakes/fakedo.py" --port 0 --token do-files-token \
    --action-delay 0.3 --env-file "$T/do.env" >"$T/fakedo.out" \
    2>"$T/fakedo.err" &
DOPID=$!
eval "aws_cleanup_more() $(declare -f cleanup_more | tail -n +2)"
cleanup_more() {
	kill "$DOPID" 2>/dev/null; wait "$DOPID" 2>/dev/null
	aws_cleanup_more
}
wait_for 20 test -s "$T/do.env" || { fail "fakedo did not start"; finish; }
. "$T/do.env"
DO_TEST_URL=$FAKEDO_URL
dofake() {
	curl -sf -X "$1" -H 'Content-Type: application/json' \
	    ${3:+--data "$3"} "$FAKEDO_URL$2"
}
dofake POST /_fake/droplets '{"droplets":[
    {"name":"web-1","tags":["shop-web"],"private_ip":"10.0.1.5","status":"active"},
    {"name":"web-2","tags":["shop-web"],"private_ip":"10.0.1.6","status":"active"}]}' \
    >/dev/null

# The droplets' upload directory, its copy, and the commands: sync fails
# while sync.fail exists; verify miscounts the copy while verify.lie does.
mkdir -p "$T/uploads" "$T/copy"
echo a > "$T/uploads/a.jpg"; echo b > "$T/uploads/b.jpg"
cat > "$T/sync.sh" <<SH
#!/bin/sh
echo "\$MIGRATED_FILES_RUN" >> "$T/sync.runs"
if [ -e "$T/sync.fail" ]; then
	echo "upload: s3://shop-uploads: AccessDenied by the bucket policy" >&2
	exit 3
fi
cp -a "$T/uploads/." "$T/copy/" && echo "copied \$(ls "$T/uploads" | wc -l) files"
SH
cat > "$T/verify.sh" <<SH
#!/bin/sh
src=\$(ls "$T/uploads" | wc -l)
dst=\$(ls "$T/copy" | wc -l)
[ -e "$T/verify.lie" ] && dst=\$((dst - 1))
echo "counted the files"
echo "\$src \$dst"
SH
chmod +x "$T/sync.sh" "$T/verify.sh"

make_plan decom "grace = 1s
shutdown_timeout = 1s
snapshot = no
delete_droplet_target_group = no

[files]
sync = $T/sync.sh
verify = $T/verify.sh
interval = 1s
timeout = 30s"
sed -i -e "s|^listener_arn = .*|listener_arn = $listener|" \
    -e "s|^droplet_target_group_arn = .*|droplet_target_group_arn = $tg_do|" \
    -e "s|^ecs_target_group_arn = .*|ecs_target_group_arn = $tg_ecs|" \
    "$T/plans/decom.ini"

runs() { grep -c "^$1\$" "$T/sync.runs" 2>/dev/null || echo 0; }
runs_ge() { [ "$(runs "$1")" -ge "$2" ]; }
fstat() { ctl --json status decom | jget "migrations.0.files.$1"; }
fstat_is() { [ "$(fstat "$1")" = "$2" ]; }
history_has() { ctl history decom | grep -q -- "$1"; }
droplet_actions() {
	curl -sf "$FAKEDO_URL/_fake/log?operation=droplet_action" |
	    /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}

start_daemon
ctl create "$T/plans/decom.ini" >/dev/null
stop_daemon
# A migration that got through the soak, as the facts record it.
sqlite3 "$STATE" "UPDATE migrations SET phase = 'decommission',
    resume_to = NULL, reason = NULL, step = 2 WHERE name = 'decom';
    INSERT INTO facts (mig, key, value, updated) SELECT id,
    'cutover.switched', '1', 0 FROM migrations WHERE name = 'decom';
    INSERT INTO facts (mig, key, value, updated) SELECT id,
    'soak.passed', '1', 0 FROM migrations WHERE name = 'decom';
    INSERT INTO facts (mig, key, value, updated) SELECT id,
    'proof.verdict', 'ok', 0 FROM migrations WHERE name = 'decom';"
start_daemon

# Periodic: every second while decommission waits for approval.
ok "sync runs every interval" wait_for 20 runs_ge sync 3
expect_eq "the copy has the uploads" "a.jpg b.jpg" "$(ls "$T/copy" | tr '\n' ' ' | sed 's/ $//')"
ok "each run journaled with its output" history_has 'files: sync ok in .* s: copied 2 files'
ok "status: the last run passed" wait_for 5 fstat_is last_ok True
expect_match "status: the next run" '^[0-9]{13}$' "$(fstat next_at)"
expect_match "status, for people" "files: +last run ok, .* ago" "$(ctl status decom)"

# A failing sync pauses with what the command said.
touch "$T/sync.fail"
ok "failing sync: paused" wait_for 10 phase_is decom paused
expect_match "failing sync: its text is the reason" \
    "files: sync failed in .* s \(exit 3\): upload: s3://shop-uploads: AccessDenied by the bucket policy" \
    "$(reason_of decom)"
ok "failing sync: journaled as an error" sh -c \
    "'$BIN/migratectl' -s '$SOCK' history decom | grep -q 'AccessDenied'"
n=$(runs sync)
sleep 2
expect_eq "paused: no sync runs" "$n" "$(runs sync)"
rm "$T/sync.fail"
ctl resume decom >/dev/null
ok "resumed: synced again at once" wait_for 10 fstat_is last_ok True

# A SIGKILL: the schedule (1h from the last run now) goes on from the store.
ctl set decom files.interval=1h >/dev/null
ok "interval 1h: nothing running" wait_for 10 fstat_is running null
n=$(runs sync)
kill9_daemon
start_daemon
ok "restart: the next run an hour after the last" wait_for 10 sh -c \
    "[ \$(( \$('$BIN/migratectl' -s '$SOCK' --json status decom | python3 -c 'import json,sys; f=json.load(sys.stdin)[\"migrations\"][0][\"files\"]; print(f[\"next_at\"] - f[\"last_at\"])') )) -ge 3590000 ]"
sleep 1
expect_eq "restart: no run before it is due" "$n" "$(runs sync)"

# A file uploaded late; the verify miscounts: decommission holds.
echo late > "$T/uploads/late.jpg"
touch "$T/verify.lie"
expect_eq "the late file is not copied yet" "" "$(ls "$T/copy" | grep late)"
ctl approve decom >/dev/null
ok "failing verify: paused" wait_for 30 phase_is decom paused
ok "the final sync ran after the drain" history_has 'files: final sync ok'
expect_eq "the final sync copied the late file" "late" "$(cat "$T/copy/late.jpg" 2>/dev/null)"
expect_match "failing verify: the reason" \
    "decommission refused: the final file sync did not pass, no droplet was stopped or deleted; files: verify failed .*verify counts 3 files at the source and 2 at the copy" \
    "$(reason_of decom)"
expect_eq "failing verify: no droplet touched" 0 "$(droplet_actions)"
expect_match "drained before the final sync" "deregistered; waiting for them to drain" \
    "$(ctl history decom)"
rm "$T/verify.lie"
ctl resume decom >/dev/null
ok "verify passes: the final sync is recorded" wait_for 30 history_has \
    'files: the final sync and its verify passed'
finals=$(runs final)
kill9_daemon
start_daemon
ok "decommissioned: done" wait_for 60 phase_is decom done
expect_eq "the final sync not run again after the restart" "$finals" "$(runs final)"
expect_match "status: the final sync passed" '^[0-9]{13}$' "$(fstat final_passed_at)"
ok "droplets stopped after the final sync" test "$(droplet_actions)" -ge 2

stop_daemon; expect_eq "clean exit" 0 $?
finish
