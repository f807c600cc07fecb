#!/usr/bin/env bash
# run.sh: every integration test, each in its own private directory. Prints
# one line per test and a closing "N passed, N failed".
cd "$(dirname "$0")"
passed=0 failed=0
for t in t-*.sh; do
	if bash "$t"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
echo "integration: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
