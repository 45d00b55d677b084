import Foundation

/// One test's restore from a repository, through the tool's own restore path: the snapshot chosen
/// (`locate`), for a sample the files its listing holds and the draw from them (`list`), and the
/// tool restoring them (`restic restore`, `borg extract`) into the test's scratch, sandboxed
/// (`ToolSandbox`) and timed (`restore`). The restore worker then verifies the tree in place.
///
/// Why the tool's restore and not a stream of the snapshot into the worker (`restic dump`,
/// `borg export-tar`, the first version): the restore is what the MSP runs on the bad day, so its
/// time is the RTO's measure, and it is faster. Measured on the bench set (1 GiB, 9,999 files):
/// `restic restore` 2.8–3.3 s against `restic dump` 4.4–4.9 s (dump is one thread); a 20-file
/// `restic restore --include` 0.36 s against a whole dump. Each chunk is still verified by the tool
/// against its ID as it is restored.
public final class RepositoryRestore {
    let tool: RepositoryTool
    let executable: String
    let snapshot: RepositoryTool.Snapshot

    /// A failure before anything was restored: the reason and the tool's words.
    struct Failure: Error {
        var reason: OutcomeReason
        var detail: String
    }

    /// What the snapshot holds, by the tool's listing or by the manifest, and the sample drawn from it.
    struct Listing {
        var files = 0
        /// The regular files' bytes; nil when the sample was drawn from the manifest (which has no sizes).
        var bytes: Int64?
        /// The chosen files as the tool names them (restic: `/dir/file`; borg: `dir/file`).
        var sample: [String] = []
    }

    /// A name of the restored tree (and of the manifest) as the tool names it in the snapshot.
    func toolPath(_ name: String) -> String { tool.source.tool == .restic ? "/" + name : name }

    /// `files: k` with a manifest: the sample drawn from the manifest exactly as the restore worker
    /// draws an archive's (`ManifestDraw`, coverage first), so the manifest is the population and
    /// a drawn file the snapshot lacks is `entry_missing`, and no file listing is needed. Nil when
    /// the manifest cannot be read (the tool's listing is used instead).
    func draw(_ sample: SampleSpec, seed: UInt64, manifest path: String, coverage: CoverageRequest?) -> Listing? {
        guard case .files = sample.size, let manifest = try? Manifest(contentsOfFile: path) else { return nil }
        let ledger = coverage.flatMap { try? CoverageLedger(manifestPath: path, manifest: manifest, request: $0) }
        let drawn = ManifestDraw(sample, seed: seed, manifest: manifest, covered: { ledger?.isCovered($0) ?? false })
        guard let slots = drawn.slots else { return nil }
        var names = Set(drawn.includes.map(\.description))
        var remaining = slots
        do {
            try Manifest.forEachEntry(inFile: path) { name, _ in
                if let slot = manifest.slot(of: NameKey(name)), remaining.remove(slot) != nil { names.insert(name.description) }
                return !remaining.isEmpty
            }
        } catch {
            return nil
        }
        return Listing(files: manifest.count, bytes: nil, sample: names.sorted().map(toolPath))
    }

    /// How the tool's restore ended.
    struct Restored {
        var run: ToolRun.Result
        var seconds: Double
        /// The tool's exit says something did not come back (restic: any non-zero; borg: 2 and up,
        /// its 1 is "warnings").
        var failed: Bool
        /// bubblewrap itself could not start the sandbox (not the backup's fault).
        var sandboxFailed: Bool
    }

    private init(tool: RepositoryTool, executable: String, snapshot: RepositoryTool.Snapshot) {
        self.tool = tool
        self.executable = executable
        self.snapshot = snapshot
    }

