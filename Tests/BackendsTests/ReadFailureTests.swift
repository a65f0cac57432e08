import Diagnostics
import IR
import Spec
import TestSupport
import Testing

@testable import Backends

/// Every backend reports files it cannot read back with the one `ReadFailure`: the file, and
/// what is wrong with it.
@Suite struct ReadFailureTests {
    /// The file each backend cannot do without.
    static let firstFiles: [TargetName: String] = [
        .openshift: "manifests.yaml", .swarm: "stack.yaml", .mesos: "marathon.json",
        .aws: "security-groups.json", .gcp: "firewall-rules.json", .azure: "nsg.json", .kubernetes: "manifests.yaml",
        .nftables: "api.nft",
    ]

    @Test(arguments: TargetName.allCases)
    func aMissingFileIsNamed(target: TargetName) throws {
        let backend = try #require(BackendRegistry.backend(for: target))
        let policy = try samplePolicy("minimal.yaml")
        let error = try #require(throws: ReadFailure.self) { try backend.read([], policy: policy) }
        #expect(error.file == Self.firstFiles[target])
        #expect(error.description == "\(error.file): missing from the files read")
        // `explain` looks the file up the same way.
        let explained = try #require(throws: ReadFailure.self) {
            try backend.rules([], policy: policy, from: Endpoints(), to: Endpoints(), ports: .all)
        }
        #expect(explained == error)
    }

    @Test(arguments: TargetName.allCases)
    func aFileThatDoesNotLoadIsNamed(target: TargetName) throws {
        let backend = try #require(BackendRegistry.backend(for: target))
        let policy = try samplePolicy("minimal.yaml")
        let emission = try backend.emit(policy, options: options(target, .widen))
        let broken = emission.files.map { OutputFile(path: $0.path, contents: $0.contents + "\n{[") }
        let error = try #require(throws: ReadFailure.self) { try backend.read(broken, policy: policy) }
        #expect(error.file == Self.firstFiles[target])
        #expect(error.description.hasPrefix("\(error.file): does not load: "))
    }

    @Test func theSecondFileOfMesosIsRequiredToo() throws {
        let policy = try samplePolicy("minimal.yaml")
        let emission = try MesosBackend().emit(policy, options: options(.mesos, .widen))
        let marathon = emission.files.filter { $0.path == "marathon.json" }
        let error = try #require(throws: ReadFailure.self) { try MesosBackend().read(marathon, policy: policy) }
        #expect(error == ReadFailure("acls.json", "missing from the files read"))
        // explain needs only the apps.
        #expect(throws: Never.self) {
            try MesosBackend().rules(marathon, policy: policy, from: Endpoints(), to: Endpoints(), ports: .all)
        }
    }

    /// In a split template, the failure names the part that is wrong.
    @Test(arguments: [(TargetName.aws, "security-groups-2.json", "the template has no Resources"), (.azure, "nsg-2.json", "the template has no resources")])
    func aBrokenPartOfASplitTemplateIsNamed(target: TargetName, part: String, reason: String) throws {
        let backend = try #require(BackendRegistry.backend(for: target))
        let policy = try samplePolicy("minimal.yaml")
        let emission = try backend.emit(policy, options: options(target, .widen))
        // Files of other names are not part of the series.
        let files = emission.files + [OutputFile(path: "unrelated.json", contents: "{}")]
        #expect(throws: Never.self) { try backend.read(files, policy: policy) }
        let error = try #require(throws: ReadFailure.self) { try backend.read(files + [OutputFile(path: part, contents: "{}")], policy: policy) }
        #expect(error == ReadFailure(part, reason))
    }

    @Test func whatIsWrongInsideAFileIsSaid() throws {
        let policy = try samplePolicy("minimal.yaml")
        let text = try SwarmBackend().emit(policy, options: options(.swarm, .widen)).files[0].contents
        let renamed = text.replacingOccurrences(of: "\n  api:\n", with: "\n  intruder:\n")
        #expect(renamed != text)
        let error = try #require(throws: ReadFailure.self) { try SwarmBackend().read([OutputFile(path: "stack.yaml", contents: renamed)], policy: policy) }
        #expect("\(error)" == "stack.yaml: service 'intruder' is not a workload of the spec")
    }
}
