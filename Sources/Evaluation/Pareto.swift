// The Pareto front of size against accuracy, and the knee of such a curve.

import Foundation

/// Indices of the points no other point beats on both coordinates (smaller is better for both),
/// ordered by x.
public func paretoFront(xs: [Double], ys: [Double]) -> [Int] {
  let order = xs.indices.sorted { xs[$0] != xs[$1] ? xs[$0] < xs[$1] : ys[$0] < ys[$1] }
  var front: [Int] = []
  var best = Double.infinity
  for i in order where ys[i] < best {
    front.append(i)
    best = ys[i]
  }
  return front
}

/// For each budget (bytes), the index of the point with the best (smallest) y among those of at
/// most that many bytes (ties: the smaller), or nil when none fits: the frontier read at the
/// sizes a device offers.
public func bestWithin(_ budgets: [Double], xs: [Double], ys: [Double]) -> [Int?] {
  budgets.map { budget in
    xs.indices.filter { xs[$0] <= budget }.min { (ys[$0], xs[$0]) < (ys[$1], xs[$1]) }
  }
}

/// The knee of a size/accuracy curve: the index (into `bytes`) of the point furthest below
/// the chord joining the smallest and the largest model, on normalised log-bytes and MAPE
/// axes (Satopaa et al.'s Kneedle). nil with fewer than three sizes.
public func knee(bytes: [Double], mape: [Double]) -> Int? {
  guard bytes.count >= 3 else { return nil }
  let order = bytes.indices.sorted { bytes[$0] < bytes[$1] }
  let lx = order.map { log(bytes[$0]) }
  let ys = order.map { mape[$0] }
  guard let x0 = lx.first, let x1 = lx.last, x1 > x0, let yMin = ys.min(), let yMax = ys.max(), yMax > yMin else {
    return nil
  }
  let nx = lx.map { ($0 - x0) / (x1 - x0) }
  let ny = ys.map { ($0 - yMin) / (yMax - yMin) }
  // The chord from the smallest (first) to the largest (last) model.
  let gaps = nx.indices.map { i in (ny[0] + (ny[ny.count - 1] - ny[0]) * nx[i]) - ny[i] }
  guard let best = gaps.indices.dropFirst().dropLast().max(by: { gaps[$0] < gaps[$1] }), gaps[best] > 0 else {
    return nil
  }
  return order[best]
}
