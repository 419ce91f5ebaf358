// JupyterKernel: `tinycast jupyter install [--user] [--prefix DIR]` writes a kernelspec whose
// kernel is a thin Python wrapper (ipykernel's Kernel class) over `tinycast kernel`
// (KernelServer.swift). Why a wrapper and not a native kernel: ipykernel already does the five
// ZeroMQ sockets, HMAC signing, heartbeats, interrupts and restarts that every Jupyter frontend
// expects; a native kernel would reimplement them (libzmq plus swift-crypto) for no gain a
// data scientist would see, and a Python process beside Tinycast is already there wherever
// JupyterLab runs. The wrapper stays small: it forwards each cell and each completion as one
// JSON line, turns replies into display data, streams and errors, and passes Ctrl-C (interrupt)
// on to Tinycast, which stops training and keeps what it has, as in the shell.

import Foundation

public enum JupyterKernel {
  /// Writes the kernelspec (kernel.json and the wrapper) into the user's or a prefix's
  /// `share/jupyter/kernels/tinycast`, naming `tinycast` (this executable) by absolute path.
  /// Returns the folder written.
  public static func install(user: Bool, prefix: String?, tinycast: String) throws -> String {
    let base: String
    if let prefix {
      base = (prefix as NSString).appendingPathComponent("share/jupyter/kernels")
    } else if user {
      let data =
        ProcessInfo.processInfo.environment["JUPYTER_DATA_DIR"]
        ?? ProcessInfo.processInfo.environment["XDG_DATA_HOME"].map {
          ($0 as NSString).appendingPathComponent("jupyter")
        }
        ?? (NSHomeDirectory() as NSString).appendingPathComponent(".local/share/jupyter")
      base = (data as NSString).appendingPathComponent("kernels")
    } else {
      base = "/usr/local/share/jupyter/kernels"
    }
    let folder = (base as NSString).appendingPathComponent("tinycast")
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let wrapper = (folder as NSString).appendingPathComponent("tinycast_kernel.py")
    let spec: [String: Any] = [
      "argv": ["python3", wrapper, "-f", "{connection_file}"],
      "display_name": "Tinycast",
      "language": "tinycast",
      "interrupt_mode": "signal",
      "env": ["TINYCAST": tinycast],
    ]
    let json = try JSONSerialization.data(withJSONObject: spec, options: [.prettyPrinted, .sortedKeys])
    try Data(pythonSource.utf8).write(to: URL(fileURLWithPath: wrapper), options: .atomic)
    try json.write(
      to: URL(fileURLWithPath: (folder as NSString).appendingPathComponent("kernel.json")), options: .atomic)
    return folder
  }

  /// The wrapper kernel. Tinycast's reply lines carry the request's id; anything else on its
  /// stdout would break the protocol, so Tinycast writes nothing else there.
  public static let pythonSource = #"""
    """Tinycast as a Jupyter kernel: ipykernel's Kernel over `tinycast kernel` (JSON lines).

    Written by `tinycast jupyter install`; TINYCAST in kernel.json's env names the executable.
    """
    import json
    import os
    import signal
    import subprocess

    from ipykernel.kernelapp import IPKernelApp
    from ipykernel.kernelbase import Kernel


    class TinycastKernel(Kernel):
        implementation = "tinycast"
        implementation_version = "1"
        language = "tinycast"
        language_version = "1"
        language_info = {"name": "tinycast", "mimetype": "text/x-tinycast", "file_extension": ".tcs"}
        banner = "Tinycast: shrink demand-forecasting models for edge devices. 'help' lists commands."

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.start_child()
            self.next_id = 0

        def start_child(self):
            self.child = subprocess.Popen(
                [os.environ.get("TINYCAST", "tinycast"), "kernel"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, text=True, bufsize=1)

        def child_ended(self):
            # Tinycast died under a request (a crash, or killed): say so in the cell, and go on
            # with a fresh Tinycast, whose `restore` finds the dead one's autosave journal.
            status = self.child.wait()
            how = f"signal {-status}" if status < 0 else f"exit status {status}"
            self.start_child()
            return {"error": {"line": 0, "command": "", "message":
                              f"Tinycast stopped unexpectedly ({how}); the kernel goes on with a fresh "
                              "workspace, and 'restore' brings back the autosaved work"}}

        def request(self, body, on_stream=None):
            self.next_id += 1
            body["id"] = self.next_id
            try:
                self.child.stdin.write(json.dumps(body) + "\n")
                self.child.stdin.flush()
            except BrokenPipeError:
                return self.child_ended()
            while True:
                try:
                    line = self.child.stdout.readline()
                except KeyboardInterrupt:
                    # Interrupt: Tinycast stops the running command cleanly, then replies.
                    self.child.send_signal(signal.SIGINT)
                    continue
                if not line:
                    return self.child_ended()
                reply = json.loads(line)
                if reply.get("id") != self.next_id:
                    continue
                if "stream" in reply:
                    if on_stream:
                        on_stream(reply["stream"])
                    continue
                return reply

        def do_execute(self, code, silent, store_history=True, user_expressions=None, allow_stdin=False,
                       **kwargs):
            def stream(text):
                if not silent:
                    self.send_response(self.iopub_socket, "stream", {"name": "stdout", "text": text + "\n"})
            reply = self.request({"execute": code}, on_stream=stream)
            if not silent:
                for out in reply.get("outputs", []):
                    data = {"text/plain": out["text"]}
                    if "html" in out:
                        data["text/html"] = out["html"]
                    self.send_response(self.iopub_socket, "display_data", {"data": data, "metadata": {}})
                    for svg in out.get("svg", []):
                        self.send_response(self.iopub_socket, "display_data",
                                           {"data": {"image/svg+xml": svg, "text/plain": "<plot>"}, "metadata": {}})
            if "error" in reply:
                e = reply["error"]
                if e["line"] > 0:
                    content = {"ename": "TinycastError", "evalue": f"line {e['line']}: {e['message']}",
                               "traceback": [f"cell line {e['line']}: {e['command']}", f"error: {e['message']}"]}
                else:
                    content = {"ename": "TinycastError", "evalue": e["message"],
                               "traceback": [f"error: {e['message']}"]}
                if not silent:
                    self.send_response(self.iopub_socket, "error", content)
                return dict(status="error", execution_count=self.execution_count, **content)
            return {"status": "ok", "execution_count": self.execution_count, "payload": [], "user_expressions": {}}

        def do_complete(self, code, cursor_pos):
            reply = self.request({"complete": code, "cursor": cursor_pos})
            return {"status": "ok", "matches": reply.get("matches", []),
                    "cursor_start": reply.get("cursor_start", cursor_pos), "cursor_end": cursor_pos, "metadata": {}}

        def do_shutdown(self, restart):
            try:
                self.child.stdin.close()
                self.child.wait(timeout=10)
            except Exception:
                self.child.kill()
            return {"status": "ok", "restart": restart}


    if __name__ == "__main__":
        IPKernelApp.launch_instance(kernel_class=TinycastKernel)
    """#
}
