import Foundation

/// One test's reading of a repository: the snapshot chosen and the files it lists (`open`), then the
/// tool streaming it as a tar into a pipe whose read end the restore worker gets as its archive
/// (`start`), and how the tool ended (`finish`).
///
/// Why a stream into the worker rather than the tool restoring into scratch: the worker's defences
/// (names, links, limits, sampling, hashing on the second core) then apply to these backups exactly
/// as to archives, and the tool still reads every chunk through its own restore path, verifying each
/// against its ID. The cost: a sampled test reads the whole snapshot (what a full restore reads), so
/// its time is a measured full read, not a projection from a sample.
///
/// Why the file count: `restic dump` (0.14) skips a directory whose tree blob is damaged and still
/// exits 0, so a stream can silently hold fewer files than the snapshot. The listing walks every tree
/// and fails loudly on a damaged one; a stream with fewer files than it listed is `entry_missing`.
public final class RepositoryStream: @unchecked Sendable {
    // @unchecked: `child` is set once in `start()` before the drain thread starts; `drained` is written
    // by that thread only and read after `drainDone` is signalled.
    let tool: RepositoryTool
    let executable: String
    let snapshot: RepositoryTool.Snapshot
    /// Regular files the tool lists in the snapshot.
    let listedFiles: Int
    private var child: SpawnedChild?
    private var drained: String?
    private let drainDone = DispatchSemaphore(value: 0)

    /// A failure before any data was read: the reason and the tool's words.
    struct Failure: Error {
        var reason: OutcomeReason
        var detail: String
    }

    private init(tool: RepositoryTool, executable: String, snapshot: RepositoryTool.Snapshot, listedFiles: Int) {
        self.tool = tool
        self.executable = executable
        self.snapshot = snapshot
        self.listedFiles = listedFiles
    }

    /// Lists the snapshots, selects one, and counts its files. `timeout` bounds each listing.
    static func open(
        _ source: RepositorySource, workDirectory: String, timeout: TimeSpan, cancellation: CancellationFlag
    ) -> Result<RepositoryStream, Failure> {
        let tool: RepositoryTool, executable: String, snapshot: RepositoryTool.Snapshot
        switch locate(source, workDirectory: workDirectory, timeout: timeout, cancellation: cancellation) {
        case .success(let found): (tool, executable, snapshot) = found
        case .failure(let failure): return .failure(failure)
        }
        let name = source.tool.rawValue
        var files = 0
        var pending = Data()
        let counted = ToolRun.capture(
            executable, tool.filesArguments(snapshot), environment: tool.environment, timeout: timeout, cancellation: cancellation
        ) { stream, piece in
            guard stream == .output else { return }
            pending.append(piece)
            // Lines are counted in place and the consumed prefix dropped once per piece: dropping it
            // line by line would move the rest of the buffer for every line.
            var lineStart = pending.startIndex
            while let newline = pending[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
                if tool.isRegularFile(listingLine: pending[lineStart..<newline]) { files += 1 }
                lineStart = pending.index(after: newline)
            }
            pending.removeSubrange(pending.startIndex..<lineStart)
        }
        if !pending.isEmpty, tool.isRegularFile(listingLine: pending) { files += 1 }
        // The snapshot opened, so a failing listing is the snapshot's damage (a tree restic cannot read).
        if let failure = failure(counted, "\(name) could not list the files of \(snapshot.display)", timeout: timeout) {
            return .failure(failure.reason == .sourceUnavailable ? Failure(reason: .archiveCorrupt, detail: failure.detail) : failure)
        }
        return .success(RepositoryStream(tool: tool, executable: executable, snapshot: snapshot, listedFiles: files))
    }

