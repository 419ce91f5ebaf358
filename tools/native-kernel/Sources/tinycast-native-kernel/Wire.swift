// Jupyter's wire protocol (messaging specification 5.3): ZeroMQ sockets carrying multipart
// messages [routing ids..., "<IDS|MSG>", HMAC signature, header, parent header, metadata,
// content, buffers...], each JSON part signed with HMAC-SHA256 under the connection file's key.

import CZeroMQ
import Crypto
import Foundation

struct WireError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
  static func zmq(_ what: String) -> WireError {
    WireError("\(what): \(String(cString: zmq_strerror(zmq_errno())))")
  }
}

/// The connection file Jupyter writes for each kernel it starts.
struct ConnectionInfo: Decodable {
  let transport: String
  let ip: String
  let shell_port: Int
  let iopub_port: Int
  let stdin_port: Int
  let control_port: Int
  let hb_port: Int
  let key: String
  let signature_scheme: String

  func endpoint(_ port: Int) -> String { "\(transport)://\(ip):\(port)" }
}

/// One ZeroMQ socket, bound to its endpoint. Used by one thread only (ZeroMQ sockets are not
/// thread-safe): the heartbeat socket by the heartbeat thread, the others by the main thread.
final class Socket: @unchecked Sendable {
  let raw: UnsafeMutableRawPointer

  init(context: UnsafeMutableRawPointer, type: Int32, endpoint: String) throws {
    guard let raw = zmq_socket(context, type) else { throw WireError.zmq("zmq_socket") }
    self.raw = raw
    var linger: Int32 = 1000
    zmq_setsockopt(raw, ZMQ_LINGER, &linger, MemoryLayout<Int32>.size)
    guard zmq_bind(raw, endpoint) == 0 else { throw WireError.zmq("cannot bind \(endpoint)") }
  }

  /// The parts of the next message; waits for it. A signal (Jupyter's interrupt) while waiting
  /// does not lose the message: the wait resumes.
  func receive() throws -> [Data] {
    var parts: [Data] = []
    var more = true
    while more {
      var message = zmq_msg_t()
      zmq_msg_init(&message)
      defer { zmq_msg_close(&message) }
      if zmq_msg_recv(&message, raw, 0) < 0 {
        if zmq_errno() == EINTR { continue }
        throw WireError.zmq("zmq_msg_recv")
      }
      parts.append(Data(bytes: zmq_msg_data(&message), count: zmq_msg_size(&message)))
      more = zmq_msg_more(&message) != 0
    }
    return parts
  }

  func send(_ parts: [Data]) {
    for (k, part) in parts.enumerated() {
      let flags = k < parts.count - 1 ? ZMQ_SNDMORE : 0
      part.withUnsafeBytes { bytes in
        while zmq_send(raw, bytes.baseAddress, bytes.count, flags) < 0 && zmq_errno() == EINTR {}
      }
    }
  }

  func close() { zmq_close(raw) }
}

/// A decoded message, and what a reply to it needs (its routing ids and header).
struct Message {
  var identities: [Data]
  var header: [String: Any]
  var parent: [String: Any]
  var metadata: [String: Any]
  var content: [String: Any]

  var type: String { header["msg_type"] as? String ?? "" }
}

/// Signs and checks messages, and builds headers for this kernel's session.
struct Signer {
  let key: SymmetricKey?
  let session = UUID().uuidString

  init(info: ConnectionInfo) throws {
    guard info.key.isEmpty || info.signature_scheme == "hmac-sha256" else {
      throw WireError("signature scheme \(info.signature_scheme) is not supported (hmac-sha256 is)")
    }
    key = info.key.isEmpty ? nil : SymmetricKey(data: Data(info.key.utf8))
  }

  func signature(_ parts: [Data]) -> Data {
    guard let key else { return Data() }
    var hmac = HMAC<SHA256>(key: key)
    for part in parts { hmac.update(data: part) }
    return Data(Data(hmac.finalize()).map { String(format: "%02x", $0) }.joined().utf8)
  }

  /// The message in `parts`, or nil (with the reason) when it is malformed or badly signed.
  /// Messages that fail the check are dropped, as the specification asks.
  func decode(_ parts: [Data]) -> (Message?, String?) {
    guard let delimiter = parts.firstIndex(of: Data("<IDS|MSG>".utf8)), parts.count >= delimiter + 6 else {
      return (nil, "a message without the <IDS|MSG> delimiter and five parts")
    }
    let signed = Array(parts[(delimiter + 2)..<(delimiter + 6)])
    if key != nil {
      // Constant time: compare HMACs of both, never the bytes with an early exit.
      let expected = signature(signed)
      let given = parts[delimiter + 1]
      guard given.count == expected.count, zip(given, expected).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else {
        return (nil, "a message with a bad signature")
      }
    }
    func object(_ data: Data) -> [String: Any]? { (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] }
    guard let header = object(signed[0]), let parent = object(signed[1]), let metadata = object(signed[2]),
      let content = object(signed[3])
    else { return (nil, "a message whose JSON parts are not objects") }
    return (
      Message(
        identities: Array(parts[..<delimiter]), header: header, parent: parent, metadata: metadata,
        content: content), nil
    )
  }

  /// The parts of a message of `type` answering `parent` (nil: none), routed to `identities`.
  func encode(type: String, content: [String: Any], parent: Message?, identities: [Data]) -> [Data] {
    let header: [String: Any] = [
      "msg_id": UUID().uuidString, "session": session, "username": "tinycast", "msg_type": type,
      "version": "5.3", "date": ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: iso8601),
    ]
    let signed = [header, parent?.header ?? [:], [:], content].map { Signer.json($0) }
    return identities + [Data("<IDS|MSG>".utf8), signature(signed)] + signed
  }

  private let iso8601: ISO8601DateFormatter.Options = [.withInternetDateTime, .withFractionalSeconds]

  static func json(_ object: [String: Any]) -> Data {
    (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
  }
}
