// NativeKernel: Jupyter's requests answered in-process (messaging specification 5.3).

import CZeroMQ
import Foundation
import Shell
import TinycastCLI
import Workbench

/// The kernel: its sockets, its signer, one workspace, and the request loop.
final class NativeKernel {
  let signer: Signer
  let shell: Socket
  let control: Socket
  let stdinSocket: Socket
  let iopub: Socket
  let heartbeat: Socket
  let shellContext: ShellContext
  let engine: Engine
  var executionCount = 0
  let languageInfo: [String: Any] = ["name": "tinycast", "mimetype": "text/x-tinycast", "file_extension": ".tcs"]

  init(info: ConnectionInfo, context: UnsafeMutableRawPointer) throws {
    signer = try Signer(info: info)
    shell = try Socket(context: context, type: ZMQ_ROUTER, endpoint: info.endpoint(info.shell_port))
    control = try Socket(context: context, type: ZMQ_ROUTER, endpoint: info.endpoint(info.control_port))
    stdinSocket = try Socket(context: context, type: ZMQ_ROUTER, endpoint: info.endpoint(info.stdin_port))
    iopub = try Socket(context: context, type: ZMQ_PUB, endpoint: info.endpoint(info.iopub_port))
    heartbeat = try Socket(context: context, type: ZMQ_ROUTER, endpoint: info.endpoint(info.hb_port))
    // One workspace for the kernel's life, journaled like the shell's.
    shellContext = ShellContext(baseDirectory: FileManager.default.currentDirectoryPath)
    shellContext.shouldStop = { native_kernel_interrupt_pending() != 0 }
    engine = Engine(context: shellContext)
    if let abandoned = Journal.recoverAbandoned() { engine.restorePath = abandoned.path }
    engine.journal = Journal()
  }

  func publish(_ type: String, _ content: [String: Any], parent: Message) {
    iopub.send(signer.encode(type: type, content: content, parent: parent, identities: [Data("kernel.\(type)".utf8)]))
  }

  func reply(_ request: Message, on socket: Socket, _ type: String, _ content: [String: Any]) {
    socket.send(signer.encode(type: type, content: content, parent: request, identities: request.identities))
  }

  /// Runs a cell through KernelServer and publishes what it gives, as the wrapper does.
  func execute(_ request: Message) -> [String: Any] {
    let code = request.content["code"] as? String ?? ""
    let silent = request.content["silent"] as? Bool ?? false
    if !silent { executionCount += 1 }
    publish("execute_input", ["code": code, "execution_count": executionCount], parent: request)
    // An interrupt that arrived while the kernel was idle does not stop this cell.
    native_kernel_clear_interrupt()
    shellContext.emit = { [self] text in
      if !silent { publish("stream", ["name": "stdout", "text": text + "\n"], parent: request) }
    }
    let result = KernelServer.execute(code, engine: engine)
    if !silent {
      for output in result["outputs"] as? [[String: Any]] ?? [] {
        var data: [String: Any] = ["text/plain": output["text"] as? String ?? ""]
        if let html = output["html"] { data["text/html"] = html }
        publish("display_data", ["data": data, "metadata": [:] as [String: Any]], parent: request)
        for svg in output["svg"] as? [String] ?? [] {
          publish(
            "display_data",
            ["data": ["image/svg+xml": svg, "text/plain": "<plot>"], "metadata": [:] as [String: Any]],
            parent: request)
        }
      }
    }
    guard let error = result["error"] as? [String: Any] else {
      return [
        "status": "ok", "execution_count": executionCount, "payload": [] as [Any],
        "user_expressions": [:] as [String: Any],
      ]
    }
    let line = error["line"] as? Int ?? 0
    let message = error["message"] as? String ?? ""
    let failure: [String: Any] = [
      "ename": "TinycastError", "evalue": "line \(line): \(message)",
      "traceback": ["cell line \(line): \(error["command"] as? String ?? "")", "error: \(message)"],
    ]
    if !silent { publish("error", failure, parent: request) }
    return failure.merging(["status": "error", "execution_count": executionCount]) { a, _ in a }
  }