    /// Lists the snapshots and selects the one `source.snapshot` names. `timeout` bounds the listing.
    static func locate(
        _ source: RepositorySource, workDirectory: String, limits: RestoreLimits = RestoreLimits(), timeout: TimeSpan,
        choice: RestorePointChoice = .newest, cancellation: CancellationFlag
    ) -> Result<RepositoryRestore, Failure> {
        let tool = RepositoryTool(source: source, workDirectory: workDirectory, limits: limits)
        let name = source.tool.rawValue
        switch listing(tool, timeout: timeout, cancellation: cancellation) {
        case .failure(let failure): return .failure(failure)
        case .success(let (executable, listing)):
            do {
                guard let selected = try tool.select(fromListing: listing, choice: choice) else {
                    return .failure(Failure(reason: .noArchive, detail: "no snapshot in \(source.display) matches '\(source.snapshot)'"))
                }
                return .success(RepositoryRestore(tool: tool, executable: executable, snapshot: selected))
            } catch {
                return .failure(Failure(reason: .sourceUnavailable, detail: "\(name)'s listing of \(source.display) is not the JSON it documents: \(error)"))
            }
        }
    }

    /// Every snapshot `source.snapshot` selects, newest first.
    static func snapshots(
        _ source: RepositorySource, workDirectory: String, limits: RestoreLimits, timeout: TimeSpan, cancellation: CancellationFlag
    ) -> Result<[RepositoryTool.Snapshot], Failure> {
        let tool = RepositoryTool(source: source, workDirectory: workDirectory, limits: limits)
        switch listing(tool, timeout: timeout, cancellation: cancellation) {
        case .failure(let failure): return .failure(failure)
        case .success(let (_, listing)):
            do { return .success(try tool.snapshots(fromListing: listing).sorted { $0.time > $1.time }) } catch {
                return .failure(Failure(reason: .sourceUnavailable, detail: "\(source.tool.rawValue)'s listing of \(source.display) is not the JSON it documents: \(error)"))
            }
        }
    }

    /// The tool's snapshot listing (its JSON), run in the tool sandbox.
    private static func listing(_ tool: RepositoryTool, timeout: TimeSpan, cancellation: CancellationFlag) -> Result<(String, Data), Failure> {
        let source = tool.source
        let name = source.tool.rawValue
        guard let executable = tool.executable else {
            return .failure(Failure(reason: .sourceUnavailable, detail: "\(source.binary ?? name) is not installed (Debian: \(source.tool == .restic ? "restic" : "borgbackup"))"))
        }
        var listing = Data()
        let listed: ToolRun.Result
        switch sandboxed(tool, executable: executable, tool.listArguments, scratch: nil, timeout: timeout, cancellation: cancellation, output: {
            stream, data in if stream == .output { listing.append(data) }
        }) {
        case .success(let run): listed = run.run
        case .failure(let failure): return .failure(failure)
        }
        if let failure = failure(listed, "\(name) could not list \(source.display)", timeout: timeout) { return .failure(failure) }
        return .success((executable, listing))
    }

    /// Lists the snapshot's regular files and draws `sample` from them, seeded: `include:` names
    /// always (when the snapshot has them), the rest uniformly (`files`) or until about `bytes`. For
    /// samples `draw` cannot take from a manifest (`bytes:`, or no manifest).
    func list(sample: SampleSpec, seed: UInt64, timeout: TimeSpan, cancellation: CancellationFlag) -> Result<Listing, Failure> {
        var result = Listing(bytes: 0)
        var sampler = ReservoirSampler(size: sample.size, seed: seed)
        var members: [Int: (path: String, bytes: Int64)] = [:]
        var included: [(path: String, bytes: Int64)] = []
        let includes = Set(sample.include.map { $0.hasPrefix("./") ? String($0.dropFirst(2)) : $0 })
        func take(_ file: RepositoryTool.ListedFile) {
            result.files += 1
            result.bytes! += file.size
            if includes.contains(file.name) {
                included.append((file.path, file.size))
                return
            }
            let decision = sampler.offer(id: result.files, bytes: file.size)
            for id in decision.evicted { members.removeValue(forKey: id) }
            if decision.admit { members[result.files] = (file.path, file.size) }
        }
        let counted: ToolRun.Result
        switch forEachListingLine(timeout: timeout, cancellation: cancellation, { line in
            if let file = tool.regularFile(listingLine: line) { take(file) }
        }) {
        case .success(let run): counted = run
        case .failure(let failure): return .failure(failure)
        }
        // The snapshot opened, so a failing listing is the snapshot's damage (a tree the tool cannot read).
        let name = tool.source.tool.rawValue
        if let failure = Self.failure(counted, "\(name) could not list the files of \(snapshot.display)", timeout: timeout) {
            return .failure(failure.reason == .sourceUnavailable ? Failure(reason: .archiveCorrupt, detail: failure.detail) : failure)
        }
        result.sample = (included + members.sorted { $0.key < $1.key }.map(\.value)).map(\.path)
        return .success(result)
    }

