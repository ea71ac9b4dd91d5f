"""trialsd's journal entries, read back from a real systemd-journald.

Run as root inside a private mount namespace (the XCTest does it):
    unshare --mount --propagation private python3 journal_test.py TRIALSD TRIALCTL CATALOG WORKDIR
It mounts tmpfs over the journal's directories and a private catalog, starts journald and
trialsd (each ready when it says READY=1 on a NOTIFY_SOCKET), records events with trialctl,
and checks what `journalctl -o json` and `journalctl -x` show.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time

trialsd, trialctl, catalog, work = sys.argv[1:5]
READOUT = "93b4421272d64da78fba6ea9646e2dd9"
STATUS = "ebae0eb9d7f24adcb12c30ba671170bf"
failures = []


def check(ok, what):
    print(("ok: " if ok else "FAILED: ") + what)
    if not ok:
        failures.append(what)


def run(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


def notify_socket(name):
    path = os.path.join(work, name)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    s.settimeout(0.1)  # short slices: wait_ready checks the process between them
    return s, path


def wait_ready(sock, who, proc, stderr_path, timeout=30):
    """Waits for READY=1 from `proc`; fails at once, naming it, if it exits first."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            data = sock.recv(4096).decode()
        except socket.timeout:
            if proc.poll() is not None:
                fail_start(who, proc, "exited before READY=1 (exit status %d)" % proc.returncode, stderr_path)
            if time.monotonic() >= deadline:
                fail_start(who, proc, "did not say READY=1 within %d s (killed)" % timeout, stderr_path)
            continue
        if "READY=1" in data.split("\n"):
            return
        print("notify from %s: %s" % (who, data.replace("\n", " ")))


def fail_start(who, proc, why, stderr_path):
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    with open(stderr_path, errors="replace") as f:
        err = f.read()
    raise SystemExit("journal: %s %s; standard error:\n%s" % (who, why, err or "(empty)"))


# A private journal and catalog: tmpfs over where journald keeps its sockets and files.
for d in ["/run/systemd/journal", "/run/log", "/var/log/journal"]:
    os.makedirs(d, exist_ok=True)
    run("mount", "-t", "tmpfs", "tmpfs", d)
for name, target in [("catalog-usr", "/usr/lib/systemd/catalog"), ("catalog-var", "/var/lib/systemd/catalog")]:
    os.makedirs(os.path.join(work, name), exist_ok=True)
    os.makedirs(target, exist_ok=True)
    run("mount", "--bind", os.path.join(work, name), target)
run("cp", catalog, "/usr/lib/systemd/catalog/trialsd.catalog")
run("journalctl", "--update-catalog")

jsock, jpath = notify_socket("journald.notify")
journald_stderr = os.path.join(work, "journald.stderr")
journald = subprocess.Popen(["/lib/systemd/systemd-journald"], env=dict(os.environ, NOTIFY_SOCKET=jpath),
                            stdout=subprocess.DEVNULL, stderr=open(journald_stderr, "w"))
