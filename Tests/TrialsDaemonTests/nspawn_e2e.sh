#!/usr/bin/env bash
# trialsd under systemd as PID 1: systemd-nspawn boots this machine's /usr (volatile), the
# shipped units are installed inside, trialsd.socket started, and trialctl drives it;
# trialtrack-sync.service runs the real `trialctl sync` against a stand-in for the registry.
# Usage (root): nspawn_e2e.sh TRIALSD TRIALCTL SYSTEMD_DIR WORKDIR NETNS REGISTRY_PORT
# NETNS: the network namespace the container gets (a file naming it, as /proc/PID/fd/N), in
# which a stand-in for ClinicalTrials.gov listens on 127.0.0.1:REGISTRY_PORT; the stand-in
# cuts its pages of studies short once WORKDIR/registry-fails exists (SystemdEndToEndTests).
set -euo pipefail
trialsd=$1 trialctl=$2 units=$3 work=$4 netns=$5 port=$6
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAILED: $1"; fail=1; fi; }
# Checks grep to /dev/null, never with -q: under pipefail, grep -q leaving at the first match
# can kill the writer with SIGPIPE and fail a check that matched.

mkdir -p "$work/bin"
cp "$trialsd" "$trialctl" "$work/bin/"
sed 's|/usr/local/bin/|/opt/e2e/bin/|' "$units/trialsd.service" > "$work/trialsd.service"
sed 's|/usr/local/bin/|/opt/e2e/bin/|' "$units/trialtrack-sync.service" > "$work/trialtrack-sync.service"
cp "$units/trialtrack-sync.timer" "$units/trialsd.socket" "$units/trialsd.sysusers" "$units/trialsd.tmpfiles" "$units/trialsd.catalog" "$work/"

# The Swift runtime of the build lives under /opt/swift: bind it in, read-only. The network is
# the stand-in's namespace (only lo, as with --private-network, plus the stand-in).
timeout 240 systemd-nspawn -q -D / --volatile=yes --register=no --keep-unit --network-namespace-path="$netns" \
    --bind-ro="$work":/opt/e2e --bind-ro=/opt/swift --console=pipe -b systemd.firstboot=off \
    > "$work/console.log" 2>&1 &
nspawn=$!
leader=""
# Power the container off; if it has not gone 10 s later, SIGKILL its PID 1, which ends every
# process in its PID namespace, so nothing of it outlives the test.
cleanup() {
    local from=$SECONDS
    [ -n "$leader" ] && timeout 10 nsenter -t "$leader" -a systemctl poweroff >/dev/null 2>&1 || true
    for _ in $(seq 1 100); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$nspawn" 2>/dev/null; then
        echo "note: the container had not powered off after $((SECONDS - from)) s: killing it"
        [ -n "$leader" ] && kill -9 "$leader" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$nspawn" 2>/dev/null || break; sleep 0.1; done
        pkill -9 -P "$nspawn" 2>/dev/null || true  # systemd-nspawn, under timeout(1)
        kill -9 "$nspawn" 2>/dev/null || true
    fi
}
trap cleanup EXIT
# Bounded: a wait that never ends fails its check (every command in the container is timed).
trap 'echo "FAILED: stopped by SIGTERM (past the deadline)"; exit 1' TERM
trap 'echo "FAILED: line $LINENO: $BASH_COMMAND (exit status $?)"' ERR

# The container's PID 1 is a grandchild of systemd-nspawn.
for _ in $(seq 1 200); do
    for child in $(pgrep -P "$nspawn" || true); do
        for p in $(pgrep -P "$child" || true); do
            [ "$(cat /proc/$p/comm 2>/dev/null)" = systemd ] && leader=$p
        done
    done
    [ -n "$leader" ] && break
    sleep 0.05
done
[ -n "$leader" ] || { echo "FAILED: systemd did not start in the container"; cat "$work/console.log"; exit 1; }
ct() { timeout 60 nsenter -t "$leader" -a "$@"; }
# Its bus comes up a moment after it starts: ask until it answers, then wait for the boot
# (at most 120 s in all).
state=""
deadline=$((SECONDS + 120))
while [ -z "$state" ] && [ $SECONDS -lt $deadline ]; do
    state=$(timeout $((deadline - SECONDS + 1)) nsenter -t "$leader" -a systemctl is-system-running --wait 2>/dev/null || true)
    [ -n "$state" ] || sleep 0.05
