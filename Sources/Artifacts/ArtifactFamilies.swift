// ArtifactFamilies: how a model of each family becomes files (the .tcm model file, a C99
// library, Keras weights) and how big those are. A family adds one conformance to
// ArtifactFamily (LSTMArtifacts.swift is the LSTM's) and lists it in `ArtifactFamilies.all`;
// everything above this module asks here, never a family's writer directly.

import Compression
import Foundation
import Modeling

public protocol ArtifactFamily: Sendable {
  /// `Forecaster.family` of the models this family writes.
  static var family: String { get }
  /// The `architecture` its model files name in their header.
  static var modelFileArchitecture: String { get }
  /// One replica's model file: what a device stores, and the `bytes` every table reports.
  static func modelFile(_ model: any Forecaster, metadata: ModelMetadata) -> [UInt8]
  static func readModelFile(_ bytes: [UInt8]) throws(ModelFileError) -> (any Forecaster, ModelMetadata)
  /// One replica as C99 (nil: the family has no C export). `measuring` counts the flash, RAM
  /// and multiply-accumulates without writing the source.
  static func cLibrary(
    _ model: any Forecaster, name: String, metadata: ModelMetadata, measuring: Bool
  ) -> CExportArtifact?
  /// Estimated energy of one forecast of `artifact`, in nanojoules.
  static func energyNanojoules(_ model: any Forecaster, artifact: CExportArtifact, lookback: Int) -> Double
  /// Keras' `get_weights()` arrays as JSON (nil: Keras has no such model).
  static func kerasWeights(_ model: any Forecaster, metadata: ModelMetadata) -> String?
}

public enum ArtifactFamilies {
  /// Every family Tinycast can write and read.
  public static let all: [any ArtifactFamily.Type] = [
    LSTMArtifacts.self, GRUArtifacts.self, LinearArtifacts.self, AverageArtifacts.self, CrostonArtifacts.self,
    ETSArtifacts.self,
    ThetaArtifacts.self,
  ]

  static func family(of model: any Forecaster) -> any ArtifactFamily.Type {
    guard let f = all.first(where: { $0.family == model.family }) else {
      preconditionFailure("no artifact family registered for '\(model.family)'")
    }
    return f
  }

  public static func modelFile(_ model: any Forecaster, metadata: ModelMetadata) -> [UInt8] {
    family(of: model).modelFile(model, metadata: metadata)
  }

  /// Reads any family's model file: the header's architecture picks the family.
  public static func readModelFile(_ bytes: [UInt8]) throws(ModelFileError) -> (any Forecaster, ModelMetadata) {
    let header = try ModelFile.header(of: bytes)
    let architecture = header["architecture"] as? String ?? "none"
    guard let f = all.first(where: { $0.modelFileArchitecture == architecture }) else {
      throw ModelFileError("unknown architecture \(architecture)")
    }
    return try f.readModelFile(bytes)
  }

  public static func cLibrary(_ model: any Forecaster, name: String, metadata: ModelMetadata) -> CExportArtifact? {
    family(of: model).cLibrary(model, name: name, metadata: metadata, measuring: false)
  }

  /// The C library's figures without its source: the cheap size `compare` reports.
  public static func cFootprint(_ model: any Forecaster, metadata: ModelMetadata) -> CExportArtifact? {
    return family(of: model).cLibrary(model, name: "m", metadata: metadata, measuring: true)
  }

  public static func energyNanojoules(_ model: any Forecaster, artifact: CExportArtifact, lookback: Int) -> Double {
    family(of: model).energyNanojoules(model, artifact: artifact, lookback: lookback)
  }

  public static func kerasWeights(_ model: any Forecaster, metadata: ModelMetadata) -> String? {
    family(of: model).kerasWeights(model, metadata: metadata)
  }
}