    /// Lists the snapshots and selects the one `source.snapshot` names: the tool, its executable and
    /// the snapshot, or why not.
    static func locate(
        _ source: RepositorySource, workDirectory: String, timeout: TimeSpan, cancellation: CancellationFlag
    ) -> Result<(RepositoryTool, String, RepositoryTool.Snapshot), Failure> {
        let tool = RepositoryTool(source: source, workDirectory: workDirectory)
        let name = source.tool.rawValue
        guard let executable = tool.executable else {
            return .failure(Failure(reason: .sourceUnavailable, detail: "\(source.binary ?? name) is not installed (Debian: \(source.tool == .restic ? "restic" : "borgbackup"))"))
        }
        var listing = Data()
        let listed = ToolRun.capture(
            executable, tool.listArguments, environment: tool.environment, timeout: timeout, cancellation: cancellation
        ) { stream, data in if stream == .output { listing.append(data) } }
        if let failure = failure(listed, "\(name) could not list \(source.display)", timeout: timeout) { return .failure(failure) }
        let snapshot: RepositoryTool.Snapshot
        do {
            guard let selected = try tool.select(fromListing: listing) else {
                return .failure(Failure(reason: .noArchive, detail: "no snapshot in \(source.display) matches '\(source.snapshot)'"))
            }
            snapshot = selected
        } catch {
            return .failure(Failure(reason: .sourceUnavailable, detail: "\(name)'s listing of \(source.display) is not the JSON it documents: \(error)"))
        }
        return .success((tool, executable, snapshot))
    }

    /// For `check-config`: whether the repository opens and which snapshot a test would take, without
    /// restoring anything. A private work directory is made under `scratchBase` (check-config: the
    /// system's temporary directory, so checking creates nothing of restorecheck's) and removed.
    public static func probe(_ source: RepositorySource, scratchBase: String, timeout: TimeSpan) -> String {
        let directory: ScratchDirectory
        do { directory = try ScratchDirectory.create(under: scratchBase, label: "probe-\(source.tool.rawValue)") } catch {
            return "CANNOT CHECK: \(error)"
        }
        defer { try? directory.remove() }
        switch locate(source, workDirectory: directory.path, timeout: timeout, cancellation: CancellationFlag()) {
        case .success(let (_, executable, snapshot)):
            return "opens with \(executable); a test would take \(snapshot.display), taken \(ISO8601DateFormatter().string(from: snapshot.time))"
        case .failure(let failure):
            return "\(failure.reason.rawValue.uppercased()): \(failure.detail) (tests will be \(failure.reason.rawValue))"
        }
    }

    private static func failure(_ run: ToolRun.Result, _ what: String, timeout: TimeSpan) -> Failure? {
        if run.succeeded { return nil }
        if run.timedOut { return Failure(reason: .timeout, detail: "\(what): no answer within \(TimeSpan.format(timeout.seconds)) (limits.timeout); killed") }
        if run.cancelled { return Failure(reason: .timeout, detail: "\(what): cancelled") }
        let status = run.status.map { "\($0)" } ?? "not started"
        return Failure(reason: .sourceUnavailable, detail: "\(what) (\(status)): \(run.errorOutput)")
    }

    /// Starts the tool writing the snapshot as a tar into a new pipe; returns the read end for the
    /// worker (the caller closes it). The tool's stderr is drained on a thread of its own.
    func start() throws -> Int32 {
        let pipe = try SpawnedChild.pipe()
        defer { SystemCalls.close(pipe.write) }
        do {
            let started = try SpawnedChild.spawn(
                executable: executable, arguments: tool.streamArguments(snapshot), environment: tool.environment, standardOutput: pipe.write)
            started.writeInput(Data())
            child = started
        } catch {
            SystemCalls.close(pipe.read)
            throw error
        }
        let thread = Thread { [self] in
            drained = ToolRun.drainErrors(of: child!)
            drainDone.signal()
        }
        thread.name = "restorecheck \(tool.source.tool.rawValue) stderr"
        thread.start()
        return pipe.read
    }

    /// How the tool ended, once the worker is done and the caller has closed its read end: a tool
    /// still writing then gets EPIPE and exits. One that has not ended within `grace` is killed, and
    /// `killed` says so (its status is then no verdict: the worker's findings say what went wrong).
    func finish(grace: TimeInterval = 10) -> (status: SpawnedChild.Status, errors: String, killed: Bool)? {
        guard let child else { return nil }
        var killed = false
        if drainDone.wait(timeout: .now() + grace) == .timedOut {
            child.killGroup()
            killed = true
            drainDone.wait()
        }
        return (child.wait(), drained ?? "", killed)
    }
}
