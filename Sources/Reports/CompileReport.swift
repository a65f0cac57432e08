import Analysis
import Backends
import IR

/// The lines `palisade compile` prints on standard error: timings, one line per policy, the
/// fidelity of each target, the gaps themselves, and what was written or found stale.
public enum CompileReport {
    /// `time: PASS: DURATION`, for `--time-passes`.
    public static func timing(_ pass: String, _ duration: Duration) -> String { "time: \(pass): \(duration)\n" }

    /// `FILE: policy 'NAME': N workloads, N flows, N expectations hold`.
    public static func policy(_ policy: Policy) -> String {
        let counts = "\(policy.workloads.count) workloads, \(policy.flows.count) flows, \(policy.expectations.count) expectations hold"
        return "\(policy.files[0]): policy '\(policy.name)': \(counts)\n"
    }

    /// `TARGET/POLICY: exact`, or the gaps counted by kind.
    public static func fidelity(policy: String, target: TargetName, gaps: [Gap]) -> String {
        "\(target.rawValue)/\(policy): \(Fidelity.summary(gaps))\n"
    }

    /// One gap located at the spec that asked for it, as an error (strict) or a warning.
    public static func gap(_ gap: Gap, isError: Bool) -> String {
        let place = gap.origin.map { "\($0): " } ?? ""
        return "\(place)\(isError ? "error" : "warning")[gap]: \(gap.kind.rawValue): \(gap.message)\n"
    }

    public static func targetsWithoutBackend(_ targets: [TargetName]) -> String {
        "note: no backend yet for \(targets.map(\.rawValue).joined(separator: ", ")); nothing written for them\n"
    }

    /// A file under `out` that differs from what would be written (`--check`).
    public static func drift(out: String, path: String) -> String { "drift: \(out)/\(path)\n" }

    public static func upToDate(out: String, files: Int) -> String { "\(out): \(files) files up to date\n" }

    public static func wrote(files: Int, out: String) -> String { "wrote \(files) files under \(out)/\n" }
}
