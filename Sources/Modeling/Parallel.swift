// Parallel: run a fixed list of independent work items on up to `threads` threads.
// The items and what each computes never depend on the thread count, so results are
// bit-identical for any number of threads; threads only change who does which item.

import Dispatch

/// A pointer or buffer handed to worker threads that write disjoint parts of it.
public struct SendablePointer<T>: @unchecked Sendable {
  public let pointer: UnsafeMutablePointer<T>
  public init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}

public enum Parallel {
  /// Calls `body(i)` for every i in 0..<count, on at most `threads` threads at once.
  public static func forEach(_ count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
    if threads <= 1 || count <= 1 {
      for i in 0..<count { body(i) }
    } else if threads >= count {
      DispatchQueue.concurrentPerform(iterations: count, execute: body)
    } else {
      // Worker w takes items w, w + threads, ... (any assignment gives the same results).
      DispatchQueue.concurrentPerform(iterations: threads) { w in
        var i = w
        while i < count {
          body(i)
          i += threads
        }
      }
    }
  }

  /// The machine's core count, the default for `set threads`.
  public static var coreCount: Int {
    #if canImport(Glibc)
      return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    #else
      return 1
    #endif
  }
}

#if canImport(Glibc)
  import Glibc
#endif
