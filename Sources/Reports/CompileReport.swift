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
        fidelity(policy: policy, target: gaps.target, summary: gaps.summary)
    }

    /// The same line from a summary counted before (`Pipeline.CompileResult.summaries`).
    public static func fidelity(policy: String, target: TargetName, summary: String) -> String {
        "\(target.rawValue)/\(policy): \(summary)\n"
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

    /// `drift: KIND OUT/PATH` for a path under `out` that differs from what a compile would leave
    /// (`--check`): `changed`, `missing` or `stale`. A changed file is followed, unless `quiet`,
    /// by its unified diff from the bytes on disk to those compiled.
    public static func drift(_ drift: OutputDrift, out: String, quiet: Bool = false, maxDiffLines: Int = 200) -> String {
        let path = "\(out)/\(drift.path)"
        let line = "drift: \(drift.kind.rawValue) \(path)\n"
        guard drift.kind == .changed, !quiet else { return line }
        return line + unifiedDiff(from: drift.onDisk, to: drift.compiled, path: path, maxLines: maxDiffLines)
    }

    /// `--- PATH (on disk)`, `+++ PATH (as compiled)`, then the hunks (3 lines of context), cut
    /// after `maxLines` lines of hunks with a line that says so.
    public static func unifiedDiff(from onDisk: [UInt8], to compiled: [UInt8], path: String, maxLines: Int = 200) -> String {
        let result = LineDiff.diff(old: onDisk, new: compiled)
        var body: [String] = []
        for hunk in result.hunks {
            body.append("@@ -\(hunkRange(hunk.oldStart, hunk.oldCount)) +\(hunkRange(hunk.newStart, hunk.newCount)) @@")
            for line in hunk.lines {
                let mark =
                    switch line.kind {
                    case .context: " "
                    case .removed: "-"
                    case .added: "+"
                    }
                body.append(mark + line.text)
                if !line.endsWithNewline { body.append("\\ No newline at end of file") }
            }
        }
        var lines = ["--- \(path) (on disk)", "+++ \(path) (as compiled)"]
        if !result.isMinimal {
            lines.append("(too many lines differ for a line-by-line diff: the differing part is shown removed, then added)")
        }
        if body.count > maxLines {
            lines += body.prefix(max(0, maxLines))
            lines.append("(diff cut after \(max(0, maxLines)) of \(body.count) lines)")
        } else {
            lines += body
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `START,COUNT`, or `START` alone when the count is 1 (as GNU diff writes it).
    static func hunkRange(_ start: Int, _ count: Int) -> String { count == 1 ? "\(start)" : "\(start),\(count)" }

    /// A file a compile removed because it no longer writes it (a manifest listed it).
    public static func removed(out: String, path: String) -> String { "removed \(out)/\(path) (no longer compiled)\n" }

    public static func upToDate(out: String, files: Int) -> String { "\(out): \(count(files, "file")) up to date\n" }

    /// `1 file`, `7 files`.
    static func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }

    /// `app.yaml:12:7: override: service web: privileged was true, now false`.
    public static func override(_ override: Override) -> String {
        "\(override.origin.map { "\($0): " } ?? "")override: \(override.message)\n"
    }

    public static func wrote(files: Int, out: String) -> String { "wrote \(count(files, "file")) under \(out)/\n" }
}
