import Diagnostics
import IR
import YAML

/// GCP: a JSON array of compute v1 `Firewall` resources for one VPC network. Identities are
/// service accounts (`targetServiceAccounts`, `sourceServiceAccounts`); GCP allows all egress
/// unless told otherwise, so each identity ends with explicit egress denies. See
/// `targets/gcp/README.md`.
public struct GCPBackend: Backend {
    public init() {}

    public var target: TargetName { .gcp }

    public var capabilities: [Capability: Support] { firewallCapabilities(denyRules: .full) }

    public var options: [OptionSpec] {
        [
            OptionSpec(name: "network", summary: "the VPC network the rules belong to", defaultValue: "global/networks/default"),
            OptionSpec(name: "project", summary: "the project of the identities' service accounts", defaultValue: "POLICY"),
            OptionSpec(name: "service_account_prefix", summary: "service account ids are PREFIX + identity", defaultValue: "pal-"),
            OptionSpec(name: "internal_ranges", summary: "comma-separated VPC ranges egress between workloads goes to", defaultValue: "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"),
        ]
    }

    struct Settings {
        var network: String
        var project: String
        var prefix: String
        var internalRanges: [CIDR]
    }

    func settings(_ options: TargetOptions, policy: String) -> (Settings, [Diagnostic]) {
        var reader = OptionReader(options, specs: self.options)
        let network = reader.string("network", default: "global/networks/default") { $0.contains("networks/") ? nil : "a network is global/networks/NAME or a full URL" } ?? "global/networks/default"
        let project = reader.string("project", default: policy) { isDNSLabelLike($0, 6...30) ? nil : "a project id is 6-30 lower-case letters, digits and '-'" } ?? policy
        let prefix = reader.string("service_account_prefix", default: "pal-") { $0.count <= 10 ? nil : "at most 10 characters" } ?? "pal-"
        var ranges: [CIDR] = []
        let text = reader.string("internal_ranges", default: "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16") { text in
            text.split(separator: ",").allSatisfy { if case .valid = CIDR.parse($0.trimmingCharacters(in: .whitespaces)) { true } else { false } } ? nil : "a comma-separated list of CIDRs"
        } ?? "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16"
        for part in text.split(separator: ",") {
            if case .valid(let cidr) = CIDR.parse(part.trimmingCharacters(in: .whitespaces)) { ranges.append(cidr) }
        }
        return (Settings(network: network, project: project, prefix: prefix, internalRanges: ranges), reader.diagnostics)
    }

    public func validate(_ options: TargetOptions) -> [Diagnostic] { settings(options, policy: "policy-name").1 }

    public func emit(_ policy: Policy, options: TargetOptions) throws -> Emission {
        let (settings, _) = self.settings(options, policy: policy.name)
        let plan = FirewallPlan(policy: policy, gaps: options.gaps)
        for identity in plan.identities {
            let account = settings.prefix + identity.name
            guard isDNSLabelLike(account, 6...30) else {
                throw BackendError(.error(
                    .targetLimit, "gcp: service account id '\(account)' must be 6-30 characters",
                    at: policy.identities.first { $0.name == identity.name }?.origin ?? options.origin,
                    help: "use a shorter identity name, or a different service_account_prefix"))
            }
        }
        let rules = GCPRules(policy: policy, plan: plan, settings: settings)
        let text = JSONWriter.write(.array(rules.rules.map(\.json)))
        let planned = GCPRules.relation(rules.rules, plan: plan, settings: settings)
        let widened = planned.subtracting(policy.intent)
        let narrowed = policy.intent.subtracting(planned)
        var gaps = connectionGaps(widened: widened, narrowed: narrowed, policy: policy, target: .gcp) { kind, connection in
            switch (kind, connection) {
            case (.widened, .betweenWorkloads), (.widened, .ingress): "workloads sharing a service identity share its service account"
            case (.widened, .egress): "egress rules match destination ranges only: a dns: destination opens every address on its ports, and traffic between workloads leaves through internal_ranges"
            case (.narrowed, _): "with gaps: narrow, dns: destinations are dropped (VPC firewall rules match no names)"
            default: ""
            }
        }
        gaps += unenforcedControls(policy, target: .gcp, why: "VPC firewall rules filter traffic only")
        return Emission(files: [OutputFile(path: "firewall-rules.json", contents: text)], gaps: gaps, widened: widened, narrowed: narrowed)
    }

    public func rules(_ files: [OutputFile], policy: Policy, from: Endpoints, to: Endpoints, ports: PortSet) throws -> [String] {
        guard let file = files.first(where: { $0.path == "firewall-rules.json" }) else { throw GCPRules.Failure(description: "no firewall-rules.json") }
        let (settings, _) = self.settings(policy.options(for: .gcp) ?? TargetOptions(target: .gcp, gaps: .widen, options: [], origin: policy.origin), policy: policy.name)
        let views = try GCPRules.views(file.contents, policy: policy, settings: settings)
        return FirewallRuleView.explain(views, plan: FirewallPlan(policy: policy, gaps: .widen), from: from, to: to, ports: ports) { policy.workloads[$0.index].name }
    }

    public func read(_ files: [OutputFile], policy: Policy) throws -> ReadBack {
        guard let file = files.first(where: { $0.path == "firewall-rules.json" }) else { throw GCPRules.Failure(description: "no firewall-rules.json") }
        let (settings, _) = self.settings(policy.options(for: .gcp) ?? TargetOptions(target: .gcp, gaps: .widen, options: [], origin: policy.origin), policy: policy.name)
        return ReadBack(relation: try GCPRules.read(file.contents, policy: policy, settings: settings))
    }
}

/// `[a-z]([-a-z0-9]*[a-z0-9])?` with a length in `lengths`.
func isDNSLabelLike(_ text: String, _ lengths: ClosedRange<Int>) -> Bool {
    guard lengths.contains(text.count), let first = text.first, first.isLowercase, first.isASCII, text.last != "-" else { return false }
    return text.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
}
