// Parallel: run a fixed list of independent work items on up to `threads` threads.
// The items and what each computes never depend on the thread count, so results are
// bit-identical for any number of threads; threads only change who does which item.
//
// Training runs one region per batch of 32 windows (the shards' gradients, then, past a barrier,
// Adam's step and the next batch's dropout masks), about 2,000 times an epoch, each a fraction
// of a millisecond. Handing such regions to Dispatch cost a futex wake and a sleep per region:
// `perf` counted 2.8 context switches per batch and the scheduler in 11% of the samples, and the
// second core bought 1.36x. So the regions run on a pool of persistent workers that spin briefly
// between regions (the next one comes within microseconds) and sleep when none comes
// (WorkerPool). Two regions per batch, with the masks drawn between them on one thread, cost
// about 5% of the 2-thread epoch more than the one region.

import CKernels
import Dispatch
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// A pointer or buffer handed to worker threads that write disjoint parts of it.
public struct SendablePointer<T>: @unchecked Sendable {
  public let pointer: UnsafeMutablePointer<T>
  public init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}

public enum Parallel {
  /// Calls `body(i)` for every i in 0..<count, on at most `threads` threads at once.
  public static func forEach(_ count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
    // More threads than cores only take turns on them (and the pool's threads spin).
    let workers = min(threads, count, coreCount)
    if workers <= 1 {
      for i in 0..<count { body(i) }
      return
    }
    // Worker w takes items w, w + workers, ... (any assignment gives the same results).
    let stride = { @Sendable (w: Int) in
      var i = w
      while i < count {
        body(i)
        i += workers
      }
    }
    if !WorkerPool.shared.run(workers, stride) {
      // The pool is taken (a region inside a region, or another thread's): Dispatch's threads.
      DispatchQueue.concurrentPerform(iterations: workers, execute: stride)
    }
  }

  /// Calls `first(i)` for every i in 0..<firstCount, then, once all of those have returned,
  /// `second(j)` for every j in 0..<secondCount, on at most `threads` threads: one region with a
  /// barrier inside rather than two regions (a training batch's shard gradients, then its Adam
  /// step). Items are handed out in order to whichever thread is free, so a thread slowed by
  /// another process on the machine takes fewer; each item must write its own part of the
  /// output, so which thread runs it changes nothing.
  public static func forEach(
    _ firstCount: Int, then secondCount: Int, threads: Int, first: @Sendable (Int) -> Void,
    second: @Sendable (Int) -> Void
  ) {
    let workers = min(threads, max(firstCount, secondCount), coreCount)
    if workers <= 1 {
      for i in 0..<firstCount { first(i) }
      for j in 0..<secondCount { second(j) }
      return
    }
    let counters = StageCounters()
    let ran = WorkerPool.shared.run(workers) { _ in
      counters.take(firstCount, from: counters.firstNext, first)
      counters.arrive(workers)
      counters.take(secondCount, from: counters.secondNext, second)
    }
    if !ran {
      // No pool (a region inside a region): two regions on Dispatch's threads, which cannot wait
      // for each other inside one.
      forEach(firstCount, threads: threads, first)
      forEach(secondCount, threads: threads, second)
    }
  }

  /// The machine's core count, the default for `set threads`.
  public static let coreCount: Int = {
    #if canImport(Glibc)
      return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    #else
      return 1
    #endif
  }()
}

/// One poll of a spin-wait: a pause for the first 16,384 polls, then a yield of the core on each
/// poll, so a thread of ours descheduled by another process on the machine, or that process,
/// gets it at once.
@inline(__always)
private func backOff(_ spins: inout Int) {
  spins += 1
  if spins < 16384 { tc_cpu_relax() } else { sched_yield() }
}

/// The shared state of a two-stage region: the next item of each stage, and how many threads
/// have finished the first stage.
private final class StageCounters: @unchecked Sendable {
  let firstNext = Atomic<Int>(0)
  let secondNext = Atomic<Int>(0)
  let arrived = Atomic<Int>(0)

  /// Runs items of 0..<count, each taken from `next` once, until none is left.
  @inline(__always)
  func take(_ count: Int, from next: borrowing Atomic<Int>, _ body: (Int) -> Void) {
    while true {
      let i = next.add(1, ordering: .relaxed).oldValue
      guard i < count else { return }
      body(i)
    }
  }

  /// Waits until all `participants` threads have arrived here. Release and acquire: what one
  /// thread wrote before arriving is visible to every thread after it.
  func arrive(_ participants: Int) {
    arrived.add(1, ordering: .acquiringAndReleasing)
    var spins = 0
    while arrived.load(ordering: .acquiring) < participants { backOff(&spins) }
  }
}

