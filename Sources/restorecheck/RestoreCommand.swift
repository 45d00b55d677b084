import ArgumentParser
import Foundation
import Glibc
import RestoreCheckCore
import RestoreCheckStore
import UnixSignals

/// `restorecheck restore TARGET --to DIR`: restores a restore point for keeps, through the same
/// worker and defences as a test, checking every file against the manifest as it is written.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a target's restore point into a directory, verified against its manifest.",
        discussion: """
            Default restore point: the newest one whose last test passed. Exit codes: 0 complete and \
            verified, 1 restored with files that differ from the manifest (listed), 2 usage, 3 could \
            not restore, 130 interrupted (what was restored is named; no half-written file is left \
            under a final name).
            """)

    @OptionGroup var options: ConfigOptions
    @Argument(help: "The target to restore.") var target: String
    @Option(help: "The directory to restore into: absent or empty (see --into-existing).") var to: String?
    @Option(help: "'verified' (default: newest that passed its last test), 'newest' (even if untested), or a point's name from --list-points.")
    var point = "verified"
    @Option(help: "Only points taken before this time (ISO 8601, e.g. 2026-11-28T00:00Z): a point from before an incident.")
    var before: String?
    @Option(help: "Restore only entries matching this glob (or below a matching folder); repeatable.") var include: [String] = []
    @Flag(help: "List the target's restore points with their last test's verdict, and exit.") var listPoints = false
    @Flag(help: "Restore into a directory that already has files, never replacing one (unless --overwrite).") var intoExisting = false
    @Flag(help: "With --into-existing: replace existing files of the same name.") var overwrite = false
    @Flag(help: "Do not restore owners and groups (only root restores them).") var noOwners = false
    @Flag(help: "Restore extended attributes the archive holds: user.* always, the other namespaces only with owners (root).")
    var xattrs = false
    @Flag(help: "Print the result as JSON.") var json = false

    func run() async throws {
        let config = try options.load()
        guard let target = config.targets.first(where: { $0.name == self.target }) else {
            throw usage("no target named '\(self.target)' in \(options.config)")
        }
        let store = await RunCommand.openHistory(config)
        let history = (try? await store?.history(target: target.name, limit: 10_000)) ?? []
        let runner = RestoreRunner(scratchBase: config.scratchDirectory, supervisor: WorkerSupervisor(executable: RunCommand.executablePath()))
        let cancellation = CancellationFlag()
        if listPoints {
            let listed = await DedicatedThread.run(name: "restorecheck list-points") { runner.listPoints(target, history: history, cancellation: cancellation) }
            switch listed {
            case .success(let points): print(RestoreOutput.points(points, json: json))
            case .failure(let refusal):
                FileHandle.standardError.write(Data("restorecheck: \(refusal)\n".utf8))
                throw ExitCode(ExitStatus.error)
            }
            return
        }
        let request = try makeRequest(target)
        let interrupts = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        let watcher = Task {
            for await _ in interrupts { cancellation.cancel() }
        }
        defer { watcher.cancel() }
        let progress = RestoreProgress(
            enabled: !json && isatty(2) == 1, expectedSeconds: history.compactMap { $0.outcome?.projectedFullRestoreSeconds }.first)
        let started = Date()
        let result = await DedicatedThread.run(name: "restorecheck restore") {
            runner.restore(request, history: history, cancellation: cancellation, progress: { progress.show($0, since: started) })
        }
        progress.clear()
        switch result {
        case .notStarted(let why):
            request.directory.removeIfUnused()
            FileHandle.standardError.write(Data("restorecheck: nothing restored: \(UntrustedText.visible(why))\n".utf8))
            throw ExitCode(ExitStatus.error)
        case .interrupted(let kept, let removed):
            FileHandle.standardError.write(Data((
                "restorecheck: interrupted; \(kept) file(s) in \(request.directory.path) are complete and verified under their names, "
                + "\(removed) partial file(s) removed; the restore is not complete\n").utf8))
            throw ExitCode(ExitStatus.interrupted)
        case .finished(let outcome, let tally, let chosen, let complete):
            do {
                let runID = try await store?.beginRun(target: target.name, tenant: target.tenant, started: outcome.started, origin: RestoreRunner.origin)
                if let runID { try await store?.complete(runID: runID, outcome: outcome) }
            } catch {
                FileHandle.standardError.write(Data("restorecheck: history: the restore was not recorded: \(error)\n".utf8))
            }
            print(RestoreOutput.summary(outcome, tally: tally, chosen: chosen, directory: request.directory.path, complete: complete, json: json))
            throw ExitCode(RestoreOutput.exitCode(outcome, complete: complete))
        }
    }

    private func makeRequest(_ target: Target) throws -> RestoreRunner.Request {
        guard let to else { throw usage("--to DIR is required (or --list-points)") }
        if overwrite && !intoExisting { throw usage("--overwrite needs --into-existing") }
        if target.repository != nil, intoExisting {
            throw usage("--into-existing is for archives and objects; \(target.name) is a repository, whose tool would replace existing files")
        }
        var beforeDate: Date?
        if let before {
            guard let parsed = RestoreOutput.parseInstant(before) else { throw usage("--before \(before): not an ISO 8601 time (2026-11-28T00:00Z)") }
            beforeDate = parsed
        }
        let directory: RestoreDirectory
        do { directory = try RestoreDirectory.prepare(to, intoExisting: intoExisting) } catch { throw usage(error.description) }
        var request = RestoreRunner.Request(
            target: target, directory: directory, owners: geteuid() == 0 && !noOwners, operatorName: Self.operatorName())
        request.point = switch point {
        case "verified": .verified
        case "newest": .newest
        default: .named(point)
        }
        request.before = beforeDate
        request.include = include
        request.overwrite = overwrite
        request.xattrs = xattrs
        return request
    }

    private func usage(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("restorecheck: \(message)\n".utf8))
        return ExitCode(ExitStatus.usage)
    }

    /// Who ran it: the user sudo ran it for, else the login name, else the uid.
    static func operatorName() -> String {
        let environment = ProcessInfo.processInfo.environment
        if let user = environment["SUDO_USER"], !user.isEmpty { return "\(user) (via sudo)" }
        if let entry = getpwuid(getuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "uid \(getuid())"
    }
}
