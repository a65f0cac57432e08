import Backends
import Foundation
import IR
import Spec
import TestSupport
import Testing

/// Files the fuzz targets (`Fuzz/`, docs/fuzzing.md) found that crash a backend's reader, each
/// written as an edit of a sample's own files. A reader may reject a file it cannot make sense
/// of (it throws); it must never trap, since `compare` and `explain` read files a user hands
/// them. A test that still crashes is disabled until its fix lands (a crash would end the whole
/// test run); `Fuzz/Sources/FuzzSupport/KnownIssues.swift` keeps the fuzz targets off it until
/// then.
@Suite struct FuzzRegressionTests {
    /// A sample's policy and the files `target` writes for it.
    static func ownFiles(_ target: TargetName, _ sample: String) throws -> (Policy, [OutputFile]) {
        let path = repositoryRoot.appendingPathComponent("samples/\(sample)").path
        let policy = try #require(SpecCompiler.compile(path: path).policy)
        let backend = try #require(BackendRegistry.backend(for: target))
        let options = policy.options(for: target) ?? TargetOptions(target: target, gaps: .widen, options: [], origin: policy.origin)
        return (policy, try backend.emit(policy, options: options).files)
    }

    /// `files` with `pattern` (a regular expression) replaced in the file at `path`.
    static func edited(_ files: [OutputFile], _ path: String, replacing pattern: String, with replacement: String) -> [OutputFile] {
        files.map { file in
            guard file.path == path else { return file }
            return OutputFile(path: path, contents: file.contents.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression))
        }
    }

    // MARK: - AWS

    /// The rule the AWS edits below change: the minimal sample's site → api rule on tcp/9000.
    static let awsRule = #""FromPort": 9000,(\s*)"ToPort": 9000,"#

    /// The edits reach a rule: with its port moved, the template still reads, and allows
    /// something else.
    @Test func awsEditsReachTheRule() throws {
        let (policy, files) = try Self.ownFiles(.aws, "minimal.yaml")
        let moved = Self.edited(files, "security-groups.json", replacing: Self.awsRule, with: #""FromPort": 9001,$1"ToPort": 9001,"#)
        #expect(moved != files)
        let original = try AWSBackend().read(files, policy: policy).relation
        #expect(try AWSBackend().read(moved, policy: policy).relation != original)
    }

    /// Found by the `aws` target: `FromPort: -5` made `PortSet` convert a negative port to
    /// `UInt32`, and trap.
    @Test
    func awsRuleWithPortsOutOfRangeIsRejected() throws {
        let (policy, files) = try Self.ownFiles(.aws, "minimal.yaml")
        for port in ["-5", "65536", "99999999999", "\"0x10\"", "\"\"", "null", "[1]"] {
            let broken = Self.edited(files, "security-groups.json", replacing: Self.awsRule, with: "\"FromPort\": \(port),$1\"ToPort\": 9000,")
            #expect(throws: (any Error).self, "FromPort \(port)") { try AWSBackend().read(broken, policy: policy) }
        }
    }

    /// Found by the `aws` target: a tcp rule without `FromPort` and `ToPort` read them as -1,
    /// and trapped as above.
    @Test
    func awsRuleWithoutPortsIsRejected() throws {
        let (policy, files) = try Self.ownFiles(.aws, "minimal.yaml")
        let broken = Self.edited(files, "security-groups.json", replacing: Self.awsRule, with: "")
        #expect(throws: (any Error).self) { try AWSBackend().read(broken, policy: policy) }
    }

    /// Found by the `aws` target: `FromPort` above `ToPort` made an interval that ends before
    /// it starts, and `IntervalSet` trapped on its precondition.
    @Test
    func awsRuleWithReversedPortsIsRejected() throws {
        let (policy, files) = try Self.ownFiles(.aws, "minimal.yaml")
        let broken = Self.edited(files, "security-groups.json", replacing: Self.awsRule, with: #""FromPort": 9001,$1"ToPort": 9000,"#)
        #expect(throws: (any Error).self) { try AWSBackend().read(broken, policy: policy) }
    }

    // MARK: - Port numbers in the other readers

    /// The GCP, Azure, Swarm and Mesos readers build a `PortRange` from the numbers in the file
    /// as they are, so a negative port, one past `UInt32` or a range that ends before it starts
    /// traps in `PortSet` or `IntervalSet`. Found by the `gcp` target on a reversed range; the
    /// others read the same way and trap on the same edits. A port above 65535 that fits
    /// (70000) is read today as if it existed. Each case is one edit of the minimal sample's own
    /// files, and the reader must reject it (a `ReadFailure`) as the AWS reader now does.
    static let portCases: [(target: TargetName, file: String, pattern: String, replacements: [String])] = [
        (.gcp, "firewall-rules.json", #"("ports": \[\s*)"9000""#, [#"$1"9000-80""#, #"$1"99999999999""#, #"$1"70000""#]),
        (.azure, "nsg.json", #""destinationPortRange": "9000""#, [#""destinationPortRange": "9000-80""#, #""destinationPortRange": "99999999999""#]),
        (.swarm, "stack.yaml", "published: 8080", ["published: -5", "published: 99999999999"]),
        (.mesos, "marathon.json", #""hostPort": 8080"#, [#""hostPort": 99999999999"#, #""hostPort": 70000"#]),
    ]

    /// The edits reach the files: each pattern is in the sample's own file.
    @Test func portEditsReachTheFiles() throws {
        for (target, file, pattern, _) in Self.portCases {
            let (_, files) = try Self.ownFiles(target, "minimal.yaml")
            let contents = try #require(files.first { $0.path == file }?.contents, "\(target): no \(file)")
            #expect(contents.range(of: pattern, options: .regularExpression) != nil, "\(target): \(pattern) not in \(file)")
        }
    }

    @Test(arguments: portCases.map(\.target))
    func portsOutOfRangeAreRejected(target: TargetName) throws {
        let (_, file, pattern, replacements) = try #require(Self.portCases.first { $0.target == target })
        let (policy, files) = try Self.ownFiles(target, "minimal.yaml")
        let backend = try #require(BackendRegistry.backend(for: target))
        for replacement in replacements {
            let broken = Self.edited(files, file, replacing: pattern, with: replacement)
            #expect(throws: (any Error).self, "\(target): \(replacement)") { try backend.read(broken, policy: policy) }
        }
    }
}
