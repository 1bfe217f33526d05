import LabProcesses

/// What every namespace lab offers its users: run and start programs inside its
/// namespaces, `ip` itself, a scratch folder, and removal of everything it made.
public protocol NamespaceLab: Sendable {
    /// What every name of the lab starts with.
    var prefix: String { get }
    /// A folder for the run's files, removed with the lab.
    var scratch: String { get }
    /// `ip ARGUMENTS` and its output.
    func output(_ arguments: [String]) async throws -> String
    /// Runs a program inside `namespace` to completion.
    func run(_ namespace: String, _ arguments: [String], timeout: Duration) async throws -> ProgramRun
    /// Starts a program inside `namespace`.
    func spawn(_ namespace: String, _ arguments: [String]) throws -> ChildProcess
    /// A path in ``scratch``.
    func file(_ name: String) -> String
    /// Kills whatever runs in the lab and deletes everything it made; idempotent.
    func remove()
}

extension LabTopology: NamespaceLab {}
extension FederationTopology: NamespaceLab {}
