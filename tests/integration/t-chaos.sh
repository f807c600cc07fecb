# t-chaos: the rehearsal with the daemon SIGKILLed at 10 random instants
# of the run and restarted each time. It must still reach done by itself
# (the test only approves decommission), with 0 lost writes, the checksum
# proof passed, and every droplet deleted exactly once.
#   CHAOS_KILLS (10), CHAOS_SEED (random): the seed is printed, so a
#   failing run can be repeated.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/db.sh"
. "$(dirname "$0")/aws.sh"
. "$(dirname "$0")/rehearsal.sh"

KILLS=${CHAOS_KILLS:-10}
SEED=${CHAOS_SEED:-$(( $(date +%s%N) % 100000 ))}
echo "t-chaos: seed $SEED, $KILLS kills" >&2
RANDOM=$SEED

rh_start
# The instants: from the start, 0.3 to 3 s apart, so that the ten fall
# within the run (about 30 s unharmed, longer with the restarts).
at=() kills=0
chaos_tick() {
	local now=$(( $(date +%s%N) / 1000000 )) t i
	if [ "${#at[@]}" -eq 0 ]; then
		t=$now
		for i in $(seq "$KILLS"); do
			t=$(( t + 300 + RANDOM % 2700 ))
			at+=("$t")
		done
	fi
	[ "$kills" -lt "$KILLS" ] || return 0
	[ "$now" -ge "${at[$kills]}" ] || return 0
	kills=$((kills + 1))
	echo "t-chaos: kill $kills in $(phase_of shop 2>/dev/null)" >&2
	echo "kill $kills: $(phase_of shop 2>/dev/null)" >> "$T/kills"
	kill9_daemon
	start_daemon
}
RH_TOLERANT=1 RH_TICK=0.1
ok "create to done through $KILLS kills" rh_drive 240 chaos_tick
expect_eq "all the kills happened" "$KILLS" "$kills"
writer_stop
rh_summary > "$T/summary.txt"
cat "$T/kills" "$T/summary.txt" >&2
expect_eq "phase" done "$(phase_of shop)"
expect_eq "no write lost" 0 "$(writer_lost "$REPLICA_PORT")"
expect_eq "checksum proof" ok "$(fact proof.verdict)"
expect_match "each droplet deleted exactly once" \
    "droplets deleted: 2 \(each once\); still there: db-1" \
    "$(cat "$T/summary.txt")"
stop_daemon; expect_eq "clean exit" 0 $?
finish
