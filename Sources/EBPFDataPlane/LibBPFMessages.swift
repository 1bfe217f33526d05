#if canImport(Glibc)
import Glibc
#endif
internal import CLibBPF
import Foundation
import Synchronization

/// What libbpf says while programs are loaded or attached: its warnings (a verifier's
/// refusal among them) belong in the error an operator reads.
enum LibBPFMessages {
    private static let collected = Mutex<[String]>([])
    private static let installed = Mutex(false)

    /// Runs `body`; returns its result and libbpf's warnings meanwhile.
    static func collecting<Result>(_ body: () throws -> Result) rethrows -> (Result, [String]) {
        installed.withLock { installed in
            guard !installed else { return }
            _ = libbpf_set_print { level, format, arguments in
                guard level.rawValue <= LIBBPF_WARN.rawValue, let format, let arguments else { return 0 }
                var buffer = [CChar](repeating: 0, count: 1024)
                _ = vsnprintf(&buffer, buffer.count, format, arguments)
                let text = String(cString: buffer).trimmingCharacters(in: .whitespacesAndNewlines)
                LibBPFMessages.collected.withLock { $0.append(text) }
                return 0
            }
            installed = true
        }
        collected.withLock { $0.removeAll() }
        let result = try body()
        let messages = collected.withLock { messages in
            defer { messages.removeAll() }
            return messages
        }
        return (result, messages)
    }
}
