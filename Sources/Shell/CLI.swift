// CLI: what `tinycast run FILE` does once its command line is parsed (TinycastCLI parses it):
// replay a session, stop at the first failing line. Lives in the library so tests drive it
// in-process; main.swift adds only the terminal.

import Foundation
import Workbench

/// What `tinycast run` was asked to do (the command line is parsed in TinycastCLI).
public struct ReplayOptions: Sendable {
  public var file: String
  public var overrides: [String: String] = [:]
  public var outDirectory: String?
  public var echo = false
  public var writeAnywhere = false
  public var notebook: String?
  public var step = false
  public var verify = false
  public init(file: String) { self.file = file }
}

public enum CLI {
  /// Replays a session file. Returns the exit status: 0 when every command and check passed.
  public static func replay(
    _ request: ReplayOptions, stdout: @escaping (String) -> Void, stderr: @escaping (String) -> Void
  ) -> Int32 {
    let file = request.file
    guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
      stderr("\(file): error: cannot read the session file")
      return 1
    }
    let cwd = FileManager.default.currentDirectoryPath
    let absolute = file.hasPrefix("/") ? file : (cwd as NSString).appendingPathComponent(file)
    let base = (absolute as NSString).deletingLastPathComponent
    var out: String? = nil
    var outDirectory = request.outDirectory
    if outDirectory == nil && request.verify {
      // A check of a session must not trip over the files its first run left beside it: it
      // replays into a fresh folder next to the session (NAME.verify, NAME.verify-2, ...).
      let stem = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
      var candidate = (base as NSString).appendingPathComponent("\(stem).verify")
      var k = 2
      while FileManager.default.fileExists(atPath: candidate) {
        candidate = (base as NSString).appendingPathComponent("\(stem).verify-\(k)")
        k += 1
      }
      outDirectory = candidate
      let shown = candidate.hasPrefix(cwd + "/") ? String(candidate.dropFirst(cwd.count + 1)) : candidate
      stdout("verifying into \(shown)/ (a fresh folder; --out DIR chooses another)")
    }
    if let o = outDirectory {
      let abs = o.hasPrefix("/") ? o : (cwd as NSString).appendingPathComponent(o)
      do { try FileManager.default.createDirectory(atPath: abs, withIntermediateDirectories: true) } catch {
        stderr("tinycast: cannot create --out folder \(o)")
        return 1
      }
      out = abs
    }
    let context = ShellContext(baseDirectory: base, outputDirectory: out, emit: stdout)
    context.overrides = request.overrides
    context.writeRoots = request.writeAnywhere ? nil : [base, cwd] + (out.map { [$0] } ?? [])
    context.protectExistingFiles = true
    let engine = Engine(context: context)
    var notebookPath: String?
    if let notebook = request.notebook {
      // Decided before the replay, so a refused path fails at once rather than after an hour.
      do { notebookPath = try context.outputPath(notebook, overwrite: true) } catch {
        stderr("tinycast: --notebook \(notebook): \(error.description)")
        return 2
      }
    }
    var options = ScriptOptions()
    options.echo = request.echo
    options.verify = request.verify
    if request.step {
      // Typed input echoes the Enter; piped input does not, so the answer's newline is written
      // here and the command's output starts on a line of its own.
      let piped = isatty(STDIN_FILENO) == 0
      options.step = { prompt in
        FileHandle.standardError.write(Data(prompt.utf8))
        let answer = readLine(strippingNewline: true)
        if piped { FileHandle.standardError.write(Data("\n".utf8)) }
        return answer
      }
    }
    let status = runScript(text, name: file, engine: engine, options: options, stdout: stdout, stderr: stderr)
    if let notebook = request.notebook, let notebookPath {
      do {
        if notebook.lowercased().hasSuffix(".ipynb") {
          try Notebook.writeJupyter(context.cells, to: notebookPath, source: (file as NSString).lastPathComponent)
          stdout("wrote \(notebook): \(context.cells.count) cells (Jupyter, nbformat 4.5)")
          return status
        }
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
        // The command as it will run: parameters ($epochs) replaced by their values.
        let shown = (try? engine.expandParameters(trimmed)) ?? trimmed
        let text =
          (story.isEmpty ? "" : "\n" + story.joined(separator: "\n") + "\n")
          + "\n[step \(commandNumber)/\(commandCount)] \(shown)\n  Enter runs it, q stops: "
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
    if options.verify {
      stdout("verified: \(verified) result \(verified == 1 ? "line matches" : "lines match") the session")
    }
    return 0
  }
}
