// HDF5File: the little of HDF5 a Keras weights file needs, read-only, through the C library:
// float datasets by path, string attributes, and a group's members in order. Every failure is
// a thrown one-line error (the library's own error printing is switched off), and every handle
// is closed on the way out.

import CHDF5
import Foundation
import Modeling

public struct HDF5Error: Error, Sendable {
  public var message: String
  public init(_ message: String) { self.message = message }
}

/// The library installs a clean-up routine at exit unless told first not to. Tinycast only
/// reads, and closes every handle itself, so there is nothing for it to do; and after some
/// damaged files it cannot finish (HDF5 issue 6677: "HDF5: infinite loop closing library" at the
/// exit of a process that had refused one, an abort in newer releases). Set once per process,
/// before the library's first call.
let hdf5WithoutExitCleanUp: Void = { _ = H5dont_atexit() }()

public final class HDF5File {
  let id: hid_t
  public let path: String

  /// Opens `path` read-only; a file HDF5 cannot open (not HDF5, truncated) is an error.
  public init(path: String) throws(HDF5Error) {
    hdf5WithoutExitCleanUp
    tc_h5_quiet()
    guard H5Fis_hdf5(path) > 0 else { throw HDF5Error("not an HDF5 file") }
    let id = H5Fopen(path, tc_h5_read_only(), tc_h5_default())
    guard id >= 0 else { throw HDF5Error("HDF5 cannot open it (truncated or damaged?)") }
    self.id = id
    self.path = path
  }

  deinit { H5Fclose(id) }

  /// Whether an object (group or dataset) exists at `path` (every link on the way checked).
  public func exists(_ path: String) -> Bool {
    var prefix = ""
    for part in path.split(separator: "/") {
      prefix += (prefix.isEmpty ? "" : "/") + part
      guard H5Lexists(id, prefix, tc_h5_default()) > 0 else { return false }
    }
    return true
  }

  /// The names of a group's members, in the group's (alphabetical) order.
  public func members(of group: String) throws(HDF5Error) -> [String] {
    guard exists(group) || group == "/" else { throw HDF5Error("no group '\(group)'") }
    let g = H5Gopen2(id, group, tc_h5_default())
    guard g >= 0 else { throw HDF5Error("'\(group)' is not a group") }
    defer { H5Gclose(g) }
    var info = H5G_info_t()
    guard H5Gget_info(g, &info) >= 0 else { throw HDF5Error("cannot list group '\(group)'") }
    var names: [String] = []
    for k in 0..<info.nlinks {
      let length = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, k, nil, 0, tc_h5_default())
      guard length >= 0 else { throw HDF5Error("cannot read a member name of '\(group)'") }
      var buffer = [CChar](repeating: 0, count: Int(length) + 1)
      H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, k, &buffer, buffer.count, tc_h5_default())
      names.append(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    return names
  }

  /// A numeric dataset as float32 (HDF5 converts), with its shape.
  public func floats(_ path: String) throws(HDF5Error) -> (shape: [Int], values: [Float]) {
    guard exists(path) else { throw HDF5Error("no dataset '\(path)'") }
    let d = H5Dopen2(id, path, tc_h5_default())
    guard d >= 0 else { throw HDF5Error("'\(path)' is not a dataset") }
    defer { H5Dclose(d) }
    let type = H5Dget_type(d)
    defer { H5Tclose(type) }
    guard H5Tget_class(type) == H5T_FLOAT || H5Tget_class(type) == H5T_INTEGER else {
      throw HDF5Error("'\(path)' does not hold numbers")
    }
    let space = H5Dget_space(d)
    defer { H5Sclose(space) }
    let rank = Int(H5Sget_simple_extent_ndims(space))
    guard (0...4).contains(rank) else { throw HDF5Error("'\(path)' has \(rank) dimensions") }
    var dims = [hsize_t](repeating: 0, count: max(rank, 1))
    H5Sget_simple_extent_dims(space, &dims, nil)
    let shape = dims.prefix(rank).map { Int($0) }
    let count = shape.reduce(1, *)
    guard count <= 50_000_000 else { throw HDF5Error("'\(path)' holds \(count) numbers; too many for a forecaster") }
    var values = [Float](repeating: 0, count: count)
    if count > 0 {
      let status = values.withUnsafeMutableBytes {
        H5Dread(d, tc_h5_native_float(), tc_h5_all(), tc_h5_all(), tc_h5_default(), $0.baseAddress)
      }
      guard status >= 0 else { throw HDF5Error("cannot read '\(path)' (damaged?)") }
    }
    return (shape, values)
  }

  /// A string attribute of the object at `path` ("/" for the file), or its strings when it is an
  /// array of them: fixed-length or variable-length, as h5py writes both. Nil when absent.
  public func strings(attribute name: String, of path: String = "/") throws(HDF5Error) -> [String]? {
    guard path == "/" || exists(path) else { return nil }
    guard H5Aexists_by_name(id, path, name, tc_h5_default()) > 0 else { return nil }
    let a = H5Aopen_by_name(id, path, name, tc_h5_default(), tc_h5_default())
    guard a >= 0 else { throw HDF5Error("cannot open attribute '\(name)' of '\(path)'") }
    defer { H5Aclose(a) }
    let type = H5Aget_type(a)
    defer { H5Tclose(type) }
    let space = H5Aget_space(a)
    defer { H5Sclose(space) }
    let count = Int(H5Sget_simple_extent_npoints(space))
    guard H5Tget_class(type) == H5T_STRING else {
      // An empty list (h5py writes [] as float64) has no strings.
      if count == 0 { return [] }
      throw HDF5Error("attribute '\(name)' of '\(path)' is not text")
    }
    guard count >= 0, count <= 1_000_000 else { throw HDF5Error("attribute '\(name)' has \(count) entries") }
    if count == 0 { return [] }
    if H5Tis_variable_str(type) > 0 {
      let memory = H5Tcopy(tc_h5_c_string())
      defer { H5Tclose(memory) }
      H5Tset_size(memory, tc_h5_variable())
      H5Tset_cset(memory, H5Tget_cset(type))
      var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
      guard H5Aread(a, memory, &pointers) >= 0 else { throw HDF5Error("cannot read attribute '\(name)'") }
      defer { for p in pointers { H5free_memory(p) } }
      return pointers.map { $0.map { String(cString: $0) } ?? "" }
    }
    let size = H5Tget_size(type)
    guard size > 0, size <= 100_000_000 / max(count, 1) else { throw HDF5Error("attribute '\(name)' is too large") }
    var bytes = [UInt8](repeating: 0, count: size * count)
    guard H5Aread(a, type, &bytes) >= 0 else { throw HDF5Error("cannot read attribute '\(name)'") }
    return (0..<count).map { k in
      let field = bytes[(k * size)..<((k + 1) * size)]
      return String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }
  }
}
