# t-metrics: [metrics] listen serves /metrics in Prometheus's text format.
# promtool (Debian's prometheus package, in make deps) must accept it
# without a single lint problem, and a strict line grammar must too (the
# check that runs where promtool is missing); the values are the ones
# status shows; unobserved values are absent, not 0; only loopback
# addresses are accepted.
. "$(dirname "$0")/lib.sh"

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
write_config
printf '\n[metrics]\nlisten = 127.0.0.1:%s\n' "$port" >> "$T/migrated.conf"
make_plan shop
make_plan other
sed -i 's/^port = 3306/port = 3307/' "$T/plans/other.ini"
sed -i 's#^listener_arn = .*#listener_arn = arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/other/50dc6c495c0c9188/f2f7dc8efc522ab3#' "$T/plans/other.ini"
start_daemon
ctl create "$T/plans/shop.ini" >/dev/null
ctl create "$T/plans/other.ini" >/dev/null
ctl start shop >/dev/null
wait_for 20 phase_is shop failed

scrape() { curl -sf "http://127.0.0.1:$port/metrics"; }
scrape > "$T/metrics.txt"
ok "scraped" test -s "$T/metrics.txt"
if command -v promtool >/dev/null 2>&1; then
	out=$(promtool check metrics < "$T/metrics.txt" 2>&1)
	expect_eq "promtool: no problems" "0 " "$? $out"
else
	echo "t-metrics: promtool missing; the line grammar alone" >&2
fi
# The grammar of the text format, strictly: HELP and TYPE once per
# family, before its samples; names and labels well-formed; values
# numbers; no blank lines.
/usr/bin/python3 - "$T/metrics.txt" > "$T/grammar.out" 2>&1 <<'PY'
import re, sys
name = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
sample = re.compile(r'^(%s)(\{%s(,%s)*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$'
    % (name, label, label))
seen, typed, errs = set(), {}, []
for i, line in enumerate(open(sys.argv[1]).read().split("\n")[:-1], 1):
    if line.startswith("# HELP ") or line.startswith("# TYPE "):
        parts = line.split(" ", 3)
        if len(parts) < 4 or not re.match("^%s$" % name, parts[2]):
            errs.append("%d: bad comment" % i)
        if parts[1] == "TYPE":
            if parts[2] in typed or parts[3] not in ("gauge", "counter",
                    "summary"):
                errs.append("%d: TYPE again or unknown" % i)
            typed[parts[2]] = parts[3]
        continue
    m = sample.match(line)
    if not m:
        errs.append("%d: not a sample: %r" % (i, line)); continue
    fam = m.group(1)
    if fam not in typed and re.sub("_(sum|count)$", "", fam) in typed:
        fam = re.sub("_(sum|count)$", "", fam)
    if fam not in typed:
        errs.append("%d: sample before its TYPE: %s" % (i, fam))
    if typed.get(fam) == "counter" and not fam.endswith("_total"):
        errs.append("%d: counter without _total" % i)
    float(m.group(4))
    if line in seen:
        errs.append("%d: duplicate sample" % i)
    seen.add(line)
print("\n".join(errs) if errs else "grammar ok")
PY
expect_eq "strict grammar" "grammar ok" "$(cat "$T/grammar.out")"

# The values: status's, and nothing invented.
expect_match "shop's phase" '^migrated_migration_phase\{migration="shop",phase="failed"\} 1$' \
    "$(grep 'migration="shop",phase="failed"' "$T/metrics.txt")"
expect_eq "one phase each" 2 "$(grep -c '^migrated_migration_phase.* 1$' "$T/metrics.txt")"
expect_match "other is planned" 'phase="planned"\} 1' \
    "$(grep 'migration="other",phase="planned"' "$T/metrics.txt")"
expect_match "a gate limit" '^migrated_gate_limit\{migration="shop",gate="max_p99_ms"\} 1$' \
    "$(grep 'gate_limit{migration="shop",gate="max_p99_ms"' "$T/metrics.txt")"
expect_eq "no gate value without data" "" \
    "$(grep '^migrated_gate_value' "$T/metrics.txt")"
expect_eq "no weights before shifting" "" \
    "$(grep '^migrated_weight_percent' "$T/metrics.txt")"
expect_match "STS calls counted" '^migrated_api_requests_total\{service="sts"\} [1-9]' \
    "$(grep 'api_requests_total{service="sts"}' "$T/metrics.txt")"
expect_match "and their errors" '^migrated_api_errors_total\{service="sts"\} [1-9]' \
    "$(grep 'api_errors_total{service="sts"}' "$T/metrics.txt")"
expect_match "DigitalOcean's calls counted" '^migrated_api_requests_total\{service="digitalocean"\} [1-9]' \
    "$(grep 'api_requests_total{service="digitalocean"}' "$T/metrics.txt")"
expect_eq "elsewhere 404" 404 \
    "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")"

# Only loopback: metrics have no authentication.
stop_daemon
sed -i "s/^listen = .*/listen = 0.0.0.0:$port/" "$T/migrated.conf"
out=$("$BIN/migrated" -t --config "$T/migrated.conf" 2>&1)
expect_match "a public address refused, file:line" \
    "migrated.conf:[0-9]+: .*loopback address" "$out"
finish
