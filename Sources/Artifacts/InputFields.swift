// InputFields: what a recurrent network's steps read, as JSON members, shared by the model
// file's header (top level) and the Keras weights file (under "inputs"), so both carry the same
// inputs and check them the same way when read back:
//   "norm":"level", "weekday":true, "year":K, "holidays":[day numbers],
//   "covariates":[{"name":"promo","offset":0,"factor":1}, ...], "ahead":false, "covariate_days":S
// Each member is written only when it differs from the plain setting (Keras' file also writes
// "norm":"none" and the calendar, as it always has).

import Foundation
import Modeling
import SalesData

enum InputFields {
  /// The members (each followed by a comma) that say how `inputs` differ from plain sales.
  static func json(_ inputs: RecurrentInputs) -> String {
    var out = ""
    if inputs.levelNormalized { out += "\"norm\":\"level\"," }
    if inputs.calendar.weekday { out += "\"weekday\":true," }
    if inputs.calendar.yearHarmonics > 0 { out += "\"year\":\(inputs.calendar.yearHarmonics)," }
    if !inputs.holidays.isEmpty { out += "\"holidays\":[\(inputs.holidays.map(String.init).joined(separator: ","))]," }
    if !inputs.covariates.isEmpty {
      let items = inputs.covariates.map {
        "{\"name\":\(ModelFile.jsonString($0.name)),\"offset\":\($0.scaler.offset),\"factor\":\($0.scaler.factor)}"
      }
      out += "\"covariates\":[\(items.joined(separator: ","))],"
      if !inputs.covariatesAhead { out += "\"ahead\":false," }
      if inputs.covariateDays > 1 { out += "\"covariate_days\":\(inputs.covariateDays)," }
    }
    return out
  }

  /// The inputs `fields` describe; `what` prefixes the errors ("header", "inputs").
  static func decode(_ fields: [String: Any], what: String) throws(ModelFileError) -> RecurrentInputs {
    let year = fields["year"] as? Int ?? 0
    guard (0...12).contains(year), [nil, "level", "none"].contains(fields["norm"] as? String) else {
      throw ModelFileError("\(what) has unknown inputs (norm \(fields["norm"] ?? "none"), year \(year))")
    }
    let holidays = fields["holidays"] as? [Int] ?? []
    guard holidays.count <= 100_000, zip(holidays, holidays.dropFirst()).allSatisfy({ $0 < $1 }) else {
      throw ModelFileError("\(what)'s holidays are not distinct day numbers in order")
    }
    var covariates: [Covariate] = []
    if let list = fields["covariates"] {
      guard let items = list as? [[String: Any]], (1...64).contains(items.count) else {
        throw ModelFileError("\(what)'s covariates are not a list of 1 to 64 {name, offset, factor}")
      }
      for item in items {
        guard let name = item["name"] as? String, !name.isEmpty, name.count <= 256,
          let offset = (item["offset"] as? NSNumber)?.floatValue, offset.isFinite,
          let factor = (item["factor"] as? NSNumber)?.floatValue, factor.isFinite, factor != 0
        else { throw ModelFileError("\(what) has a covariate without a name and a finite offset and factor") }
        guard !covariates.contains(where: { $0.name == name }) else {
          throw ModelFileError("\(what) names the covariate '\(name)' twice")
        }
        covariates.append(Covariate(name: name, scaler: Scaler(kind: .minmax, offset: offset, factor: factor)))
      }
    }
    let days = fields["covariate_days"] as? Int ?? 1
    guard (1...366).contains(days), days == 1 || !covariates.isEmpty else {
      throw ModelFileError("\(what)'s covariate_days must be 1 to 366, with covariates")
    }
    return RecurrentInputs(
      levelNormalized: fields["norm"] as? String == "level",
      calendar: CalendarFeatures(weekday: fields["weekday"] as? Bool ?? false, yearHarmonics: year),
      holidays: holidays, covariates: covariates, covariatesAhead: fields["ahead"] as? Bool ?? true,
      covariateDays: days)
  }
}
