# t-check: `migratectl check` runs every preflight check from planned and
# changes nothing; the DBA's checks name what is wrong and the fix: a
# MyISAM table, a table without a primary key, a view whose DEFINER is
# missing on the target, an application account missing there, RDS's
# binary log retention for reverse replication; the same list fails the
# preflight phase. Then each is fixed and passes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db.sh"

db_start

src_sql "SET sql_log_bin = 0;
    CREATE TABLE shop.legacy (id INT PRIMARY KEY, v INT) ENGINE=MyISAM;
    CREATE TABLE shop.events_log (at DATETIME, what VARCHAR(40)) ENGINE=InnoDB;
    CREATE USER 'reporter'@'10.%' IDENTIFIED BY 'x';
    GRANT SELECT ON shop.* TO 'reporter'@'10.%';
    CREATE DEFINER = 'reporter'@'10.%' SQL SECURITY DEFINER VIEW
        shop.v_sales AS SELECT id FROM shop.writes;
    CREATE USER 'batch'@'%' IDENTIFIED BY 'y'"
db_plan shop
sed -i "s/^\[source\]$/[source]\napp_users = app, 'batch'@'%'/" \
    "$T/plans/shop.ini"
start_daemon
ctl create "$T/plans/shop.ini" >/dev/null
ok "create" test $? -eq 0

# --- the table, its exit status, the JSON ---
out=$(ctl check shop 2>&1); rc=$?
expect_eq "check exits 1 when a check fails" 1 "$rc"
expect_match "the table names the MyISAM table" \
    "fail +source.engines +source: 1 table is not InnoDB \(shop.legacy MyISAM\)" \
    "$out"
expect_match "with its fix" "fix: convert them on the source: ALTER TABLE shop.legacy ENGINE=InnoDB" "$out"
expect_match "a summary line" "^shop \(planned\): [0-9]+ failed, [0-9]+ warnings?, of [0-9]+ checks$" "$out"

json=$(ctl --json check shop); rc=$?
expect_eq "check --json exits 1 too" 1 "$rc"
row() {	# row NAME FIELD: a check's field in $json
	printf '%s' "$json" | python3 -c '
import json, sys
d = json.load(sys.stdin)
for c in d["checks"]:
    if c["name"] == sys.argv[1]:
        v = c[sys.argv[2]]
        print("null" if v is None else v)
' "$1" "$2"
}
ok "check --json parses, one row per check" python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["name"] == "shop" and d["phase"] == "planned"
assert len(d["checks"]) >= 20
assert d["failed"] == sum(c["status"] == "fail" for c in d["checks"])
for c in d["checks"]:
    assert set(c) == {"name", "status", "detail", "fix"}, c
    assert c["status"] in ("pass", "warn", "fail", "skip"), c
    assert (c["fix"] is None) == (c["status"] in ("pass", "skip")), c
' <<<"$json"
expect_eq "MyISAM: fail" fail "$(row source.engines status)"
expect_eq "no primary key: warn" warn "$(row source.primary_keys status)"
expect_match "names the key-less table" "shop.events_log" \
    "$(row source.primary_keys detail)"
expect_match "and why" "scanning the table" "$(row source.primary_keys detail)"
expect_match "its fix" "ADD PRIMARY KEY" "$(row source.primary_keys fix)"
expect_eq "missing DEFINER: fail" fail "$(row target.definers status)"
expect_match "names the account and the view" \
    "'reporter'@'10.%' missing: view shop.v_sales \(reporter@10.%\)" \
    "$(row target.definers detail)"
expect_match "DEFINER fix" "CREATE USER 'reporter'@'10.%'.*or change the objects' DEFINER" \
    "$(row target.definers fix)"
expect_eq "missing application account: fail" fail \
    "$(row target.app_users status)"
expect_match "names only the missing one" "account is 'batch'@'%' missing" \
    "$(row target.app_users detail)"
expect_match "app account fix" "CREATE USER 'batch'@'%' on the target" \
    "$(row target.app_users fix)"
expect_eq "RDS purges binary logs at once: warn" warn \
    "$(row target.reverse_binlog status)"
