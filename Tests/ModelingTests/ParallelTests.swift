// The worker pool behind Parallel.forEach: every item runs exactly once whatever the thread
// count, regions inside regions and regions from several threads at once fall back rather than
// deadlock, and workers that fell asleep between regions wake for the next one.

import Dispatch
import Foundation
import Modeling
import Testing

@Suite struct ParallelTests {
  /// Runs forEach and returns how often each item ran.
  func counts(_ count: Int, threads: Int) -> [Int] {
    let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
    hits.initialize(repeating: 0, count: max(count, 1))
    defer { hits.deallocate() }
    let shared = SendablePointer(hits)
    // Each item writes only its own slot.
    Parallel.forEach(count, threads: threads) { i in shared.pointer[i] += 1 }
    return Array(UnsafeBufferPointer(start: hits, count: count))
  }

  @Test func everyItemRunsExactlyOnce() {
    for threads in [1, 2, 3, 8] {
      for count in [0, 1, 2, 3, 7, 64, 1000] {
        #expect(counts(count, threads: threads) == Array(repeating: 1, count: count), "\(count) on \(threads)")
      }
    }
  }

  /// The two-stage region: every item of each stage runs once, and every second-stage item sees
  /// every first-stage write (the barrier between them), on any thread count, inside a region too.
  @Test func theSecondStageSeesTheWholeFirst() {
    for threads in [1, 2, 3, 8] {
      for (first, second) in [(0, 3), (2, 9), (7, 1), (64, 64), (1, 0)] {
        let cells = UnsafeMutablePointer<Int>.allocate(capacity: first + second)
        cells.initialize(repeating: 0, count: first + second)
        defer { cells.deallocate() }
        let shared = SendablePointer(cells)
        let run = { @Sendable in
          Parallel.forEach(
            first, then: second, threads: threads,
            first: { i in
              // Uneven items, so threads reach the barrier at different times.
              if i % 3 == 0 { usleep(200) }
              shared.pointer[i] += 1
            },
            second: { j in
              // What the first stage wrote, all of it.
              shared.pointer[first + j] = (0..<first).reduce(0) { $0 + shared.pointer[$1] } + 1
            })
        }
        run()
        let expected = Array(repeating: 1, count: first) + Array(repeating: first + 1, count: second)
        #expect(
          Array(UnsafeBufferPointer(start: cells, count: first + second)) == expected,
          "\(first)+\(second) on \(threads)")
        // Inside another region the pool is taken: the same result through the fallback.
        cells.update(repeating: 0, count: first + second)
        Parallel.forEach(2, threads: 2) { k in if k == 0 { run() } }
        #expect(Array(UnsafeBufferPointer(start: cells, count: first + second)) == expected, "nested, \(threads)")
      }
    }
  }

  @Test func aRegionInsideARegionRuns() {
    let cells = UnsafeMutablePointer<Int>.allocate(capacity: 16)
    cells.initialize(repeating: 0, count: 16)
    defer { cells.deallocate() }
    let shared = SendablePointer(cells)
    Parallel.forEach(4, threads: 2) { outer in
      Parallel.forEach(4, threads: 2) { inner in shared.pointer[outer * 4 + inner] += 1 }
    }
    #expect(Array(UnsafeBufferPointer(start: cells, count: 16)) == Array(repeating: 1, count: 16))
  }

  @Test func regionsFromSeveralThreadsAtOnce() {
    // Four callers, each with its own array: whoever gets the pool uses it, the others Dispatch.
    let sums = UnsafeMutablePointer<Int>.allocate(capacity: 4)
    sums.initialize(repeating: 0, count: 4)
    defer { sums.deallocate() }
    let shared = SendablePointer(sums)
    DispatchQueue.concurrentPerform(iterations: 4) { caller in
      for _ in 0..<200 {
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: 32)
        hits.initialize(repeating: 0, count: 32)
        let mine = SendablePointer(hits)
        Parallel.forEach(32, threads: 2) { i in mine.pointer[i] += 1 }
        shared.pointer[caller] += UnsafeBufferPointer(start: hits, count: 32).reduce(0, +)
        hits.deallocate()
      }
    }
    #expect(Array(UnsafeBufferPointer(start: sums, count: 4)) == Array(repeating: 200 * 32, count: 4))
  }

  @Test func workersWakeAfterSleeping() {
    // Longer than the spin (200 us): the pool's threads are asleep when the next region comes.
    for _ in 0..<5 {
      #expect(counts(16, threads: 2) == Array(repeating: 1, count: 16))
      Thread.sleep(forTimeInterval: 0.002)
    }
  }
}
