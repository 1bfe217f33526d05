import Foundation
import PackagePlugin

/// Compiles a target's eBPF programs (`Programs/*.bpf.c`) with the toolchain's clang
/// (`-target bpf`) and embeds each object in a generated Swift file as base64, so the
/// daemons carry their programs and load them from memory: no object file to install,
/// none committed.
@main
struct TunnelProgramCompiler: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let programs = target.directoryURL.appending(path: "Programs")
        let entries = (try? FileManager.default.contentsOfDirectory(at: programs, includingPropertiesForKeys: nil)) ?? []
        let headers = entries.filter { $0.pathExtension == "h" }
        let clang = try context.tool(named: "clang").url
        return entries.filter { $0.lastPathComponent.hasSuffix(".bpf.c") }.map { source in
            let name = String(source.lastPathComponent.dropLast(".bpf.c".count))
            let symbol = name.prefix(1).uppercased() + name.dropFirst()
            let object = context.pluginWorkDirectoryURL.appending(path: "\(name).bpf.o")
            let swift = context.pluginWorkDirectoryURL.appending(path: "\(symbol)ProgramObject.swift")
            // The kernel's uapi headers live under the multiarch directory on Debian.
            let script = """
                set -e
                "$1" -O2 -g -target bpf -Wall -Werror -I"$(dirname "$2")" -I/usr/include/$(uname -m)-linux-gnu \
                    -c "$2" -o "$3"
                {
                    printf '// Generated from %s by the TunnelProgramCompiler plugin.\\n' "$(basename "$2")"
                    printf 'enum %sProgramObject {\\n    static let base64 = "' "$5"
                    base64 -w0 "$3"
                    printf '"\\n}\\n'
                } > "$4"
                """
            return .buildCommand(
                displayName: "Compiling eBPF program \(source.lastPathComponent)",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "sh", clang.path, source.path, object.path, swift.path, symbol],
                inputFiles: [source] + headers,
                outputFiles: [swift])
        }
    }
}
