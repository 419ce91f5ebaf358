#!/usr/bin/env python3
"""Measures the two ways to run Tinycast as a Jupyter kernel (issue 18, docs/JUPYTER.md).

  $ tinycast jupyter install --prefix DIR
  $ swift build -c release --package-path tools/native-kernel
  $ python3 tools/measure_jupyter_kernels.py DIR tools/native-kernel/.build/release/tinycast-native-kernel

`tinycast` is the Python wrapper kernel Tinycast installs; `tinycast-native` is the prototype
that speaks the wire protocol itself (this script writes its kernelspec into DIR). For each:
the full check of tools/check_jupyter_kernel.py, the time until the kernel is ready (median of
5 starts), a cell's round trip (median of 20 `help prune`), the memory of the kernel's
processes, and three robustness probes: the heartbeat while training runs, a message signed
with the wrong key, and the Tinycast process killed under a cell.
"""
import json
import os
import signal
import statistics
import subprocess
import sys
import time

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from jupyter_client.session import Session

HERE = os.path.dirname(os.path.abspath(__file__))


def run(client, code, timeout=120):
    msg_id = client.execute(code)
    reply = client.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=timeout)
    while True:
        m = client.get_iopub_msg(timeout=timeout)
        if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status" \
                and m["content"]["execution_state"] == "idle":
            return reply["content"]


def descendants(pid):
    """pid and every process below it."""
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        for task in os.listdir(f"/proc/{p}/task"):
            with open(f"/proc/{p}/task/{task}/children") as f:
                todo += [int(c) for c in f.read().split()]
    return found


def rss_mib(pids):
    total = 0
    for p in pids:
        with open(f"/proc/{p}/status") as f:
            total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return total / 1024


def start(specs, name, cwd):
    km = KernelManager(kernel_name=name, kernel_spec_manager=specs)
    t0 = time.perf_counter()
    km.start_kernel(cwd=cwd)
    client = km.client()
    client.start_channels()
    client.wait_for_ready(timeout=60)
    return km, client, time.perf_counter() - t0


def stop(km, client):
    client.stop_channels()
    km.shutdown_kernel(now=True)


def measure(prefix, name):
    specs = KernelSpecManager(kernel_dirs=[os.path.join(prefix, "share", "jupyter", "kernels")])
    result = {"kernel": name}
    check = subprocess.run([sys.executable, os.path.join(HERE, "check_jupyter_kernel.py"), prefix, name],
                           capture_output=True, text=True, timeout=600)
    result["check"] = "passed" if check.returncode == 0 else "FAILED: " + check.stdout.strip().splitlines()[-1]

    ready = []
    for _ in range(5):
        km, client, seconds = start(specs, name, prefix)
        ready.append(seconds)
        stop(km, client)
    result["ready_s"] = statistics.median(ready)

    km, client, _ = start(specs, name, prefix)
    try:
        run(client, "help prune")
        trips = []
        for _ in range(20):
            t0 = time.perf_counter()
            content = run(client, "help prune")
            trips.append(time.perf_counter() - t0)
            assert content["status"] == "ok", content
        result["round_trip_ms"] = statistics.median(trips) * 1000
        run(client, "load demo")
        pid = km.provisioner.pid
        result["processes"] = len(descendants(pid))
        result["rss_mib_after_load_demo"] = rss_mib(descendants(pid))

        # The heartbeat answers while a cell trains (JupyterLab marks a kernel that stops
        # answering it as dead).
        msg_id = client.execute("train units=32 epochs=4 runs=1 seed=3 as hb")
        beats, t0 = [], time.perf_counter()
        while time.perf_counter() - t0 < 3:
            beats.append(client.hb_channel.is_beating())
            time.sleep(0.2)
        while client.get_shell_msg(timeout=120)["parent_header"].get("msg_id") != msg_id:
            pass
        result["heartbeat_during_training"] = "answered" if all(beats) else f"lost {beats.count(False)} of {len(beats)}"

        # A request signed with the wrong key is dropped; the kernel goes on answering.
        info = km.get_connection_info(session=False)
        forged = Session(key=b"not-the-key", signature_scheme="hmac-sha256")
        forged.send(client.shell_channel.socket, forged.msg("execute_request", {
            "code": "load demo", "silent": False, "store_history": True, "user_expressions": {},
            "allow_stdin": False}))
        content = run(client, "help prune", timeout=30)
        result["forged_message"] = "dropped, kernel answers" if content["status"] == "ok" else str(content)
        del info

        # The process that runs Tinycast killed under a cell (a crash): what the user sees.
        msg_id = client.execute("train units=32 epochs=50 runs=1 seed=4 as doomed")
        time.sleep(2)
        victims = [p for p in descendants(pid) if "tinycast" in open(f"/proc/{p}/cmdline").read()]
        os.kill(victims[-1], signal.SIGKILL)
        try:
            reply = client.get_shell_msg(timeout=20)
            ok = run(client, "help prune", timeout=30)["status"] == "ok"
            result["tinycast_killed"] = (f"cell ends with {reply['content']['status']}: "
                                         f"{reply['content'].get('evalue', '')[:60]}...; next cell "
                                         + ("runs" if ok else "fails"))
        except Exception:
            result["tinycast_killed"] = ("no reply; the kernel process is "
                                         + ("alive" if km.is_alive() else "gone (Jupyter's restarter starts a new one)"))
    finally:
        stop(km, client)
    return result


def main():
    prefix, native = sys.argv[1], os.path.abspath(sys.argv[2])
    folder = os.path.join(prefix, "share", "jupyter", "kernels", "tinycast-native")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "kernel.json"), "w") as f:
        json.dump({"argv": [native, "-f", "{connection_file}"], "display_name": "Tinycast (native)",
                   "language": "tinycast", "interrupt_mode": "signal"}, f, indent=1)
    for name in ["tinycast", "tinycast-native"]:
        print(json.dumps(measure(prefix, name)), flush=True)


if __name__ == "__main__":
    main()
