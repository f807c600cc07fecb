#!/usr/bin/env bash
# run.sh: every integration test, each in its own private directory. Prints
# one line per test, how long each took, and a closing "N passed, N failed".
cd "$(dirname "$0")"
passed=0 failed=0
for t in t-*.sh; do
	t0=$SECONDS
	if bash "$t"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
	echo "time: $t $((SECONDS - t0)) s"
done
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
