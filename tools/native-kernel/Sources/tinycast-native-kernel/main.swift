// tinycast-native-kernel -f CONNECTION_FILE: Tinycast as a Jupyter kernel without Python. The
// five sockets of the connection file, each request answered in-process by the same cell
// execution and completion that `tinycast kernel` serves to the Python wrapper (KernelServer),
// so the two kernels differ only in who speaks the wire protocol. Its kernelspec:
//   {"argv": [".../tinycast-native-kernel", "-f", "{connection_file}"], "display_name": "Tinycast (native)",
//    "language": "tinycast", "interrupt_mode": "signal"}

import CZeroMQ
import Foundation
import Shell
import TinycastCLI
import Workbench

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("tinycast-native-kernel: \(message)\n".utf8))
  exit(1)
}

let arguments = CommandLine.arguments
guard arguments.count == 3, arguments[1] == "-f" else { fail("usage: tinycast-native-kernel -f CONNECTION_FILE") }
let info: ConnectionInfo
do {
  info = try JSONDecoder().decode(ConnectionInfo.self, from: Data(contentsOf: URL(fileURLWithPath: arguments[2])))
} catch {
  fail("cannot read the connection file \(arguments[2]): \(error)")
}

native_kernel_install_interrupts()
guard let context = zmq_ctx_new() else { fail("zmq_ctx_new failed") }
do {
  try NativeKernel(info: info, context: context).run()
} catch {
  fail("\(error)")
}
exit(0)
