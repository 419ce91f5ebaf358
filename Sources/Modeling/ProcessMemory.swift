// The process's peak resident memory, for `train`'s report and the bench.
//
// Linux keeps two high-water marks: getrusage's ru_maxrss, which survives exec (a process
// started by a large one, as a sweep point or the bench's full-file child is, reports at least
// its parent's size at the fork), and the address space's own VmHWM in /proc/self/status, which
// starts afresh with the program. The second is the one that describes this program.

import Foundation

#if canImport(Glibc)
  import Glibc
#endif

public enum ProcessMemory {
  /// Peak resident set size in MiB: VmHWM where /proc has it, else ru_maxrss (0 if neither).
  public static func peakMB() -> Double {
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
      let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
    {
      return kilobytes / 1024
    }
    #if canImport(Glibc)
      var usage = rusage()
      getrusage(RUSAGE_SELF.rawValue, &usage)
      return Double(usage.ru_maxrss) / 1024
    #else
      return 0
    #endif
  }
}
