// NelderMead: the bounded, adaptive Nelder-Mead simplex search the classical forecasters fit
// their parameters with, written to take the same steps as statsforecast's (its nelder_mead.h):
// an initial simplex of 5% steps (1e-4 from zero), every trial point clamped to the box, the
// adaptive coefficients of Gao and Han (2012) for n parameters, and a stop when the standard
// deviation of the simplex's values falls below `tolerance` or after `maxIterations`. Following
// the same search matters: ETS's likelihood is flat near its optimum, and an optimiser that
// stops elsewhere picks other parameters and, through the AICc, sometimes another model.

public enum NelderMead {
  public struct Result: Sendable {
    /// The best point found and its value.
    public var x: [Double]
    public var value: Double
    public var iterations: Int
  }

  public static func minimize(
    start: [Double], lower: [Double], upper: [Double], maxIterations: Int = 1000, tolerance: Double = 1e-4,
    _ f: ([Double]) -> Double
  ) -> Result {
    let n = start.count
    precondition(n >= 1 && lower.count == n && upper.count == n, "a point, its lower and upper bounds")
    func clamp(_ x: inout [Double]) {
      for i in 0..<n { x[i] = min(max(x[i], lower[i]), upper[i]) }
    }
    let reflection = 1.0
    let expansion = 1.0 + 2.0 / Double(n)
    let contraction = 0.75 - 1.0 / (2.0 * Double(n))
    let shrinkage = 1.0 - 1.0 / Double(n)

    var x0 = start
    clamp(&x0)
    var simplex = [[Double]](repeating: x0, count: n + 1)
    for i in 0..<n {
      let v = simplex[i][i]
      simplex[i][i] = min(max(v == 0 ? 1e-4 : v * 1.05, lower[i]), upper[i])
    }
    var values = simplex.map(f)
    var iteration = 0
    var best = 0
    while iteration < maxIterations {
      // Order by value; equal values keep their rows' order (a stable sort).
      let order = (0...n).sorted { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }
      best = order[0]
      let worst = order[n]
      let secondWorst = order[n - 1]
      if standardDeviation(values) < tolerance { break }

      var centroid = [Double](repeating: 0, count: n)
      for row in simplex { for j in 0..<n { centroid[j] += row[j] } }
      for j in 0..<n { centroid[j] = (centroid[j] - simplex[worst][j]) / Double(n) }
      func toward(_ scale: Double, _ from: [Double]) -> [Double] {
        var p = [Double](repeating: 0, count: n)
        for j in 0..<n { p[j] = centroid[j] + scale * (from[j] - centroid[j]) }
        clamp(&p)
        return p
      }
      iteration += 1
      let reflected = toward(-reflection, simplex[worst])
      let fr = f(reflected)
      if values[best] <= fr && fr < values[secondWorst] {
        simplex[worst] = reflected
        values[worst] = fr
        continue
      }
      if fr < values[best] {
        let expanded = toward(expansion, reflected)
        let fe = f(expanded)
        if fe < fr {
          simplex[worst] = expanded
          values[worst] = fe
        } else {
          simplex[worst] = reflected
          values[worst] = fr
        }
        continue
      }
      if values[secondWorst] <= fr && fr < values[worst] {
        let outside = toward(contraction, reflected)
        let fo = f(outside)
        if fo <= fr {
          simplex[worst] = outside
          values[worst] = fo
          continue
        }
      } else {
        let inside = toward(-contraction, reflected)
        let fi = f(inside)
        if fi < values[worst] {
          simplex[worst] = inside
          values[worst] = fi
          continue
        }
      }
      for j in 0...n where j != best {
        var p = [Double](repeating: 0, count: n)
        for k in 0..<n { p[k] = simplex[best][k] + shrinkage * (simplex[j][k] - simplex[best][k]) }
        clamp(&p)
        simplex[j] = p
        values[j] = f(p)
      }
    }
    return Result(x: simplex[best], value: values[best], iterations: iteration)
  }

  /// The population standard deviation (divided by the count, as numpy's std).
  static func standardDeviation(_ v: [Double]) -> Double {
    var mean = 0.0
    for x in v { mean += x }
    mean /= Double(v.count)
    var s = 0.0
    for x in v { s += (x - mean) * (x - mean) }
    return (s / Double(v.count)).squareRoot()
  }
}
