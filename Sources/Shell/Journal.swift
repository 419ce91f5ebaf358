// Journal: crash safety for the interactive shell. Every successful state-changing command is
// appended, in canonical form, to ~/.tinycast/autosave.tcs (TINYCAST_HOME overrides the folder)
// and flushed to disk before the next prompt. A clean exit retires the journal; a journal left
// behind at start means the last session ended abruptly, and `restore` replays it.

import Foundation
import Workbench

#if canImport(Glibc)
  import Glibc
#endif

public final class Journal {
  public let path: String
  private var fd: Int32

  /// The folder for the journal: $TINYCAST_HOME, else ~/.tinycast.
  public static func home() -> String {
    if let h = ProcessInfo.processInfo.environment["TINYCAST_HOME"], !h.isEmpty { return h }
    return (NSHomeDirectory() as NSString).appendingPathComponent(".tinycast")
  }

  /// If a journal was left behind by a session that did not end cleanly, moves it aside
  /// (autosave-YYYYMMDD-HHMMSS.tcs) and returns its new path and command count.
  public static func recoverAbandoned(in folder: String = home()) -> (path: String, commands: Int)? {
    let path = (folder as NSString).appendingPathComponent("autosave.tcs")
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    let commands = text.split(separator: "\n").filter {
      !$0.hasPrefix("#") && !$0.trimmingCharacters(in: .whitespaces).isEmpty
    }.count
    let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
      .replacingOccurrences(of: "-", with: "")
    let kept = (folder as NSString).appendingPathComponent("autosave-\(stamp).tcs")
    guard rename(path, kept) == 0 else { return nil }
    return commands > 0 ? (kept, commands) : nil
  }

  /// Starts a fresh journal in `folder`.
  public init?(folder: String = home()) {
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    path = (folder as NSString).appendingPathComponent("autosave.tcs")
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o644)
    guard fd >= 0 else { return nil }
    write(
      "\(SessionFile.header) \(TinycastVersion.sessionFormat)\n#! tool tinycast \(TinycastVersion.string)\n#! "
        + "autosave started \(ISO8601DateFormatter().string(from: Date()))\n"
    )
  }

  /// Appends canonical command lines and flushes them to disk.
  public func append(_ commands: [RecordedCommand]) {
    guard !commands.isEmpty else { return }
    write(commands.map { $0.render() + "\n" }.joined())
  }

  private func write(_ text: String) {
    _ = AtomicFile.writeAll(fd, Array(text.utf8))
    fsync(fd)
  }

  /// A clean exit: the journal is no longer needed to recover anything.
  public func retire() {
    close(fd)
    fd = -1
    unlink(path)
  }

  deinit { if fd >= 0 { close(fd) } }
}