done
check "the container booted ($state)" '[ "$state" = running ] || [ "$state" = degraded ]'

# Install the shipped units as make install would, with a short watchdog for the test. The
# catalog goes where make install puts it, /usr/local/lib/systemd/catalog (journalctl reads
# catalogs from there and /usr/lib, never /etc): the container's /usr is the host's, read-only,
# so /usr/local/lib is overlaid, inside the container only, with a layer on its /run.
ct sh -c '
    cp /opt/e2e/trialsd.service /opt/e2e/trialsd.socket /opt/e2e/trialtrack-sync.service /opt/e2e/trialtrack-sync.timer /etc/systemd/system/
    mkdir -p /etc/sysusers.d /etc/tmpfiles.d /etc/systemd/system/trialsd.service.d /run/e2e-lib/upper /run/e2e-lib/work
    cp /opt/e2e/trialsd.sysusers /etc/sysusers.d/trialsd.conf
    cp /opt/e2e/trialsd.tmpfiles /etc/tmpfiles.d/trialsd.conf
    mount -t overlay overlay -o lowerdir=/usr/local/lib,upperdir=/run/e2e-lib/upper,workdir=/run/e2e-lib/work /usr/local/lib
    install -Dm644 /opt/e2e/trialsd.catalog /usr/local/lib/systemd/catalog/trialsd.catalog
    printf "[Service]\nWatchdogSec=3s\nTimeoutAbortSec=2s\nRestartSec=100ms\n" > /etc/systemd/system/trialsd.service.d/e2e.conf
    systemd-sysusers && systemd-tmpfiles --create /etc/tmpfiles.d/trialsd.conf && journalctl --update-catalog
    systemctl daemon-reload && systemctl start trialsd.socket'
check "trialsd.socket listens on /run/trialsd/control" 'ct test -S /run/trialsd/control'
check "trialsd.service is not running before the first connection" '[ "$(ct systemctl is-active trialsd.service || true)" = inactive ]'

# The first trialctl activates the service.
check "trialctl status activates trialsd.service" 'ct /opt/e2e/bin/trialctl status >/dev/null'
check "trialsd.service is active (Type=notify: READY=1 arrived)" '[ "$(ct systemctl is-active trialsd.service)" = active ]'
check "STATUS= shows trials, events, subscribers" 'ct systemctl show -p StatusText --value trialsd.service | grep -E "^[0-9]+ trials?, [0-9]+ events?, [0-9]+ subscribers?$" >/dev/null'

ct /opt/e2e/bin/trialctl record --new HARMONi-6 readout --occurred 2026-06-02 --source "ASCO 2026 press release" \
    kind=primary outcome=positive 'endpoints=["OS"]' "venue=ASCO 2026" >/dev/null
ct journalctl --sync
message=$(ct journalctl -o json MESSAGE_ID=93b4421272d64da78fba6ea9646e2dd9 | python3 -c 'import sys, json; print(json.loads(sys.stdin.readline())["MESSAGE"])')
check "the readout's journal entry, found by MESSAGE_ID ($message)" '[ "$message" = "HARMONi-6: readout — OS, primary endpoint met (ASCO 2026)" ]'
check "recorded by the peer's credentials" 'ct /opt/e2e/bin/trialctl log --json | grep "\"recordedBy\":\"root (uid 0)\"" >/dev/null'

# The sync's unit as shipped, ExecStart and all (its user, in the writers group, its sandbox),
# pointed at the stand-in the way a user points it at a mirror: TRIALTRACK_CTGOV_URL in
# /etc/default/trialtrack-sync. network-online.target, which the sync waits for, is reached at
# once without systemd-networkd-wait-online (which would wait two minutes for a link).
ct sh -c "
    systemctl mask --runtime systemd-networkd-wait-online.service >/dev/null 2>&1
    mkdir -p /etc/default
    echo TRIALTRACK_CTGOV_URL=http://127.0.0.1:$port > /etc/default/trialtrack-sync
    systemctl daemon-reload"
# Fields of the journal entries with this MESSAGE_ID, one line per entry: FIELD=value,…
entries() {
    ct journalctl -o json MESSAGE_ID="$1" | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    print(",".join(f"{k}={e.get(k)}" for k in sys.argv[1:]))' "${@:2}"
}
# A follow's watermark and last error, one line per follow.
follows() {
    ct /opt/e2e/bin/trialctl following --json | python3 -c '
import json, sys
for f in json.load(sys.stdin)["follows"]:
    print(f["target"], f.get("watermark"), (f.get("lastError") or "-").split("?")[0])'
}
check "the catalog is installed (journalctl --update-catalog ran)" \
    'ct journalctl --list-catalog 1ae1b5f086394873a2a90892802b784f | grep "Registry sync finished" >/dev/null'