    /// Lists the snapshot's regular files and keeps those `filter` takes (`restore --include`).
    func list(matching filter: IncludeFilter, timeout: TimeSpan, cancellation: CancellationFlag) -> Result<Listing, Failure> {
        var result = Listing(bytes: 0)
        func take(_ file: RepositoryTool.ListedFile) {
            result.files += 1
            result.bytes! += file.size
            if filter.includes(file.name) { result.sample.append(file.path) }
        }
        let listed: ToolRun.Result
        switch forEachListingLine(timeout: timeout, cancellation: cancellation, { line in
            if let file = tool.regularFile(listingLine: line) { take(file) }
        }) {
        case .success(let run): listed = run
        case .failure(let failure): return .failure(failure)
        }
        if let failure = Self.failure(listed, "\(tool.source.tool.rawValue) could not list the files of \(snapshot.display)", timeout: timeout) {
            return .failure(failure)
        }
        return .success(result)
    }

    /// Which of `paths` are device nodes in the snapshot, by its listing (in the sandbox); nil when
    /// the listing fails.
    func deviceNodes(among paths: [String], timeout: TimeSpan) -> Set<String>? {
        let wanted = Set(paths)
        var found: Set<String> = []
        let run = forEachListingLine(timeout: timeout, cancellation: CancellationFlag()) { line in
            if let path = tool.deviceNode(listingLine: line), wanted.contains(path) { found.insert(path) }
        }
        guard case .success(let result) = run, result.succeeded else { return nil }
        return found
    }

    /// Runs the snapshot's file listing (`restic ls --json`, `borg list --json-lines`) in the sandbox
    /// and hands `body` each line as it comes, the last one too if it has no newline.
    private func forEachListingLine(
        timeout: TimeSpan, cancellation: CancellationFlag, _ body: (Data) -> Void
    ) -> Result<ToolRun.Result, Failure> {
        var lines = LineBuffer()
        let run = Self.sandboxed(tool, executable: executable, tool.filesArguments(snapshot), scratch: nil, timeout: timeout, cancellation: cancellation) {
            stream, piece in
            if stream == .output { lines.append(piece, line: body) }
        }
        lines.finish(line: body)
        return run.map(\.run)
    }

    /// Restores `paths` (nil: the whole snapshot) into `scratch` with the tool, in its sandbox. A
    /// passcommand that fails (or hangs) is the source's failure, before the tool starts.
    func restore(_ paths: [String]?, into scratch: String, timeout: TimeSpan, cancellation: CancellationFlag) -> Result<Restored, Failure> {
        let run: ToolRun.Result
        let seconds: Double
        switch Self.sandboxed(
            tool, executable: executable, tool.restoreArguments(snapshot, into: scratch, paths: paths), scratch: scratch, timeout: timeout,
            cancellation: cancellation, output: { _, _ in })
        {
        case .success(let done): (run, seconds) = done
        case .failure(let failure): return .failure(failure)
        }
        let exit: Int32? = if case .exited(let code) = run.status { code } else { nil }
        let failed = run.timedOut || run.cancelled || exit.map { tool.source.tool == .borg ? $0 >= 2 : $0 != 0 } ?? true
        return .success(Restored(run: run, seconds: seconds, failed: failed, sandboxFailed: failed && Self.sandboxFailed(run)))
    }