expect_match "RDS retention fix" "rds_set_configuration\('binlog retention hours', 24\)" \
    "$(row target.reverse_binlog fix)"
expect_eq "seed time: pass" pass "$(row source.seed_time status)"
expect_match "seed time: the estimate" "MiB in [0-9]+ tables: the seed should take about [0-9]+s" \
    "$(row source.seed_time detail)"
expect_eq "the server checks pass" "pass pass pass" \
    "$(row source.binlog status) $(row target.server status) $(row source_target status)"
expect_eq "AWS unreachable: credentials fail" fail "$(row aws.credentials status)"
expect_eq "and the calls after it are not asked" skip "$(row aws.listener status)"

# --- nothing changed ---
expect_eq "still planned" planned "$(phase_of shop)"
ok "the journal says check ran" history_has "check by uid $(id -u): [0-9]* failed" "" shop
expect_eq "no transition" "" "$(journal shop | grep -- ' -> ')"
expect_eq "nothing written to the target" "" \
    "$(tgt_sql "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'migrated'")"
expect_eq "RDS's configuration untouched" NULL \
    "$(tgt_sql "SELECT COALESCE(value, 'NULL') FROM mysql.fixture_rds_configuration WHERE name = 'binlog retention hours'")"

# --- the same list fails the preflight phase ---
ctl start shop >/dev/null
ok "preflight fails" wait_for 30 phase_is shop failed
reason=$(reason_of)
expect_match "preflight names the MyISAM table" "shop.legacy MyISAM" "$reason"
expect_match "and the DEFINER" "'reporter'@'10.%' missing" "$reason"
ok "its warnings are journaled" history_has "warning.*no primary key" "" shop
out=$(ctl check shop 2>&1)
expect_match "check runs from failed (in preflight)" "^shop \(failed\)" "$out"

# --- fixed, they pass ---
src_sql "SET sql_log_bin = 0; ALTER TABLE shop.legacy ENGINE=InnoDB;
    ALTER TABLE shop.events_log ADD id INT AUTO_INCREMENT PRIMARY KEY FIRST"
tgt_sql "SET sql_log_bin = 0; CREATE USER 'reporter'@'10.%' IDENTIFIED BY 'x';
    CREATE USER 'batch'@'%' IDENTIFIED BY 'y'"
mdb_as "$T/db" replica admin -e "CALL mysql.rds_set_configuration('binlog retention hours', 48)"
json=$(ctl --json check shop)
expect_eq "fixed: every DBA check passes" "pass pass pass pass pass pass" \
    "$(row source.engines status) $(row source.primary_keys status) $(row target.definers status) $(row target.app_users status) $(row target.reverse_binlog status) $(row source.seed_time status)"
expect_match "RDS retention shown" "RDS keeps binary logs 48 hours" \
    "$(row target.reverse_binlog detail)"

# --- a client that leaves mid-check; two on one connection ---
python3 - "$SOCK" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"v":1,"id":1,"cmd":"check","args":{"name":"shop"}}\n')
s.close()
PY
sleep 0.5
ok "the daemon outlives a client gone mid-check" wait_for 2 ctl list
out=$(python3 - "$SOCK" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b'{"v":1,"id":1,"cmd":"check","args":{"name":"shop"}}\n'
    b'{"v":1,"id":2,"cmd":"check","args":{"name":"shop"}}\n')
f = s.makefile()
got = {}
while len(got) < 2:
    m = json.loads(f.readline())
    got[m["id"]] = m
print(got[2]["error"]["code"], "checks" in got[1]["data"])
PY
)
expect_eq "a second check on one connection: busy; the first answers" \
    "busy True" "$out"

# --- not once the cutover began (here: done); not an unknown name ---
inject done shop
start_daemon
ctl check shop >/dev/null 2>"$T/err"; rc=$?
expect_eq "check refused past the cutover" 1 "$rc"
expect_match "wrong_phase, said why" "wrong_phase: shop: check runs before the cutover" "$(cat "$T/err")"
ctl check nosuch >/dev/null 2>&1
expect_eq "unknown name: refused" 1 $?
ctl check >/dev/null 2>&1
expect_eq "no name: usage" 2 $?

stop_daemon
finish