  /// Answers one request; returns false when the kernel should stop.
  func handle(_ request: Message, on socket: Socket) -> Bool {
    publish("status", ["execution_state": "busy"], parent: request)
    defer { publish("status", ["execution_state": "idle"], parent: request) }
    switch request.type {
    case "kernel_info_request":
      reply(
        request, on: socket, "kernel_info_reply",
        [
          "status": "ok", "protocol_version": "5.3", "implementation": "tinycast-native", "implementation_version": "1",
          "language_info": languageInfo, "help_links": [] as [Any],
          "banner": "Tinycast: shrink demand-forecasting models for edge devices. 'help' lists commands.",
        ])
    case "execute_request":
      reply(request, on: socket, "execute_reply", execute(request))
    case "complete_request":
      let code = request.content["code"] as? String ?? ""
      let cursor = request.content["cursor_pos"] as? Int ?? code.unicodeScalars.count
      let completion = KernelServer.complete(code, cursor: cursor, engine: engine)
      reply(
        request, on: socket, "complete_reply",
        [
          "status": "ok", "matches": completion["matches"] ?? [], "cursor_start": completion["cursor_start"] ?? cursor,
          "cursor_end": cursor, "metadata": [:] as [String: Any],
        ])
    case "is_complete_request":
      reply(request, on: socket, "is_complete_reply", ["status": "complete"])
    case "inspect_request":
      reply(
        request, on: socket, "inspect_reply",
        ["status": "ok", "found": false, "data": [:] as [String: Any], "metadata": [:] as [String: Any]])
    case "history_request":
      reply(request, on: socket, "history_reply", ["status": "ok", "history": [] as [Any]])
    case "comm_info_request":
      reply(request, on: socket, "comm_info_reply", ["status": "ok", "comms": [:] as [String: Any]])
    case "interrupt_request":
      // Only with interrupt_mode "message"; with "signal" Jupyter sends SIGINT instead. Either
      // way the flag is what a running command polls; here nothing runs, so it is only answered.
      reply(request, on: socket, "interrupt_reply", ["status": "ok"])
    case "shutdown_request":
      let restart = request.content["restart"] as? Bool ?? false
      reply(request, on: socket, "shutdown_reply", ["status": "ok", "restart": restart])
      return false
    default:
      FileHandle.standardError.write(Data("tinycast-native-kernel: ignored a \(request.type)\n".utf8))
    }
    return true
  }

  /// Answers requests until a shutdown_request: the shell and control sockets, control first
  /// when both have one waiting. The heartbeat echoes on its own thread, so a long training
  /// never looks like a dead kernel (zmq_proxy returns when the context terminates).
  func run() {
    let heartbeat = self.heartbeat
    Thread.detachNewThread { zmq_proxy(heartbeat.raw, heartbeat.raw, nil) }
    var items = [
      zmq_pollitem_t(socket: control.raw, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0),
      zmq_pollitem_t(socket: shell.raw, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0),
    ]
    var running = true
    while running {
      if zmq_poll(&items, Int32(items.count), -1) < 0 {
        if zmq_errno() == EINTR { continue }
        fail("zmq_poll: \(String(cString: zmq_strerror(zmq_errno())))")
      }
      for (k, socket) in [control, shell].enumerated() where running && items[k].revents & Int16(ZMQ_POLLIN) != 0 {
        let parts: [Data]
        do { parts = try socket.receive() } catch { fail("\(error)") }
        let (message, problem) = signer.decode(parts)
        guard let message else {
          FileHandle.standardError.write(Data("tinycast-native-kernel: dropped \(problem ?? "a message")\n".utf8))
          continue
        }
        running = handle(message, on: socket)
      }
    }
    engine.journal?.retire()
    // The heartbeat socket belongs to its thread; the process's exit closes it.
    for socket in [shell, control, stdinSocket, iopub] { socket.close() }
  }
}
