// CLI: `tinycast run FILE [--set K=V]... [--out DIR] [--echo]`, `--version`, `--help`.
// Lives in the library so tests drive it in-process; main.swift adds only the terminal.

import Foundation
import Workbench

public enum CLI {
  public static let usage = """
    usage: tinycast                        interactive shell
           tinycast run FILE [--set K=V]... [--out DIR] [--echo] [--allow-write ANYWHERE]
                             [--notebook OUT.md] [--step] [--verify]
                                           replay a session; stops at the first failing line.
                                           It writes only under its folder, the current folder
                                           or --out, and replaces no file without overwrite=on.
                                           --notebook writes the replay as a Markdown notebook;
                                           --step prints each command's comment block and waits
                                           for Enter (q stops); --verify fails when a number
                                           differs from the session's #=> lines
           tinycast --version | --help
    """

  /// Replays a session file. Returns the exit status: 0 when every command and check passed.
  public static func run(arguments: [String], stdout: @escaping (String) -> Void, stderr: @escaping (String) -> Void)
    -> Int32
  {
    var file: String?
    var overrides: [String: String] = [:]
    var outDirectory: String?
    var echo = false
    var writeAnywhere = false
    var notebook: String?
    var step = false
    var verify = false
    var i = 0
    while i < arguments.count {
      let a = arguments[i]
      switch a {
      case "--set":
        guard i + 1 < arguments.count, let eq = arguments[i + 1].firstIndex(of: "=") else {
          stderr("tinycast: --set needs KEY=VALUE")
          return 2
        }
        overrides[String(arguments[i + 1][..<eq])] = String(arguments[i + 1][arguments[i + 1].index(after: eq)...])
        i += 2
      case "--out":
        guard i + 1 < arguments.count else {
          stderr("tinycast: --out needs a folder")
          return 2
        }
        outDirectory = arguments[i + 1]
        i += 2
      case "--echo":
        echo = true
        i += 1
      case "--step":
        step = true
        i += 1
      case "--verify":
        verify = true
        i += 1
      case "--notebook":
        guard i + 1 < arguments.count, arguments[i + 1].lowercased().hasSuffix(".md") else {
          stderr("tinycast: --notebook needs a Markdown file name (OUT.md)")
          return 2
        }
        notebook = arguments[i + 1]
        i += 2
      case "--allow-write":
        guard i + 1 < arguments.count, arguments[i + 1] == "ANYWHERE" else {
          stderr("tinycast: --allow-write takes the word ANYWHERE (the only setting)")
          return 2
        }
        writeAnywhere = true
        i += 2
      default:
        if a.hasPrefix("-") {
          stderr("tinycast: unknown option \(a)\n\(usage)")
          return 2
        }
        guard file == nil else {
          stderr("tinycast: one session file at a time\n\(usage)")
          return 2
        }
        file = a
        i += 1
      }
    }
    guard let file else {
      stderr("tinycast: run needs a session file\n\(usage)")
      return 2
    }
    guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
      stderr("\(file): error: cannot read the session file")
      return 1
    }
    let cwd = FileManager.default.currentDirectoryPath
    let absolute = file.hasPrefix("/") ? file : (cwd as NSString).appendingPathComponent(file)
    let base = (absolute as NSString).deletingLastPathComponent
    var out: String? = nil
    if let o = outDirectory {
      let abs = o.hasPrefix("/") ? o : (cwd as NSString).appendingPathComponent(o)
      do { try FileManager.default.createDirectory(atPath: abs, withIntermediateDirectories: true) } catch {
        stderr("tinycast: cannot create --out folder \(o)")
        return 1
      }
      out = abs
    }
    let context = ShellContext(baseDirectory: base, outputDirectory: out, emit: stdout)
    context.overrides = overrides
    context.writeRoots = writeAnywhere ? nil : [base, cwd] + (out.map { [$0] } ?? [])
    context.protectExistingFiles = true
    let engine = Engine(context: context)
    var notebookPath: String?
    if let notebook {
      // Decided before the replay, so a refused path fails at once rather than after an hour.
      do { notebookPath = try context.outputPath(notebook, overwrite: true) } catch {
        stderr("tinycast: --notebook \(notebook): \(error.description)")
        return 2
      }
    }
    var options = ScriptOptions()
    options.echo = echo
    options.verify = verify
    if step { options.step = { (FileHandle.standardError.write(Data($0.utf8)), readLine(strippingNewline: true)).1 } }
    let status = runScript(text, name: file, engine: engine, options: options, stdout: stdout, stderr: stderr)
    if let notebook, let notebookPath {
      do {
        let svgs = try Notebook.write(context.cells, to: notebookPath, source: (file as NSString).lastPathComponent)
        stdout(
          "wrote \(notebook): \(context.cells.count) cells"
            + (svgs.isEmpty ? "" : ", \(svgs.count) SVG plots beside it"))
      } catch {
        stderr("tinycast: --notebook \(notebook): \(error.description)")
        return 1
      }
    }
    return status
  }

  /// How `runScript` replays: echo each command, pause before each (`step` shows the prompt
  /// text and returns the user's answer, nil at end of input), check `#=>` lines.
  public struct ScriptOptions {
    public var echo = false
    public var step: ((String) -> String?)?
    public var verify = false
    public init() {}
  }

  /// Runs the lines of a script; stops at the first failing line with `NAME:LINE: error: ...`.
  public static func runScript(
    _ text: String, name: String, engine: Engine, echo: Bool,
    stdout: (String) -> Void, stderr: (String) -> Void
  ) -> Int32 {
    var options = ScriptOptions()
    options.echo = echo
    return runScript(text, name: name, engine: engine, options: options, stdout: stdout, stderr: stderr)
  }

  public static func runScript(
    _ text: String, name: String, engine: Engine, options: ScriptOptions,
    stdout: (String) -> Void, stderr: (String) -> Void
  ) -> Int32 {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
      .map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: "\r")) }
    // Stepping pauses at commands, not at the parameter declarations at the top.
    func pausesAt(_ t: String) -> Bool { !t.isEmpty && !t.hasPrefix("#") && !t.hasPrefix("param ") }
    let commandCount = lines.filter { pausesAt($0.trimmingCharacters(in: .whitespaces)) }.count
    var stepping = options.step != nil
    var commandNumber = 0
    var verified = 0
    for (index, line) in lines.enumerated() {
      let trimmed = line.trimmingCharacters(in: .whitespaces)
      if index == 0, trimmed.hasPrefix(SessionFile.header) {
        let version = trimmed.dropFirst(SessionFile.header.count).trimmingCharacters(in: .whitespaces)
        guard let v = Int(version) else {
          stderr("\(name):1: error: bad session header '\(trimmed)'")
          return 1
        }
        if v > TinycastVersion.sessionFormat {
          stderr(
            "\(name):1: error: session format \(v) is newer than this Tinycast reads "
              + "(\(TinycastVersion.sessionFormat)); upgrade Tinycast"
          )
          return 1
        }
        continue
      }
      if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
      if stepping, let step = options.step, pausesAt(trimmed) {
        commandNumber += 1
        // The comment block right above the command tells the story of this step.
        var story: [String] = []
        var k = index - 1
        while k >= 0, lines[k].hasPrefix("#"), !lines[k].hasPrefix("#!"), !lines[k].hasPrefix(SessionFile.resultPrefix)
        {
          story.insert(String(lines[k].dropFirst()).trimmingCharacters(in: .whitespaces), at: 0)
          k -= 1
        }
        let text =
          (story.isEmpty ? "" : "\n" + story.joined(separator: "\n") + "\n")
          + "\n[step \(commandNumber)/\(commandCount)] \(trimmed)\n  Enter runs it, q stops: "
        switch step(text)?.trimmingCharacters(in: .whitespaces) {
        case nil: stepping = false  // input ended: run the rest without pausing
        case "q", "quit":
          stdout("stopped before \(name):\(index + 1)")
          return 0
        default: break
        }
      }
      if options.echo { stdout("> \(trimmed)") }
      do {
        let output = try engine.execute(line)
        if !output.isEmpty { stdout(output) }
      } catch is QuitRequest {
        return 0
      } catch {
        stderr("\(name):\(index + 1): error: \(CommandError.from(error).description)")
        return 1
      }
      if options.verify {
        // The #=> lines right under the command are what it produced when the session was saved.
        var k = index + 1
        var j = 0
        while k < lines.count, lines[k].hasPrefix(SessionFile.resultPrefix) {
          let expected = lines[k].dropFirst(SessionFile.resultPrefix.count).trimmingCharacters(in: .whitespaces)
          let actual = j < engine.lastResults.count ? engine.lastResults[j] : "nothing"
          guard actual == expected else {
            stderr("\(name):\(k + 1): error: verify: this replay gives '\(actual)', the session says '\(expected)'")
            return 1
          }
          verified += 1
          k += 1
          j += 1
        }
      }
    }
    if options.verify { stdout("verified: \(verified) result line\(verified == 1 ? "" : "s") match the session") }
    return 0
  }
}