    /// Runs the tool with `arguments` in its sandbox (`ToolSandbox`): a listing with nothing
    /// writable but the tool's work directory (`scratch` nil), a restore writing into `scratch`. A
    /// listing reads the repository's metadata, which is as much the attacker's as the files are.
    /// A passcommand may read anything of the host (a vault client, a file under /etc), so it runs
    /// here, outside the sandbox, and borg reads what it printed on its stdin; one that fails (or
    /// hangs) is the source's failure, before the tool starts.
    static func sandboxed(
        _ tool: RepositoryTool, executable: String, _ arguments: [String], scratch: String?, timeout: TimeSpan, cancellation: CancellationFlag,
        output: (SpawnedChild.Stream, Data) -> Void
    ) -> Result<(run: ToolRun.Result, seconds: Double), Failure> {
        guard FileManager.default.isExecutableFile(atPath: BubblewrapBase.executable) else {
            return .failure(Failure(
                reason: .internalError, detail: "\(BubblewrapBase.executable) is missing (Debian: bubblewrap): the repository tool runs only in its sandbox"))
        }
        let sandbox = ToolSandbox(
            source: tool.source, executable: executable, workDirectory: tool.workDirectory, scratch: scratch,
            tmpfsBytes: tool.tmpfsBytes)
        var input = Data()
        var environment = tool.environment
        if let command = tool.source.passcommand {
            var printed = Data()
            let words = RepositoryTool.split(command)
            let asked = ToolRun.capture(
                RepositoryTool.resolve(words.first ?? ""), Array(words.dropFirst()),
                environment: tool.environment.filter { !$0.hasPrefix("BORG_PASSCOMMAND=") }, timeout: timeout, cancellation: cancellation
            ) { stream, data in if stream == .output { printed.append(data) } }
            if let failure = failure(asked, "borg's passcommand", timeout: timeout) { return .failure(failure) }
            while printed.last == UInt8(ascii: "\n") { printed.removeLast() }
            input = printed
            environment = environment.filter { !$0.hasPrefix("BORG_PASSCOMMAND=") } + ["BORG_PASSPHRASE_FD=0"]
        }
        // The tool's own time (a restore's is the RTO's measure), after the passcommand.
        let start = Clock.now
        let run = ToolRun.capture(
            BubblewrapBase.executable, sandbox.arguments + arguments, environment: environment, input: input, timeout: timeout,
            cancellation: cancellation, output: output)
        let seconds = Clock.seconds(since: start)
        if scratch == nil, !run.succeeded, sandboxFailed(run) {
            return .failure(Failure(reason: .internalError, detail: "the listing sandbox could not start: \(run.errorOutput)"))
        }
        return .success((run, seconds))
    }

    /// bubblewrap itself failed (not the backup's fault).
    static func sandboxFailed(_ run: ToolRun.Result) -> Bool { run.errorOutput.hasPrefix(BubblewrapBase.ownErrorPrefix) }

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
        case .success(let found):
            guard FileManager.default.isExecutableFile(atPath: BubblewrapBase.executable) else {
                return "INTERNAL_ERROR: \(BubblewrapBase.executable) is missing (Debian: bubblewrap); the tool restores in its sandbox (tests will be internal_error)"
            }
            return "opens with \(found.executable); a test would take \(found.snapshot.display), taken \(ISO8601DateFormatter().string(from: found.snapshot.time))"
        case .failure(let failure):
            return "\(failure.reason.rawValue.uppercased()): \(failure.detail) (tests will be \(failure.reason.rawValue))"
        }
    }

    static func failure(_ run: ToolRun.Result, _ what: String, timeout: TimeSpan) -> Failure? {
        if run.succeeded { return nil }
        if run.timedOut { return Failure(reason: .timeout, detail: "\(what): no answer within \(TimeSpan.format(timeout.seconds)) (limits.timeout); killed") }
        if run.cancelled { return Failure(reason: .timeout, detail: "\(what): cancelled") }
        let status = run.status.map { "\($0)" } ?? "not started"
        return Failure(reason: .sourceUnavailable, detail: "\(what) (\(status)): \(run.errorOutput)")
    }
}
