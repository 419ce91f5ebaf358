// CalendarFeatures: what a model may know about the day it forecasts, since the calendar is
// known in advance: its weekday (seven 0/1 inputs, Monday first) and its place in the year as
// sine and cosine of K harmonics, sin(2 pi h d / 365.25) and cos(...) for h = 1 ... K, d the
// day of the year (1 ... 366).
//
// The sines are Tinycast's own, so a device computes the same bits without libm: the phase is
// reduced exactly in integers (4 h d modulo 1461 quarter-days of a 365.25-day year, then the
// quadrant), and sin and cos of the remaining angle in [0, pi/2) are Taylor polynomials in
// float32 (error below 5e-7), evaluated in the order the exported C writes them.

public struct CalendarFeatures: Equatable, Sendable {
  /// The weekday as seven one-hot inputs.
  public var weekday: Bool
  /// Harmonics of the year (0: none).
  public var yearHarmonics: Int

  public init(weekday: Bool = false, yearHarmonics: Int = 0) {
    self.weekday = weekday
    self.yearHarmonics = yearHarmonics
  }

  public static let none = CalendarFeatures()
  public var count: Int { (weekday ? 7 : 0) + 2 * yearHarmonics }
  public var isEmpty: Bool { count == 0 }

  /// "weekday + 2 yearly harmonics", or "none".
  public var description: String {
    var parts: [String] = []
    if weekday { parts.append("weekday") }
    if yearHarmonics > 0 { parts.append("\(yearHarmonics) yearly harmonic\(yearHarmonics == 1 ? "" : "s")") }
    return parts.isEmpty ? "none" : parts.joined(separator: " + ")
  }

  /// `values` written to `out[0 ..< count]` without allocating (the training loop's path).
  @inline(__always)
  public func write(weekday w: Int, dayOfYear d: Int, to out: UnsafeMutablePointer<Float>, every step: Int = 1) {
    var k = 0
    if weekday {
      for day in 0..<7 { out[step * (k + day)] = day == w ? 1 : 0 }
      k = 7
    }
    for h in stride(from: 1, through: yearHarmonics, by: 1) {
      let (s, c) = Self.sinCos(turns: 4 * h * d, of: 1461)
      out[step * k] = s
      out[step * (k + 1)] = c
      k += 2
    }
  }

  /// The inputs for a day given by its weekday (0 = Monday) and day of the year (1 ... 366).
  public func values(weekday w: Int, dayOfYear d: Int) -> [Float] {
    var out: [Float] = []
    out.reserveCapacity(count)
    if weekday { for k in 0..<7 { out.append(k == w ? 1 : 0) } }
    for h in stride(from: 1, through: yearHarmonics, by: 1) {
      let (s, c) = Self.sinCos(turns: 4 * h * d, of: 1461)
      out.append(s)
      out.append(c)
    }
    return out
  }

  /// The polynomials' coefficients: each a double rounded once to float32 (the exported C
  /// writes these floats as exact hex literals).
  public static let constants = (
    halfPi: Float(Double(1.57079632679489661923)), s3: Float(-1.0 / 6.0 as Double),
    s5: Float(1.0 / 120.0 as Double), s7: Float(-1.0 / 5040.0 as Double), s9: Float(1.0 / 362_880.0 as Double),
    s11: Float(-1.0 / 39_916_800.0 as Double),
    c4: Float(1.0 / 24.0 as Double), c6: Float(-1.0 / 720.0 as Double), c8: Float(1.0 / 40320.0 as Double),
    c10: Float(-1.0 / 3_628_800.0 as Double)
  )

  /// sin and cos of 2 pi q / n (q >= 0), exactly as the exported C computes them.
  public static func sinCos(turns q: Int, of n: Int) -> (Float, Float) {
    let quarters = (4 * (q % n))
    let quadrant = quarters / n
    let rest = quarters % n
    let u = Float(rest) / Float(n)
    let k = Self.constants
    let a = u * k.halfPi
    let a2 = a * a
    var s = a2 * k.s11
    s = k.s9 + s
    s = a2 * s
    s = k.s7 + s
    s = a2 * s
    s = k.s5 + s
    s = a2 * s
    s = k.s3 + s
    s = a2 * s
    s = Float(1) + s
    s = a * s
    var c = a2 * k.c10
    c = k.c8 + c
    c = a2 * c
    c = k.c6 + c
    c = a2 * c
    c = k.c4 + c
    c = a2 * c
    c = Float(-0.5) + c
    c = a2 * c
    c = Float(1) + c
    switch quadrant {
    case 0: return (s, c)
    case 1: return (c, -s)
    case 2: return (-s, -c)
    default: return (-c, s)
    }
  }
}
