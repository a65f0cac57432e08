import IR
import TestSupport
import Testing
import YAML

@testable import Backends

/// The files Swarm and Mesos write straight to bytes are the texts of their documents, for
/// random specs under every option that changes their shape (the samples and odd strings are
/// in `SwarmTests` and `MesosTests`).
@Suite struct DirectWritersTests {
    /// The Swarm options that change the compose file's shape.
    static let swarmOptions: [[String: OptionValue]] = [
        [:], ["publish_mode": .string("host")], ["output": .string("overlay")], ["encrypt_networks": .boolean(false)],
    ]

    @Test func randomComposeFilesAreTheDocumentsText() throws {
        try forRandomSpecs(seed: 59, count: 30) { policy, gaps in
            for extra in Self.swarmOptions {
                let plan = try SwarmBackend().plan(policy, SwarmOptions.parse(options(.swarm, gaps, extra)).options)
                let emitter = SwarmEmitter(plan: plan)
                #expect(try emitter.composeText(header: ["h"]).string == YAMLWriter.write(emitter.document(), header: ["h"]), "\(extra)")
            }
        }
    }

    @Test func randomMarathonFilesAreTheDocumentsText() throws {
        try forRandomSpecs(seed: 61, count: 30) { policy, gaps in
            for extra: [String: OptionValue] in [["containerizer": .string("docker")], ["containerizer": .string("mesos"), "group": .string("/")]] {
                let emitter = MesosEmitter(plan: MesosPlan(policy: policy, options: MesosOptions.parse(options(.mesos, gaps, extra)).options))
                #expect(emitter.marathonText().string == JSONWriter.write(emitter.marathon()), "\(extra)")
            }
        }
    }
}
