/// The fixed prose of every report, in one place for the HTML and Markdown templates: which part of
/// the report is evidence for which control, and how the numbers are made.
enum ReportText {
    /// Evidence, not a claim of certification: each line names the part of the report that answers
    /// the control.
    static let controls: [(control: String, evidence: String)] = [
        ("CIS Controls v8, 11.5 (Test data recovery)",
         "The Evidence section lists every restore test of the period: what was restored, from which backup, and the result."),
        ("NIST SP 800-53 CP-4 (Contingency plan testing)",
         "The Breach ledger records each failed test, missed RPO or RTO and testing gap, with when it was opened and resolved."),
        ("NIST SP 800-53 CP-9(1) (Backup testing for reliability and integrity)",
         "Each test compared the restored bytes with SHA-256 checksums taken at backup time; the Evidence section names the checksum manifest by its own SHA-256."),
        ("ISO/IEC 27001:2022 A.8.13 (Information backup)",
         "The Summary shows, per backup, the age of the newest restore point proven restorable and the share of the period it met the agreed RPO."),
        ("NIS2 implementing regulation (EU) 2024/2690, annex 4.2.6 (document the results of the tests)",
         "This report is that record; each test carries its evidence-chain hash, which `restorecheck evidence verify` checks against the verifier's history."),
        ("SOC 2, A1.3 (Recovery plan testing)",
         "The Summary's RTO compliance and the restore-time charts compare measured and projected full-restore times with the agreed RTO."),
    ]

    static let method: [(heading: String, text: String)] = [
        ("Restore tests",
         "Each test restores files from the newest backup into an empty, isolated directory with the same library the restore tools use, and compares every restored byte with the SHA-256 checksums listed in a manifest taken when the backup was made. A test passes only when every sampled file came back identical, the backup is within its RPO and the full restore is projected within its RTO."),
        ("Sampling",
         "A test restores a random sample of files (the Evidence section gives its size and seed, so a test can be repeated exactly) or every file. A passing sample shows those files restore; it does not prove every other file does."),
        ("Verified RPO",
         "The verified backup is the newest backup that has passed a restore test; its age is how much recent data could be lost if the data had to be restored now. A newer backup that was never tested does not count."),
        ("RPO compliance",
         "The share of the measured period during which the verified backup was no older than the RPO. The measured period starts at the later of the report's start and the first recorded test of the backup, and ends at the report's end. Computed exactly from the times tests finished, not sampled."),
        ("RTO and the projection",
         "A test times its restore and projects a full restore from the measured rates (per file, per byte, and for the data it had to skip), as the README explains with its measured error. RTO compliance is the share of the period's tests whose projection was within the RTO."),
        ("Backups in object storage",
         "A backup kept in object storage is tested where it lives: restorecheck reads it from the bucket over the network, as a restore would, and the restore time includes fetching it. Each such test states how many bytes it read of how many the stored object holds: a sample of a zip or 7z reads its index and the sampled files, a tar archive is read whole."),
        ("Evidence chain",
         "Each test is chained to the one recorded before it by a SHA-256 hash when it is recorded. Changing, inserting or deleting a recorded test breaks the chain, which `restorecheck evidence verify` detects. A signed report can be checked with the verifier's public key."),
    ]
}
