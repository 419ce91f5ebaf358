// LinearSkip: a recurrent network that corrects a linear autoregression (the kilobyte issue's
// "linear skip"). The linear model forecasts; the network forecasts what the linear model gets
// wrong; the forecast is their sum, in sales units:
//
//   forecast = base + (net - anchor)
//
// base is the linear model's forecast in sales (as its C library returns it), net the network's
// forecast in sales as if it forecast sales (unscale of its scaled output), and anchor what a
// network output of 0 means in sales: the window's level for a level-normalised network, the
// scaler's offset otherwise. So a network whose Dense head is zero adds nothing (the head starts
// at zero: training starts from the linear model), and its training target is the residual
// placed where its output expects a forecast, scale(actual - base + anchor): (actual - base) /
// level for a level-normalised network. The linear model is fitted first and stays fixed; the
// network is trained (and pruned, quantized, fine-tuned) on its residual like any network, and
// every form keeps the base.

import SalesData

extension LinearAutoregression {
  /// Forecasts in sales units for `windows`, computed as the exported C library computes them:
  /// a level-normalised model's y times the window's divisor, otherwise its scaled output
  /// unscaled.
  public func forecastSales(_ windows: some Collection<WindowRef>, data: WindowedData) -> [Float] {
    var x = [Float](repeating: 0, count: lookback)
    return windows.map { w in
      let day = input(w, data: data, into: &x)  // fills x first
      let y = forecast(x, day: day)
      return levelNormalized ? y : data.scaler.unscale(y)
    }
  }

  /// The scaled forecast of a network correcting this model: base + (unscale(network) - anchor),
  /// scaled (each operation in that order, as the C library does it).
  @inline(__always)
  public static func corrected(base: Float, networkScaled: Float, anchor: Float, scaler: Scaler) -> Float {
    let correction = scaler.unscale(networkScaled) - anchor
    return scaler.scale(base + correction)
  }

  /// The scaled training target of a network correcting this model, from a scaled target:
  /// the residual placed where the network's output expects a forecast.
  @inline(__always)
  public static func residualTarget(scaled target: Float, base: Float, anchor: Float, scaler: Scaler) -> Float {
    scaler.scale(scaler.unscale(target) - base + anchor)
  }
}

extension LinearAutoregression {
  /// Corrects a chunk's network forecasts in place: `out[r]`, the network's scaled forecast for
  /// `windows[r]` (whose level `gather` returned as `levels[r]`), becomes this model's forecast
  /// plus the network's correction. The float and integer paths share it.
  public func correct(
    _ out: UnsafeMutablePointer<Float>, windows: ArraySlice<WindowRef>, levels: [Float], inputs: RecurrentInputs,
    data: WindowedData
  ) {
    let base = forecastSales(windows, data: data)
    for r in 0..<windows.count {
      out[r] = Self.corrected(
        base: base[r], networkScaled: out[r], anchor: inputs.skipAnchor(level: levels[r], scaler: data.scaler),
        scaler: data.scaler)
    }
  }
}

extension RecurrentInputs {
  /// What a correcting network's output of 0 means in sales, for window level `level`: the
  /// level for a level-normalised network, the scaler's offset otherwise.
  @inline(__always) public func skipAnchor(level: Float, scaler: Scaler) -> Float {
    levelNormalized ? level : scaler.unscale(0)
  }
}
