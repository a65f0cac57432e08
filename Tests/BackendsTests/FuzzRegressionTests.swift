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

    // MARK: - Kubernetes: the admission policy's CEL

    /// The shop sample's digest rule, in the `ValidatingAdmissionPolicy` of its `manifests.yaml`;
    /// the edits below put a condition in front of it.
    static let digestRule = #"c\.image\.matches\('@sha256:\[0-9a-f\]\{64\}\$'\)"#

    /// `depth` comprehensions, each over `width` items, nested around `body`.
    static func nestedComprehensions(depth: Int, width: Int, body: String) -> String {
        let list = "[" + (0..<width).map(String.init).joined(separator: ", ") + "]"
        return (0..<depth).reversed().reduce(body) { inner, level in "\(list).all(v\(level), \(inner))" }
    }

    /// The edits reach the CEL the reader evaluates: a condition that always holds in front of
    /// the digest rule reads back, one that never holds refuses every workload.
    @Test func kubernetesEditsReachTheAdmissionPolicy() throws {
        let (policy, files) = try Self.ownFiles(.kubernetes, "shop.yaml")
        let backend = KubernetesBackend()
        let holds = Self.edited(
            files, "manifests.yaml", replacing: Self.digestRule, with: Self.nestedComprehensions(depth: 2, width: 2, body: "true") + " && $0")
        #expect(holds != files)
        _ = try backend.read(holds, policy: policy)
        let fails = Self.edited(
            files, "manifests.yaml", replacing: Self.digestRule, with: Self.nestedComprehensions(depth: 2, width: 2, body: "false") + " && $0")
        #expect(throws: ReadFailure.self) { try backend.read(fails, policy: policy) }
    }

    /// Found reading the code the `kubernetes` target reaches (not by a fuzz run):
    /// the reader evaluates the admission policy's CEL with no cost limit, so comprehensions
    /// nested in a few hundred bytes (here 10^8 steps per pod it admits or refuses) keep `compare`
    /// and `explain` busy for hours (10 times longer per level); doubling a string or a list at each level would exhaust memory
    /// the same way (not measured). Kubernetes refuses such a policy (its CEL cost budget); the reader must
    /// refuse it too, with a `ReadFailure`: an evaluation fails beyond `CELEvaluator.budget` steps.
    @Test func kubernetesCELWithoutACostLimitIsRefused() throws {
        let (policy, files) = try Self.ownFiles(.kubernetes, "shop.yaml")
        let costly = Self.edited(
            files, "manifests.yaml", replacing: Self.digestRule, with: Self.nestedComprehensions(depth: 8, width: 10, body: "true") + " && $0")
        #expect(costly != files)
        #expect(throws: ReadFailure.self) { try KubernetesBackend().read(costly, policy: policy) }
    }

    /// Found reading the code the `kubernetes` target reaches (not by a fuzz run):
    /// CEL's `matches()` ran on ICU's backtracking engine (`NSRegularExpression`), so a pattern
    /// such as `^(a|aa)+$` on a string of `a`s ending in `!` took time exponential in its length
    /// (48 `a`s: far longer than a test may run). Kubernetes matches with RE2, in linear time, and
    /// admits this policy; the reader must read it back (the condition never holds, so the rule
    /// is the digest rule alone) in time linear in the input too, or refuse the pattern with a
    /// `ReadFailure`. The OpenShift reader evaluates the same CEL. Fixed: `CELRegex`, a Thompson
    /// NFA simulation (its own tests bound the steps of such patterns).
    @Test
    func kubernetesCELRegexRunsInLinearTime() throws {
        let subject = String(repeating: "a", count: 48) + "!"
        for target in [TargetName.kubernetes, .openshift] {
            let (policy, files) = try Self.ownFiles(target, "shop.yaml")
            let backend = try #require(BackendRegistry.backend(for: target))
            let costly = Self.edited(files, "manifests.yaml", replacing: Self.digestRule, with: "('\(subject)'.matches('^(a|aa)+$') || $0)")
            #expect(costly != files)
            #expect(throws: Never.self, "\(target)") { _ = try backend.read(costly, policy: policy) }
        }
    }
}