check "trialctl follow NCT00973089 NCT02552212" 'ct /opt/e2e/bin/trialctl follow NCT00973089 NCT02552212 >/dev/null'
ct systemctl start trialtrack-sync.service || true
result=$(ct systemctl show -p Result --value trialtrack-sync.service || true)/$(ct systemctl show -p ExecMainStatus --value trialtrack-sync.service || true)
check "trialtrack-sync.service (trialctl sync) runs to success ($result)" '[ "$result" = success/0 ]'
ct journalctl --sync
[ "$result" = success/0 ] || ct journalctl -o cat -u trialtrack-sync.service -u trialsd.service | tail -n 8 | sed 's/^/  journal: /'
check "it fetched from the stand-in: NCT02552212's posted results are a critical readout" \
    'ct journalctl -o cat -u trialtrack-sync.service | grep "NCT02552212 critical: " >/dev/null'
check "the trials are in trialctl status, with NCT02552212's posted results" \
    'ct /opt/e2e/bin/trialctl status NCT00973089 >/dev/null && ct /opt/e2e/bin/trialctl status NCT02552212 | grep -E "results.posted" >/dev/null && ct /opt/e2e/bin/trialctl status NCT02552212 | grep "95% CI" >/dev/null'
recorders=$(ct /opt/e2e/bin/trialctl log NCT02552212 --json | python3 -c '
import json, sys
print(";".join(sorted({e["recordedBy"] for e in json.load(sys.stdin)["events"]})))' || true)
check "its events are recorded by trialtrack-sync, a member of the writers group ($recorders)" \
    '[[ ";$recorders;" =~ \;trialtrack-sync\ \(uid\ [0-9]+\)\; ]]'
watermarks=$(follows | tr '\n' ';' || true)
check "trialctl following shows the registry's data date as each watermark ($watermarks)" \
    '[ "$watermarks" = "NCT00973089 2026-12-04 -;NCT02552212 2026-12-04 -;" ]'
started=$(entries 1f7aeb54c9f54122a268cc7bf4c15b5b _SYSTEMD_UNIT SYSLOG_IDENTIFIER PRIORITY SYNC_FOLLOWS SYNC_SITE || true)
check "the sync's start entry, from the unit ($started)" \
    '[ "$started" = "_SYSTEMD_UNIT=trialtrack-sync.service,SYSLOG_IDENTIFIER=trialctl,PRIORITY=6,SYNC_FOLLOWS=2,SYNC_SITE=http://127.0.0.1:$port" ]'
finished=$(entries 1ae1b5f086394873a2a90892802b784f _SYSTEMD_UNIT SYSLOG_IDENTIFIER PRIORITY SYNC_CHECKED SYNC_CRITICAL SYNC_REFUSED || true)
check "the sync's summary entry, from the unit ($finished)" \
    '[[ "$finished" =~ ^_SYSTEMD_UNIT=trialtrack-sync.service,SYSLOG_IDENTIFIER=trialctl,PRIORITY=5,SYNC_CHECKED=2,SYNC_CRITICAL=[1-9][0-9]*,SYNC_REFUSED=0$ ]]'
check "journalctl -x explains the summary with the catalog's text" \
    'ct journalctl -x -t trialctl MESSAGE_ID=1ae1b5f086394873a2a90892802b784f | grep -E "Subject: Registry sync finished: [0-9]+ of 2 records changed" >/dev/null && ct journalctl -x -t trialctl MESSAGE_ID=1ae1b5f086394873a2a90892802b784f | grep "registry.s data date, 2026-12-04" >/dev/null'

# The registry fails: the sync fails at once (a page cut short is not retried), and says so.
touch "$work/registry-fails"
ct systemctl start trialtrack-sync.service || true
result=$(ct systemctl show -p Result --value trialtrack-sync.service || true)/$(ct systemctl show -p ExecMainStatus --value trialtrack-sync.service || true)
check "when the registry fails, trialtrack-sync.service fails ($result)" '[ "$result" = exit-code/1 ]'
ct journalctl --sync
failed=$(ct journalctl -o json -p err MESSAGE_ID=594055f644614362962c7a4b0b2fc546 | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    print(e.get("_SYSTEMD_UNIT"), e.get("PRIORITY"), e.get("SYNC_ERROR"))' || true)
check "the failure's entry, at priority err, names the URL ($failed)" \
    '[[ "$failed" == "trialtrack-sync.service 3 GET http://127.0.0.1:$port/api/v2/studies?"* ]] && [ "$(echo "$failed" | wc -l)" = 1 ]'
failing=$(follows | tr '\n' ';' || true)
check "trialctl following shows the error, the watermarks unmoved ($failing)" \
    '[ "$failing" = "NCT00973089 2026-12-04 GET http://127.0.0.1:$port/api/v2/studies;NCT02552212 2026-12-04 GET http://127.0.0.1:$port/api/v2/studies;" ]'
check "trialctl following says the follows are failing" 'ct /opt/e2e/bin/trialctl following 2>/dev/null | grep "failing: GET http://127.0.0.1:$port/" >/dev/null'
ct systemctl start trialtrack-sync.timer
check "trialtrack-sync.timer waits for its next elapse" '[ "$(ct systemctl is-active trialtrack-sync.timer)" = active ] && [ -n "$(ct systemctl show -p NextElapseUSecRealtime --value trialtrack-sync.timer)" ]'

# A burst, as an import writes: every event still gets its journal entry. journald's default
# rate limit (10,000 entries a unit in 30 s, scaled up with free space: 32,500 on our test machine) would
# drop the rest; the unit raises it past what trialsd can append. 20 files of 2,500 events,
# each under the 1 MiB message limit, recorded one after the other.
burst=50000
python3 - "$work" "$burst" <<'EOF'
import json, sys
work, total = sys.argv[1], int(sys.argv[2])
for f in range(20):
    with open(f"{work}/burst-{f:02d}.jsonl", "w") as out:
        for i in range(f * total // 20, (f + 1) * total // 20):
            out.write(json.dumps({"trial": "HARMONi-6", "type": "presented", "occurred": "2026-06-02",
                                  "payload": {"venue": f"Burst meeting {i}"}}) + "\n")
EOF
check "a burst of $burst events recorded" 'ct sh -c "for f in /opt/e2e/burst-*.jsonl; do /opt/e2e/bin/trialctl record --file \$f >/dev/null || exit 1; done"'
ct journalctl --sync
entries=$(ct sh -c 'journalctl -o cat _SYSTEMD_UNIT=trialsd.service MESSAGE_ID=3d11726a78f14eb0ac6b5b515dd88189 | grep -c "Burst meeting"' || true)
check "each of the burst's events has its journal entry ($entries of $burst)" '[ "$entries" = "$burst" ]'

# A stopped daemon stops feeding the watchdog: systemd kills it and starts it again.
pid=$(ct systemctl show -p MainPID --value trialsd.service)
ct kill -STOP "$pid"
restarts=0
for _ in $(seq 1 300); do
    restarts=$(ct systemctl show -p NRestarts --value trialsd.service)
    [ "$restarts" -ge 1 ] && [ "$(ct systemctl is-active trialsd.service || true)" = active ] && break
    sleep 0.1
done
check "the watchdog killed the stopped trialsd and systemd restarted it (NRestarts=$restarts)" '[ "$restarts" -ge 1 ]'
ct journalctl --sync  # what PID 1 logged about it is in the journal files
check "the watchdog was the reason" 'ct journalctl -u trialsd.service | grep "Watchdog timeout" >/dev/null'
check "the restarted daemon has a new PID" '[ "$(ct systemctl show -p MainPID --value trialsd.service)" != "$pid" ]'
check "the log is intact after the restart" 'ct /opt/e2e/bin/trialctl verify >/dev/null && ct /opt/e2e/bin/trialctl status HARMONi-6 | grep "readout" >/dev/null'

# systemctl stop ends it cleanly.
ct systemctl stop trialsd.service
check "systemctl stop: exit status 0" '[ "$(ct systemctl show -p ExecMainStatus --value trialsd.service)" = 0 ]'
check "systemctl stop: result success" '[ "$(ct systemctl show -p Result --value trialsd.service)" = success ]'
ct journalctl --sync
check "the stop was graceful (in-flight appends finished)" 'ct journalctl -u trialsd.service | grep "stopping: finishing in-flight appends" >/dev/null'

if [ $fail = 0 ]; then echo "e2e: all checks passed"; else echo "e2e: some checks failed"; fi
exit $fail
