import Foundation
import RestoreCheckCore
import Synchronization

/// One real PostgreSQL cluster for a whole test process (started on first use, stopped at exit):
/// each test gets its own database in it, so the history-store tests run against PostgreSQL without
/// paying `initdb` each. Connects through the cluster's unix socket as `postgres` (trust).
public enum SharedPostgres {
    private static let state = Mutex<TemporaryPostgres?>(nil)
    private static let counter = Mutex(0)

    /// The running cluster (started on first call).
    public static func server() throws -> TemporaryPostgres {
        try state.withLock { server in
            if let server { return server }
            var template = Array("/tmp/rc-pg-XXXXXX".utf8CString)
            guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
                throw Shell.Failure(command: "mkdtemp", result: Shell.Result(status: 1, stdout: "", stderr: "mkdtemp failed"))
            }
            let directory = String(cString: made)
            let started = try TemporaryPostgres.start(in: "\(directory)/cluster")
            server = started
            atexit {
                if let server = SharedPostgres.state.withLock({ $0 }) {
                    server.stop()
                    try? FileManager.default.removeItem(atPath: (server.directory as NSString).deletingLastPathComponent)
                }
            }
            return started
        }
    }

    /// A new, empty database in the shared cluster, named after `label`; returns its settings.
    public static func database(_ label: String) throws -> PostgresSettings {
        let server = try server()
        let number = counter.withLock { value in
            value += 1
            return value
        }
        let name = "t\(getpid())_\(number)_" + label.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(30)
        _ = try server.run("createdb", name)
        return PostgresSettings(host: nil, socketDirectory: server.directory, user: "postgres", database: name, tls: .disable)
    }
}
