import Foundation

/// The `validate: command:` rules of one test, run by the parent after the worker's pass on the
/// restored files the worker matched (`CommandCandidate`), one at a time, each in its own sandbox
/// (`SandboxedCommand`). They run before scratch is removed, and their time is part of the restore's.
struct ValidationCommands {
    /// What the commands found, and how long they took.
    struct Results {
        var findings: [Finding] = []
        var files = 0
        var seconds = 0.0
    }

    static func run(_ candidates: [CommandCandidate], target: Target, scratch: String, cancellation: CancellationFlag) -> Results {
        var results = Results()
        let start = Clock.now
        if !candidates.isEmpty, let why = SandboxedCommand.handOver(scratch: scratch) {
            results.findings = candidates.map { Finding(path: $0.name, reason: .internalError, detail: "validation command not run: \(why)") }
            return results
        }
        for candidate in candidates where !cancellation.isCancelled {
            guard candidate.rule < target.validate.count, let command = target.validate[candidate.rule].command else { continue }
            let rule = target.validate[candidate.rule]
            results.files += 1
            let result = SandboxedCommand.run(
                command, scratch: scratch, fileName: candidate.name, target: target.name, tenant: target.tenant, timeout: rule.timeout,
                limits: target.limits, cancellation: cancellation)
            let program = (command.first as NSString?)?.lastPathComponent ?? "command"
            switch result {
            case .passed:
                continue
            case .failed(let status, let output):
                results.findings.append(Finding(
                    path: candidate.name, reason: .validationFailed, detail: "\(program): \(status)" + (output.isEmpty ? "" : ": \(output)")))
            case .timedOut(let output):
                results.findings.append(Finding(
                    path: candidate.name, reason: .validationTimeout,
                    detail: "\(program): killed after its timeout of \(rule.timeout)" + (output.isEmpty ? "" : "; output: \(output)")))
            case .couldNotRun(let why):
                results.findings.append(Finding(path: candidate.name, reason: .internalError, detail: "\(program): \(why)"))
            }
        }
        results.seconds = Clock.seconds(since: start)
        return results
    }
}
