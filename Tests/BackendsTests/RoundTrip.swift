import Diagnostics
import Foundation
import IR
import Spec
import TestSupport
import Testing

@testable import Backends

/// The contract every backend's reader and gaps meet: the files, read back on their own,
/// allow exactly intent + widened − narrowed, and the connection gaps stand for each workload
/// pair and each external rule of those differences exactly once (a product gap for all of its
/// pairs, `Connection.pairCount`).
func checkRoundTrip(
    _ backend: any Backend, _ policy: Policy, _ options: TargetOptions, sourceLocation: SourceLocation = #_sourceLocation
) throws -> (Emission, ReadBack) {
    let emission = try backend.emit(policy, options: options)
    let read = try backend.read(emission.files, policy: policy)
    #expect(read.relation.subtracting(policy.intent) == emission.widened, sourceLocation: sourceLocation)
    #expect(policy.intent.subtracting(read.relation) == emission.narrowed, sourceLocation: sourceLocation)
    let connectionGaps = emission.gaps.filter { ($0.kind == .widened || $0.kind == .narrowed) && $0.capability != .rbac }
    let expected = [emission.widened, emission.narrowed].reduce(0) { total, relation in
        total + relation.betweenWorkloads.count + relation.ingress.values.reduce(0) { $0 + $1.entries.count }
            + relation.egress.values.reduce(0) { $0 + $1.entries.count }
    }
    // A gap may stand for a group of workloads (a shared network: its members × its members ×
    // ports, between two `.platform` endpoints); the backend's own tests check what such a gap
    // covers. Every other connection gap is one workload pair or one external rule.
    let grouped = connectionGaps.filter { gap in
        guard case .platform(_)? = gap.connection?.source, case .platform(_)? = gap.connection?.destination else { return false }
        return true
    }
    // A gap that is a product (`Endpoint.workloads` at an end) counts the pairs it stands for.
    let counted = connectionGaps.reduce(0) { $0 + ($1.connection?.pairCount ?? 1) }
    if grouped.isEmpty {
        #expect(counted == expected, sourceLocation: sourceLocation)
    } else {
        #expect(counted - grouped.count < expected, sourceLocation: sourceLocation)
    }
    return (emission, read)
}

func options(_ target: TargetName, _ gaps: GapPolicy, _ extra: [String: OptionValue] = [:]) -> TargetOptions {
    let range = SourceRange.wholeFile("spec.yaml")
    return TargetOptions(
        target: target, gaps: gaps,
        options: extra.keys.sorted().map {
            OptionEntry(key: Located($0, at: range), value: Located(extra[$0]!, at: range))
        }, origin: range)
}

/// Every runtime key the spec sets is either what the read-back files enforce, or reported
/// as an unenforced gap of that workload.
func checkRuntime(_ policy: Policy, _ emission: Emission, _ read: ReadBack, sourceLocation: SourceLocation = #_sourceLocation) throws {
    for workload in policy.workloads {
        let wanted = workload.runtime
        let got = read.runtime[workload.id] ?? RuntimeProfile()
        let reported = Set(
            emission.gaps.filter { gap in
                guard gap.kind == .unenforced else { return false }
                switch gap.subject {
                case .runtime(let name, _), .secrets(let name): return name == workload.name
                default: return false
                }
            }.map(\.capability))
        func check(_ capability: Capability, _ holds: Bool, _ key: String) {
            #expect(
                holds || reported.contains(capability), "\(policy.name): \(workload.name).\(key) neither enforced nor reported", sourceLocation: sourceLocation)
        }
        if let user = wanted.user { check(.runtimeUser, got.user == user, "user") }
        if let readOnly = wanted.readOnlyRoot { check(.readOnlyRoot, got.readOnlyRoot == readOnly || (!readOnly && got.readOnlyRoot == nil), "read_only_root") }
        if let capabilities = wanted.capabilities { check(.linuxCapabilities, got.capabilities == capabilities, "capabilities") }
        if let paths = wanted.writablePaths, !paths.isEmpty { check(.readOnlyRoot, got.writablePaths == paths, "writable_paths") }
        if let pids = wanted.resources?.pids { check(.resourceLimits, got.resources?.pids == pids, "pids") }
        if let privileged = wanted.privileged { check(.privileged, got.privileged == privileged, "privileged") }
        if let seccomp = wanted.seccomp { check(.seccomp, got.seccomp == seccomp, "seccomp") }
        if let apparmor = wanted.apparmor { check(.apparmor, got.apparmor == apparmor, "apparmor") }
        if let flag = wanted.hostNetwork { check(.hostNamespaces, flag == false, "host_network") }
        if let flag = wanted.hostPID { check(.hostNamespaces, got.hostPID == flag, "host_pid") }
        if let flag = wanted.hostIPC { check(.hostNamespaces, got.hostIPC == flag, "host_ipc") }
        if wanted.noNewPrivileges == true { check(.noNewPrivileges, got.noNewPrivileges == true, "no_new_privileges") }
    }
}

/// The samples every backend test runs on.
let backendSamples = ["minimal.yaml", "shop.yaml", "payments.yaml", "platform.yaml", "no-segments.yaml"]

/// A sample's IR.
func samplePolicy(_ sample: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> Policy {
    try #require(SpecCompiler.compile(path: repositoryRoot.appendingPathComponent("samples/\(sample)").path).policy, sourceLocation: sourceLocation)
}

/// `body` on `count` random specs from `seed`, under both gap policies.
func forRandomSpecs(seed: UInt64, count: Int, _ body: (Policy, GapPolicy) throws -> Void) throws {
    var rng = SeededGenerator(seed: seed)
    for _ in 0..<count {
        let policy = try #require(compileSpec(RandomSpec.generate(&rng)).policy)
        for gaps in [GapPolicy.widen, .narrow] { try body(policy, gaps) }
    }
}
