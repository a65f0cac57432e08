import ArgumentParser
import Palisade

struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Check specs and write each target's files to OUT/TARGET/POLICY/.",
        discussion: """
            Every spec is checked completely; all errors are reported, in source order. A spec with errors writes \
            nothing, and neither does a fidelity gap of a kind --fail-on names (by default an expect that fails on a \
            target it speaks for). Files are written atomically, and the files of a compiled policy that it no longer \
            writes are removed (each target folder's .palisade-manifest lists what Palisade wrote; other files are kept).

            Each target gets a line of gap counts (aws/shop: 2 widened, 88 outside its scope). A control a target \
            does not cover at all (no in palisade targets, such as runtime settings on a cloud firewall) is outside \
            its scope: --gaps lists the other gaps one by one and such a control in one line (how many settings of \
            how many workloads, and why); --all-gaps lists every gap one by one.

            Examples:
              palisade compile samples/shop.yaml --out out
              palisade compile samples/*.yaml --out targets --check
              palisade compile samples/shop.yaml --target openshift --fail-on widened
              palisade compile samples/shop.yaml --target aws --gaps --out out
              palisade compile samples/shop.yaml --set swarm.publish_mode=host
            """)

    @Argument(help: "Spec files.")
    var specs: [String]

    @Option(name: .customLong("target"), help: "Comma-separated targets: openshift, swarm, mesos, aws, gcp, azure, kubernetes, nftables (default: all).")
    var targets: TargetList?

    @Option(help: "Output directory.")
    var out: String = "out"

    @Option(
        name: .customLong("apply-to"),
        help: ArgumentHelp(
            """
            The application's own files for the one --target (a file, or a folder of .yaml/.json files): written under OUT \
            hardened, every field Palisade does not own kept.
            """,
            valueName: "file-or-folder"))
    var applyTo: String?

    @Option(
        name: .customLong("set"),
        help: ArgumentHelp(
            "A target option, over the spec's (repeatable): swarm.output=overlay, aws.groups_per_eni=8, gcp.gaps=narrow.", valueName: OptionSetting.help))
    var settings: [OptionSetting] = []

    @Flag(help: "Make any fidelity gap an error (as --fail-on with every kind).")
    var strict = false

    @Option(
        name: .customLong("fail-on"),
        help: "Comma-separated gap kinds that fail the compile: widened, narrowed, expectation, unenforced, platform-required, or none (default: expectation).")
    var failOn: GapGates?

    @Flag(
        help: """
            Write nothing (but finish or undo a run on --out that was interrupted); print each path that drifted as changed \
            (with a diff), missing or stale, and exit 1 if any did.
            """)
    var check = false

    @Flag(help: "With --check: print only the 'drift: KIND PATH' lines (and errors), without diffs or summaries.")
    var quiet = false

    @Flag(help: "Print the fidelity gaps at the spec locations that asked for them; one line per control a target does not cover at all.")
    var gaps = false

    @Flag(name: .customLong("all-gaps"), help: "Print every fidelity gap one by one, those outside a target's scope too.")
    var allGaps = false

    @Flag(name: .customLong("dump-ir"), help: .hidden)
    var dumpIR = false

    @Flag(name: .customLong("time-passes"), help: .hidden)
    var timePasses = false

    /// Prints, per policy and target, the relation the backend's reader computes from the
    /// files it wrote (for the conformance checks that compare it with the platforms' tools).
    @Flag(name: .customLong("dump-read"), help: .hidden)
    var dumpRead = false

    /// Compiles nothing: times libyaml's parser alone over each spec (the benchmark's floor).
    @Flag(name: .customLong("parse-floor"), help: .hidden)
    var parseFloor = false

    func run() throws {
        var request = CompileRequest(
            specs: specs, targets: targets, out: out, strict: strict, failOn: failOn, check: check, gaps: gaps, allGaps: allGaps, dumpIR: dumpIR,
            timePasses: timePasses, dumpRead: dumpRead, quiet: quiet)
        request.parseFloor = parseFloor
        request.applyTo = applyTo
        request.settings = settings
        try finish(Commands.compile(request, progress: .standardError(quiet: quiet)))
    }
}
