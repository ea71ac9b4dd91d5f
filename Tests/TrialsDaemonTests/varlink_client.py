"""Drives trialsd with the independent Python varlink client (pip install varlink).

Usage: varlink_client.py unix:/path/to/control
"""
import json
import sys
import threading

import varlink

address = sys.argv[1]


def check(condition, what):
    if not condition:
        print("FAILED:", what)
        sys.exit(1)
    print("ok:", what)


with varlink.Client(address=address) as client:
    # GetInfo, and every interface's description parses.
    with client.open("org.varlink.service", namespaced=False) as service:
        info = service.GetInfo()
        check(info["product"] == "trialsd", "GetInfo names trialsd")
        for name in info["interfaces"]:
            description = service.GetInterfaceDescription(name)["description"]
            interface = varlink.Interface(description)
            check(interface.name == name, "the description of %s parses" % name)

    with client.open("org.trialtrack.Trials", namespaced=False) as trials:
        appended = trials.Append({
            "trial": "HARMONi-2", "type": "interim-analysis", "occurred": "2024",
            "source": "Lancet 2025;405:839-849", "expectedVersion": 0,
            "payload": {"endpoints": ["PFS"], "outcome": "met", "results": [{
                "endpoint": "PFS",
                "hazardRatio": {"value": 0.51, "ciLow": 0.38, "ciHigh": 0.69, "ciLevel": 95},
                "pValue": {"value": 0.0001, "comparator": "<", "sided": 1}}]}})
        check(appended["event"]["seq"] == 1, "Append answers seq 1")

        status = trials.Status("harmoni-2")
        trial = status["trials"][0]
        check(trial["timeline"][0]["payload"]["results"][0]["hazardRatio"]["value"] == 0.51,
              "Status shows the hazard ratio")

        # An error case: a typed error of the interface with its parameters.
        try:
            trials.Status("NCT00000000")
            check(False, "Status of an unknown trial fails")
        except varlink.VarlinkError as e:
            check(e.error() == "org.trialtrack.Trials.NoSuchTrial", "NoSuchTrial for an unknown trial")
            check(e.parameters()["trial"] == "NCT00000000", "NoSuchTrial names the trial")

        # A `more` subscription: the catch-up from seq 0, then an event appended meanwhile.
        def append_later():
            with varlink.Client(address=address) as other:
                with other.open("org.trialtrack.Trials", namespaced=False) as t:
                    t.Append({"trial": "HARMONi-2", "type": "published", "occurred": "2025",
                              "payload": {"citation": "Lancet 2025;405:839-849",
                                          "doi": "10.1016/S0140-6736(24)02722-3"}})

        seen = []
        for reply in trials.Subscribe(since=0, _more=True):
            seen.append(reply["event"]["seq"])
            if len(seen) == 1:
                threading.Thread(target=append_later).start()
            if len(seen) == 2:
                break
        check(seen == [1, 2], "Subscribe with more: catch-up then live (%s)" % seen)

# A connection of its own: the subscription above is still in progress on the first.
with varlink.Client(address=address) as client:
    with client.open("org.trialtrack.Trials", namespaced=False) as trials:
        # Export with more: the log as JSON lines, in replies until one without continues.
        lines = []
        for reply in trials.Export(_more=True):
            lines.extend(reply["lines"])
        check([json.loads(line)["seq"] for line in lines] == [1, 2], "Export with more: a line per event")

        # Backup refuses a relative path with BackupFailed, naming it.
        try:
            trials.Backup("relative.db")
            check(False, "Backup to a relative path fails")
        except varlink.VarlinkError as e:
            check(e.error() == "org.trialtrack.Trials.BackupFailed", "BackupFailed for a relative path")
            check(e.parameters()["path"] == "relative.db", "BackupFailed names the path")

print("python varlink: all checks passed")