daemon = None
try:
    wait_ready(jsock, "systemd-journald", journald, journald_stderr)
    tsock, tpath = notify_socket("trialsd.notify")
    control = os.path.join(work, "control")
    # Standard error "is the journal" (JOURNAL_STREAM names its device and inode, as systemd
    # sets it): trialsd's own logs then go to journald as structured entries.
    stderr_file = open(os.path.join(work, "stderr"), "w")
    st = os.fstat(stderr_file.fileno())
    daemon = subprocess.Popen([trialsd, "--database", os.path.join(work, "trials.db"), "--socket", control,
                               "--writers-group", ""],
                              env=dict(os.environ, NOTIFY_SOCKET=tpath, JOURNAL_STREAM="%d:%d" % (st.st_dev, st.st_ino)),
                              stdout=subprocess.DEVNULL, stderr=stderr_file)
    wait_ready(tsock, "trialsd", daemon, os.path.join(work, "stderr"))

    def trialctl_run(*args):
        return run(trialctl, "--socket", control, *args, env=dict(os.environ, NO_COLOR="1"))

    trialctl_run("record", "--new", "HARMONi-6", "readout", "--occurred", "2026-06-02", "--source", "ASCO 2026 press release",
                 "kind=primary", "outcome=positive", 'endpoints=["OS"]', "venue=ASCO 2026")
    trialctl_run("record", "HARMONi-6", "status-changed", "--occurred", "2026-07", "status=suspended",
                 "whyStopped=enrollment paused")
    run("journalctl", "--sync")

    readouts = [json.loads(l) for l in run("journalctl", "-o", "json", "MESSAGE_ID=" + READOUT).stdout.splitlines()]
    check(len(readouts) == 1, "one readout entry found by MESSAGE_ID (%d)" % len(readouts))
    e = readouts[0] if readouts else {}
    check(e.get("MESSAGE") == "HARMONi-6: readout — OS, primary endpoint met (ASCO 2026)", "MESSAGE: %r" % e.get("MESSAGE"))
    check(e.get("PRIORITY") == "5", "readout at priority notice")
    check(e.get("TRIAL_ID") == "HARMONi-6" and e.get("EVENT_TYPE") == "readout" and e.get("EVENT_SEQ") == "1",
          "TRIAL_ID, EVENT_TYPE, EVENT_SEQ")
    check(e.get("SOURCE") == "ASCO 2026 press release" and e.get("SYSLOG_IDENTIFIER") == "trialsd", "SOURCE and identifier")

    mine = [json.loads(l) for l in run("journalctl", "-o", "json", "-t", "trialsd", "TRIAL_ID=HARMONi-6").stdout.splitlines()]
    mine = [m for m in mine if "EVENT_SEQ" in m]
    check([m.get("EVENT_TYPE") for m in mine] == ["readout", "status-changed"], "both events by TRIAL_ID")
    suspended = [m for m in mine if m.get("MESSAGE_ID") == STATUS]
    check(bool(suspended) and suspended[0].get("PRIORITY") == "4" and suspended[0].get("TRIAL_STATUS") == "suspended",
          "suspended at priority warning with TRIAL_STATUS")
    warnings = run("journalctl", "-o", "json", "-t", "trialsd", "-p", "warning").stdout.splitlines()
    check(len([w for w in warnings if STATUS in w]) == 1, "journalctl -p warning selects the suspension")

    logs = [json.loads(l) for l in run("journalctl", "-o", "json", "-t", "trialsd").stdout.splitlines()]
    own = [l for l in logs if "LOGGER" in l and "serving" in l.get("MESSAGE", "")]
    check(len(own) == 1 and own[0].get("PRIORITY") == "6" and own[0].get("CODE_FILE"),
          "trialsd's own log line went to journald with PRIORITY and CODE_FILE")
    check(open(os.path.join(work, "stderr")).read() == "", "nothing on standard error when it is the journal")

    # An import's change severity is carried to PRIORITY: a withdrawal with a reason is critical.
    record = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "demo", "ctgov", "NCT00973089.json")
    trialctl_run("import", record)
    run("journalctl", "--sync")
    imported = [json.loads(l) for l in run("journalctl", "-o", "json", "-t", "trialsd", "TRIAL_ID=NCT00973089").stdout.splitlines()]
    by_type = {i.get("EVENT_TYPE"): i for i in imported}
    status = by_type.get("status-changed", {})
    check(status.get("CHANGE_SEVERITY") == "critical" and status.get("PRIORITY") == "4",
          "imported withdrawal: CHANGE_SEVERITY=critical, PRIORITY=4 (%s, %s)" % (status.get("CHANGE_SEVERITY"), status.get("PRIORITY")))
    registered = by_type.get("registered", {})
    check(registered.get("CHANGE_SEVERITY") == "notable" and registered.get("PRIORITY") == "5",
          "imported new trial: CHANGE_SEVERITY=notable, PRIORITY=5")

    explained = run("journalctl", "-x", "--no-pager", "MESSAGE_ID=" + READOUT).stdout
    check("Subject: Clinical trial readout: HARMONi-6" in explained, "journalctl -x shows the catalog with @TRIAL_ID@ filled in")

    # journald restarts (a new socket at the same path): trialsd's next entry reaches the new one.
    journald.send_signal(signal.SIGTERM)
    journald.wait(timeout=30)
    journald = subprocess.Popen(["/lib/systemd/systemd-journald"], env=dict(os.environ, NOTIFY_SOCKET=jpath),
                                stdout=subprocess.DEVNULL, stderr=open(journald_stderr, "w"))
    wait_ready(jsock, "systemd-journald (restarted)", journald, journald_stderr)
    trialctl_run("record", "HARMONi-6", "status-changed", "--occurred", "2026-08", "status=recruiting")
    run("journalctl", "--sync")
    after = [json.loads(l) for l in run("journalctl", "-o", "json", "-t", "trialsd", "TRIAL_ID=HARMONi-6", "TRIAL_STATUS=recruiting").stdout.splitlines()]
    check(len(after) == 1, "the entry after journald restarted is in the journal (%d)" % len(after))
finally:
    if daemon:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)
    journald.send_signal(signal.SIGTERM)
    journald.wait(timeout=30)

print("journal: all checks passed" if not failures else "journal: %d checks failed" % len(failures))
sys.exit(1 if failures else 0)
