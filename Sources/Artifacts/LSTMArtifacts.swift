// The LSTM family's files: ModelFile (.tcm, architecture "lstm-dense"), CExport and
// KerasWeights, for every form compression gives the model (ForecastModel).

import Compression
import Foundation
import Modeling

public enum LSTMArtifacts: ArtifactFamily {
  public static let family = "lstm"
  public static let modelFileArchitecture = "lstm-dense"

  static func lstm(_ model: any Forecaster) -> ForecastModel {
    guard let m = model as? ForecastModel else { preconditionFailure("\(model.family) is not a recurrent network") }
    return m
  }

  public static func modelFile(_ model: any Forecaster, metadata: ModelMetadata) -> [UInt8] {
    ModelFile.encode(lstm(model), metadata: metadata)
  }

  public static func readModelFile(_ bytes: [UInt8]) throws(ModelFileError) -> (any Forecaster, ModelMetadata) {
    let (model, metadata) = try ModelFile.decode(bytes)
    return (model, metadata)
  }

  public static func cLibrary(
    _ model: any Forecaster, name: String, metadata: ModelMetadata, measuring: Bool
  ) -> CExportArtifact? {
    CExport.export(lstm(model), name: name, metadata: metadata, measuring: measuring)
  }

  public static func energyNanojoules(_ model: any Forecaster, artifact: CExportArtifact, lookback: Int) -> Double {
    CExport.energyNanojoules(lstm(model), artifact: artifact, lookback: lookback)
  }

  public static func kerasWeights(_ model: any Forecaster, metadata: ModelMetadata) -> String? {
    // Keras' weights would hold the network without the linear model it corrects.
    guard lstm(model).skip == nil else { return nil }
    return KerasWeights.encode(lstm(model).floatNetwork, metadata: metadata)
  }
}

/// The GRU family: the same container as the LSTM's (architecture "gru-dense", the cell's tensor
/// names and shapes), float forms only; Keras weights; C99 for float models.
public enum GRUArtifacts: ArtifactFamily {
  public static let family = "gru"
  public static let modelFileArchitecture = "gru-dense"

  public static func modelFile(_ model: any Forecaster, metadata: ModelMetadata) -> [UInt8] {
    LSTMArtifacts.modelFile(model, metadata: metadata)
  }

  public static func readModelFile(_ bytes: [UInt8]) throws(ModelFileError) -> (any Forecaster, ModelMetadata) {
    try LSTMArtifacts.readModelFile(bytes)
  }

  public static func cLibrary(
    _ model: any Forecaster, name: String, metadata: ModelMetadata, measuring: Bool
  ) -> CExportArtifact? {
    LSTMArtifacts.cLibrary(model, name: name, metadata: metadata, measuring: measuring)
  }

  public static func energyNanojoules(_ model: any Forecaster, artifact: CExportArtifact, lookback: Int) -> Double {
    LSTMArtifacts.energyNanojoules(model, artifact: artifact, lookback: lookback)
  }

  public static func kerasWeights(_ model: any Forecaster, metadata: ModelMetadata) -> String? {
    LSTMArtifacts.kerasWeights(model, metadata: metadata)
  }
}
