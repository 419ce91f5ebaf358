// train kind=croston: Croston's method, its bias-corrected SBA form and TSB
// (Modeling/Croston.swift), for intermittent demand. The smoothing constants are given, not fitted.

import Foundation
import Modeling
import SalesData

public struct CrostonSpec: Sendable {
  public var variant = Croston.Variant.sba
  public var alpha = 0.1
  public var beta = 0.1
  /// The new model's name (default croston-VARIANT).
  public var name: String?
  public init() {}
}

extension Workspace {
  public mutating func trainCroston(_ spec: CrostonSpec) throws(CommandError) -> FittedModel {
    let data = try dataset()
    for (key, value) in [("alpha", spec.alpha), ("beta", spec.beta)] where !(value > 0 && value <= 1) {
      throw CommandError("\(key)=\(formatNumber(value)) must be in (0, 1]")
    }
    let name = spec.name ?? "croston-\(spec.variant.rawValue)"
    try requireFreeModelName(name)
    var command = RecordedCommand("train", asName: name)
    command.set("kind", "croston")
    command.set("variant", spec.variant.rawValue)
    command.set("alpha", spec.alpha)
    command.set("beta", spec.beta)
    let scaler = data.windows.scaler
    let model = Croston(
      variant: spec.variant, alpha: Float(spec.alpha), beta: Float(spec.beta), scalerOffset: scaler.offset,
      scalerFactor: scaler.factor)
    return addFitted(model, name: name, on: data, command: command)
  }
}
