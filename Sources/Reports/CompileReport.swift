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

    /// `TARGET/POLICY: exact`, or the gaps counted by kind, those outside the target's scope
    /// apart: `aws/shop: 2 widened, 88 outside its scope`.
    public static func fidelity(policy: String, gaps: TargetGaps) -> String {
        "\(gaps.target.rawValue)/\(policy): \(gaps.summary)\n"
    }

    /// One gap located at the spec that asked for it, as an error (strict) or a warning.
    public static func gap(_ gap: Gap, isError: Bool) -> String {
        let place = gap.origin.map { "\($0): " } ?? ""
        return "\(place)\(isError ? "error" : "warning")[gap]: \(gap.kind.rawValue): \(gap.message)\n"
    }

    /// One line for a control the target does not cover at all, located at the spec file:
    /// `shop.yaml: warning[gap]: outside its scope: aws does not enforce run as user (12
    /// settings of 6 workloads): security groups filter traffic only`.
    public static func outsideScope(_ control: TargetGaps.OutsideControl, target: TargetName, file: String?, isError: Bool) -> String {
        let place = file.map { "\($0): " } ?? ""
        let line = "\(target.rawValue) does not enforce \(scopeLine(control))"
        return "\(place)\(isError ? "error" : "warning")[gap]: \(Fidelity.outsideScope): \(line)\n"
    }

    /// After the lines of controls outside targets' scopes: how to see each gap.
    public static let outsideScopeNote = "note: gaps outside a target's scope are counted per control; --all-gaps lists each one\n"

    /// `run as user (12 settings of 6 workloads): WHY`, the why when every gap of the
    /// control gives the same.
    public static func scopeLine(_ control: TargetGaps.OutsideControl) -> String {
        "\(control.capability.rawValue) (\(scopeCount(control)))\(control.reason.map { ": \($0)" } ?? "")"
    }

    /// What the gaps of a control are about: `12 settings of 6 workloads`, `the secrets of 5
    /// workloads`, `4 grants`, `the spec's image_policy`.
    public static func scopeCount(_ control: TargetGaps.OutsideControl) -> String {
        func counted(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }
        let workloads = counted(control.workloads.count, "workload")
        var parts: [String] = []
        if control.settings > 0 { parts.append("\(counted(control.settings, "setting")) of \(workloads)") }
        if control.secrets > 0 { parts.append("the secrets of \(counted(control.secrets, "workload"))") }
        if control.grants > 0 { parts.append(counted(control.grants, "grant")) }
        if control.imagePolicy { parts.append("the spec's image_policy") }
        if control.others > 0 { parts.append(counted(control.others, "gap")) }
        return parts.joined(separator: ", ")
    }

    public static func targetsWithoutBackend(_ targets: [TargetName]) -> String {
        "note: no backend yet for \(targets.map(\.rawValue).joined(separator: ", ")); nothing written for them\n"
    }

    /// A file under `out` that differs from what would be written (`--check`).
    public static func drift(out: String, path: String) -> String { "drift: \(out)/\(path)\n" }

    public static func upToDate(out: String, files: Int) -> String { "\(out): \(files) files up to date\n" }

    public static func wrote(files: Int, out: String) -> String { "wrote \(files) files under \(out)/\n" }
}