/// Persistent worker threads for short parallel regions. The caller is participant 0 and the
/// pool's threads the others; a region starts when the caller bumps `generation` and ends when
/// every pool thread has acknowledged it (`pending` back to 0), so no thread ever lags a region
/// behind. Between regions the threads spin for `spinNanoseconds`, then sleep on a condition
/// variable until the next region wakes them. One region at a time: a caller that finds the pool
/// busy gets false and runs its region elsewhere.
final class WorkerPool: @unchecked Sendable {
  static let shared = WorkerPool()

  /// How long an idle worker polls before it sleeps: long enough to bridge the serial part
  /// between two training batches (a few microseconds), short enough not to burn a core for
  /// long when the work has ended.
  static let spinNanoseconds: UInt64 = 200_000

  private let busy = Atomic<Bool>(false)
  private let generation = Atomic<Int>(0)
  private let pending = Atomic<Int>(0)
  private let sleepers = Atomic<Int>(0)
  /// The region's body and participant count: written by the caller before it bumps
  /// `generation` (release), read by the workers after they see the bump (acquire).
  private nonisolated(unsafe) var job: ((Int) -> Void)?
  private nonisolated(unsafe) var participants = 0
  /// Pool threads started so far (only the caller that holds `busy` starts more).
  private nonisolated(unsafe) var started = 0
  private let sleepLock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

  private init() {
    pthread_mutex_init(sleepLock, nil)
    pthread_cond_init(wake, nil)
  }

  /// Runs `body(0)` here and `body(1)` ... `body(count - 1)` on pool threads; returns when all
  /// have returned. False (nothing run) when the pool is already running a region.
  func run(_ count: Int, _ body: (Int) -> Void) -> Bool {
    guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
    defer { busy.store(false, ordering: .releasing) }
    while started < count - 1 { startThread(index: started + 1) }
    withoutActuallyEscaping(body) { body in
      job = body
      participants = count
      pending.store(started, ordering: .relaxed)
      // Sequentially consistent, with the sleepers' count below: either a worker going to sleep
      // sees this generation, or this caller sees it counted among the sleepers and wakes it.
      generation.add(1, ordering: .sequentiallyConsistent)
      if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
        pthread_mutex_lock(sleepLock)
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(sleepLock)
      }
      body(0)
      var spins = 0
      while pending.load(ordering: .acquiring) != 0 { backOff(&spins) }
      job = nil
    }
    return true
  }

  private func startThread(index: Int) {
    let context = Unmanaged.passRetained(
      WorkerStart(pool: self, index: index, seen: generation.load(ordering: .acquiring))
    ).toOpaque()
    var thread = pthread_t()
    let status = pthread_create(
      &thread, nil,
      { raw in
        let start = Unmanaged<WorkerStart>.fromOpaque(raw!).takeRetainedValue()
        start.pool.workerLoop(index: start.index, seen: start.seen)
        return nil
      }, context)
    precondition(status == 0, "WorkerPool: cannot start a thread (pthread_create \(status))")
    pthread_detach(thread)
    started += 1
  }

  /// A thread's life: each region after generation `seen`, in turn.
  private func workerLoop(index: Int, seen start: Int) {
    var seen = start
    while true {
      var now = generation.load(ordering: .acquiring)
      if now == seen {
        let deadline = DispatchTime.now().uptimeNanoseconds + WorkerPool.spinNanoseconds
        var spins = 0
        while now == seen {
          backOff(&spins)
          if spins & 63 == 0 && DispatchTime.now().uptimeNanoseconds > deadline {
            sleep(until: seen)
            spins = 0
          }
          now = generation.load(ordering: .acquiring)
        }
      }
      seen = now
      if index < participants, let job { job(index) }
      pending.subtract(1, ordering: .releasing)
    }
  }

  /// Sleeps until `generation` moves past `seen`.
  private func sleep(until seen: Int) {
    pthread_mutex_lock(sleepLock)
    sleepers.add(1, ordering: .sequentiallyConsistent)
    while generation.load(ordering: .sequentiallyConsistent) == seen { pthread_cond_wait(wake, sleepLock) }
    sleepers.subtract(1, ordering: .sequentiallyConsistent)
    pthread_mutex_unlock(sleepLock)
  }
}

/// What a new pool thread needs: the generation before the first region it must take part in
/// (read before that region starts, so the thread cannot miss it).
private final class WorkerStart {
  let pool: WorkerPool
  let index: Int
  let seen: Int
  init(pool: WorkerPool, index: Int, seen: Int) {
    self.pool = pool
    self.index = index
    self.seen = seen
  }
}
