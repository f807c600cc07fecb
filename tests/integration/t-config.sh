# t-config: `migrated -t` checks the config and every plan with file:line
# errors; a bad config, a corrupt or newer state file stop the daemon with
# a clear message and leave the file untouched; SIGHUP reloads, and a bad
# reload keeps what runs.
. "$(dirname "$0")/lib.sh"

write_config
make_plan shop
out=$("$BIN/migrated" -t --config "$T/migrated.conf" 2>&1); rc=$?
expect_eq "-t on good files" 0 $rc
expect_match "-t names the plan" "shop.ini: ok" "$out"

printf '[traffic]\nsteps = 5, 1\n' > "$T/plans/broken.ini"
out=$("$BIN/migrated" -t --config "$T/migrated.conf" 2>&1); rc=$?
expect_eq "-t on a bad plan" 1 $rc
expect_match "file:line" "broken.ini:2: " "$out"
rm "$T/plans/broken.ini"

printf '[daemon]\nsocket = %s\nmax_clients = lots\nnope = 1\n' "$SOCK" > "$T/bad.conf"
out=$("$BIN/migrated" -t --config "$T/bad.conf" 2>&1); rc=$?
expect_eq "-t on a bad config" 1 $rc
expect_match "config file:line" "bad.conf:3: " "$out"
expect_match "config unknown key" "bad.conf:4: " "$out"
"$BIN/migrated" --foreground --config "$T/bad.conf" >"$T/bad.log" 2>&1
expect_eq "daemon refuses a bad config" 1 $?
expect_eq "nothing listens" 1 "$(test -S "$SOCK"; echo $?)"
"$BIN/migrated" --config "$T/nosuch.conf" -t >/dev/null 2>&1
expect_eq "a named config must exist" 1 $?

# Corrupt and newer state files: refused, byte-identical afterwards.
head -c 8192 /dev/urandom > "$T/corrupt.db"
cp "$T/corrupt.db" "$T/corrupt.orig"
"$BIN/migrated" --foreground --config "$T/migrated.conf" \
    --state-db "$T/corrupt.db" >"$T/c.log" 2>&1
expect_eq "corrupt state refused" 1 $?
ok "corrupt state untouched" cmp -s "$T/corrupt.db" "$T/corrupt.orig"
expect_match "says why" "corrupt|not a migrated state file" "$(cat "$T/c.log")"

start_daemon
stop_daemon
sqlite3 "$STATE" "PRAGMA user_version = 99"
cp "$STATE" "$T/newer.orig"
"$BIN/migrated" --foreground --config "$T/migrated.conf" >"$T/n.log" 2>&1
expect_eq "newer schema refused" 1 $?
expect_match "names the versions" "99" "$(cat "$T/n.log")"
ok "newer state untouched" cmp -s "$STATE" "$T/newer.orig"
rm -f "$STATE" "$STATE-wal" "$STATE-shm"

# Reload: a changed plan is adopted; a broken one is not.
start_daemon
ctl create "$T/plans/shop.ini" >/dev/null
sed -i 's/^bake = 5m/bake = 7m/' "$T/plans/shop.ini"
kill -HUP "$DPID"
bake_is() { [ "$(ctl --json plan shop | jget steps.0.bake_ms)" = "$1" ]; }
ok "plan reloaded" wait_for 5 bake_is 420000
printf 'garbage line\n' >> "$T/plans/shop.ini"
kill -HUP "$DPID"
ok "bad plan reload logged" wait_for 5 grep -q "does not parse; keeping" "$LOG"
expect_eq "old plan kept" 420000 "$(ctl --json plan shop | jget steps.0.bake_ms)"
cp "$T/migrated.conf" "$T/good.conf"
printf 'log_level = loud\n' >> "$T/migrated.conf"
kill -HUP "$DPID"
ok "bad config reload logged" wait_for 5 grep -q "keeping the running config" "$LOG"
ok "still serving" ctl list
finish
