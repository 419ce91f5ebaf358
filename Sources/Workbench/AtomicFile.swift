// AtomicFile: every file Tinycast writes goes to a temporary file beside the target, is flushed
// to disk, then renamed over it, so a crash leaves the old file or the new one, never a torn one.

import Foundation

#if canImport(Glibc)
  import Glibc
#endif

public enum AtomicFile {
  /// Writes all of `bytes` to `fd` (write(2) may write less than asked); false on an error.
  public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var written = 0
    return bytes.withUnsafeBytes { raw in
      while written < raw.count {
        let n = Glibc.write(fd, raw.baseAddress! + written, raw.count - written)
        if n <= 0 { return false }
        written += n
      }
      return true
    }
  }

  public static func write(_ bytes: [UInt8], to path: String) throws(CommandError) {
    let directory = (path as NSString).deletingLastPathComponent
    var isDir: ObjCBool = false
    if !directory.isEmpty, !(FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) && isDir.boolValue)
    {
      throw CommandError("cannot write \(path): folder \(directory) does not exist")
    }
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
      throw CommandError("cannot write \(path): it is a folder")
    }
    let temporary =
      (directory.isEmpty ? "" : directory + "/") + ".\((path as NSString).lastPathComponent).tmp-\(getpid())"
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { throw CommandError("cannot write \(path): \(String(cString: strerror(errno)))") }
    let ok = writeAll(fd, bytes)
    let synced = fsync(fd) == 0
    close(fd)
    guard ok && synced, rename(temporary, path) == 0 else {
      let reason = String(cString: strerror(errno))
      unlink(temporary)
      throw CommandError("cannot write \(path): \(reason)")
    }
  }
}
