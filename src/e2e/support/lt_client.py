#!/usr/bin/python3
"""libtorrent (python3-libtorrent, Debian) helper for Shoal's real-client end-to-end tests.

Run it with /usr/bin/python3 (the Debian interpreter that has the libtorrent module).

  lt_client.py run --torrent TORRENT --dir DIR [--listen 127.0.0.1:0] [--parent-pid PID]
      Adds the torrent with DIR as save path and runs until SIGTERM/SIGINT. If DIR already
      holds the complete file, libtorrent verifies it and seeds; otherwise it downloads.
      DHT, local peer discovery, UPnP/NAT-PMP and PEX are all off, so the only way to find a
      peer is the tracker. "min_announce_interval" is 1 s so a short tracker interval is
      obeyed (libtorrent otherwise waits at least 300 s between announces). Prints one JSON
      object per line on stdout:
        {"event": "listening", "address": ..., "port": N}
        {"event": "tracker_reply", "peers": N}        (one per successful announce)
        {"event": "tracker_error", "message": ...}
        {"event": "peer_connect", "peer": "ip:port"}
        {"event": "finished"}                        (torrent complete: seeding)
        {"event": "status", ...}                     (on change, else every 10 s)
"""

import argparse
import json
import os
import signal
import sys
import time

import libtorrent as lt


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def cmd_run(args):
    settings = {
        "listen_interfaces": args.listen,
        "outgoing_interfaces": "",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        # Localhost tracker URLs: without this libtorrent refuses announce URLs on loopback
        # whose path is not exactly /announce (e.g. passkey URLs).
        "ssrf_mitigation": False,
        # All peers of a test share 127.0.0.1 and differ only by port.
        "allow_multiple_connections_per_ip": True,
        # Default 300 s: libtorrent would ignore a short tracker interval.
        "min_announce_interval": 1,
        "announce_to_all_trackers": True,
        "announce_to_all_tiers": True,
        "alert_mask": (
            lt.alert.category_t.error_notification
            | lt.alert.category_t.status_notification
            | lt.alert.category_t.tracker_notification
            | lt.alert.category_t.connect_notification
            | lt.alert.category_t.peer_notification
        ),
        "user_agent": "shoal-e2e-libtorrent/" + lt.__version__,
    }
    # No default plugins: that drops ut_pex (and ut_metadata/smart_ban, not needed with a
    # .torrent file in hand).
    ses = lt.session(settings, 0)

    atp = lt.add_torrent_params()
    atp.ti = lt.torrent_info(args.torrent)
    atp.save_path = os.path.abspath(args.dir)
    atp.flags = (
        (atp.flags & ~lt.torrent_flags.auto_managed & ~lt.torrent_flags.paused)
        | lt.torrent_flags.disable_dht
        | lt.torrent_flags.disable_lsd
        | lt.torrent_flags.disable_pex
    )
    handle = ses.add_torrent(atp)

    stopping = {"flag": False}

    def stop(_signum, _frame):
        stopping["flag"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    listening_reported = False
    finished_reported = False
    last_check = 0.0
    last_status = 0.0
    last_key = None
    while not stopping["flag"]:
        # The test runner that started us is gone: do not linger as an orphan.
        if args.parent_pid and os.getppid() != args.parent_pid:
            break
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            if isinstance(a, lt.listen_succeeded_alert):
                if not listening_reported and a.socket_type == lt.listen_succeded_alert_socket_type_t.tcp:
                    listening_reported = True
                    emit({"event": "listening", "address": str(a.address), "port": a.port})
            elif isinstance(a, lt.listen_failed_alert):
                emit({"event": "listen_failed", "message": a.message()})
            elif isinstance(a, lt.tracker_reply_alert):
                emit({"event": "tracker_reply", "peers": a.num_peers, "url": a.tracker_url()})
            elif isinstance(a, lt.tracker_error_alert):
                emit({"event": "tracker_error", "message": a.message()})
            elif isinstance(a, lt.tracker_warning_alert):
                emit({"event": "tracker_warning", "message": a.message()})
            elif isinstance(a, lt.peer_connect_alert):
                emit({"event": "peer_connect", "peer": "%s:%d" % (a.endpoint[0], a.endpoint[1])})
            elif isinstance(a, lt.peer_disconnected_alert):
                emit({"event": "peer_disconnected", "message": a.message()})
            elif isinstance(a, lt.torrent_finished_alert):
                if not finished_reported:
                    finished_reported = True
                    emit({"event": "finished"})
            elif isinstance(a, (lt.torrent_error_alert, lt.file_error_alert)):
                emit({"event": "error", "message": a.message()})
        now = time.monotonic()
        if now - last_check >= 1.0:
            last_check = now
            st = handle.status()
            key = (str(st.state), round(st.progress, 2), st.num_peers)
            # Report changes, and otherwise every 10 s.
            if key != last_key or now - last_status >= 10.0:
                last_status = now
                last_key = key
                emit({
                    "event": "status",
                    "state": str(st.state),
                    "progress": round(st.progress, 4),
                    "peers": st.num_peers,
                    "seeding": bool(st.is_seeding),
                    "uploaded": st.total_upload,
                    "downloaded": st.total_download,
                })
    # Let a final "stopped" announce go out, but do not wait for it for long.
    ses.pause()
    emit({"event": "stopped"})


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--torrent", required=True)
    r.add_argument("--dir", required=True)
    r.add_argument("--listen", default="127.0.0.1:0")
    r.add_argument("--parent-pid", type=int, default=0)
    args = p.parse_args()
    cmd_run(args)


if __name__ == "__main__":
    main()
