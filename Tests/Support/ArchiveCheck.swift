import Foundation
import RestoreCheckCore

/// One restore test of an archive made by a test: target `t` of tenant `acme`, manifest
/// `{archive}.sha256`, generous objectives; `configure` sets what the test is about.
public enum ArchiveCheck {
    public struct Cancelled: Error {}

    public static func run(
        _ archive: String, sample: SampleSpec = SampleSpec(size: .all), seed: UInt64 = 1, in temp: TemporaryDirectory,
        configure: (inout Target) -> Void = { _ in }
    ) async throws -> Outcome {
        var target = BackupSet(directory: temp.path, source: "", archive: archive, manifest: archive + ".sha256").target(sample: sample)
        configure(&target)
        let runner = CheckRunner(scratchBase: temp.url("scratch"), supervisor: WorkerSupervisor(executable: BuiltBinary.path))
        guard let outcome = await runner.check(target, seed: seed) else { throw Cancelled() }
        return outcome
    }
}
