import Foundation

/// The `restorecheck` executable that `swift build`/`swift test` built beside the test bundle.
public enum BuiltBinary {
    public static var path: String {
        if let override = ProcessInfo.processInfo.environment["RESTORECHECK_BINARY"] { return override }
        let testBinary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        // …/debug/restorecheckPackageTests.xctest → …/debug/restorecheck
        let directory = (testBinary as NSString).deletingLastPathComponent
        return "\(directory)/restorecheck"
    }
}
