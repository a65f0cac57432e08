import Diagnostics
import IR
import Testing
import YAML

@testable import Backends
@testable import Spec

/// The CEL subset, its evaluator, and the admission policy that says `image_policy` in it.
@Suite struct ImageAdmissionTests {
    func evaluate(_ text: String, _ bindings: [String: CELValue] = [:]) throws -> Result<CELValue, CELEvaluationError> {
        CELEvaluator().evaluate(try CELParser.parse(text), bindings)
    }

    @Test func theSubsetEvaluatesWithCELSemantics() throws {
        let object: CELValue = .map(["a": .list([.int(1), .int(2)]), "s": .string("registry.example.com/x"), "m": .map(["k": .string("v")])])
        let cases: [(String, CELValue)] = [
            ("1 + 2 == 3", .bool(true)),
            ("'a' + \"b\" == 'ab'", .bool(true)),
            ("[1] + [2] == o.a", .bool(true)),
            ("o.a.all(x, x in [1, 2])", .bool(true)),
            ("o.a.exists(x, x == 3)", .bool(false)),
            ("o.a.filter(x, x != 1)", .list([.int(2)])),
            ("o.a.map(x, x + 1)", .list([.int(2), .int(3)])),
            ("has(o.m) && !has(o.z)", .bool(true)),
            ("'k' in o.m && o.m['k'] == 'v'", .bool(true)),
            ("size(o.a) == 2 && o.s.size() == 22", .bool(true)),
            ("o.s.startsWith('registry.') && o.s.endsWith('/x') && o.s.contains('example')", .bool(true)),
            ("o.s.matches('^(?i:REGISTRY)[.]example[.]com/x$')", .bool(true)),
            ("o.s.matches('example')", .bool(true)),
            ("false ? o.missing : 'else'", .string("else")),
            // && and || absorb an error when the other side decides.
            ("o.missing == 1 && false", .bool(false)),
            ("o.missing == 1 || true", .bool(true)),
            ("[o.missing].all(x, false) || true", .bool(true)),
            ("'it\\'s' == \"it's\"", .bool(true)),
            ("1 == 'a'", .bool(false)),
        ]
        for (text, expected) in cases {
            #expect(try evaluate(text, ["o": object]) == .success(expected), "\(text)")
        }
        for text in ["o.missing", "o.a[5]", "o.s + 1", "o.missing == 1 && true", "o.a.all(x, x.y)", "!o.s", "q", "o.s.matches('(' + '')"] {
            guard case .failure = try evaluate(text, ["o": object]) else {
                Issue.record("\(text) should fail")
                continue
            }
        }
    }

    /// Nested comprehensions and doubling concatenations fail once they cost more than the
    /// evaluator's budget, instead of running for hours or exhausting memory; within the budget
    /// the same evaluator (reused) still gives the value.
    @Test func anEvaluationBeyondTheBudgetFails() throws {
        let evaluator = CELEvaluator(budget: 10_000)
        let ten = "[" + (0..<10).map(String.init).joined(separator: ", ") + "]"
        let nested = try CELParser.parse("\(ten).all(a, \(ten).all(b, \(ten).all(c, \(ten).all(d, true))))")
        guard case .failure(let error) = evaluator.evaluate(nested, [:]) else {
            Issue.record("10^4 comprehension steps pass a budget of 10,000")
            return
        }
        #expect(error.message.contains("budget of 10000 steps"))
        let doubling = try CELParser.parse(
            "['aaaaaaaaaaaaaaaa'].map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a).map(a, a + a)"
        )
        #expect(throws: Never.self) { if case .success = evaluator.evaluate(doubling, [:]) { throw CELEvaluationError(message: "doubled past the budget") } }
        #expect(evaluator.evaluate(try CELParser.parse("\(ten).all(a, \(ten).all(b, true))"), [:]) == .success(.bool(true)))
    }

    @Test func syntaxOutsideTheSubsetIsALocatedError() {
        let cases: [(String, Int, String)] = [
            ("1.5 == x", 0, "only integer literals"),
            ("x.lowerAscii()", 2, "unsupported method 'lowerAscii'"),
            ("now() == 1", 0, "unsupported function 'now'"),
            ("a * b", 2, "unsupported character '*'"),
            ("'abc", 0, "unterminated"),
            ("'a\\n'", 2, "unsupported escape"),
            ("has(a)", 0, "has() takes a field selection"),
            ("(a", 2, "expected ')'"),
            ("a b", 2, "unexpected 'b'"),
            ("x.matches()", 2, "matches takes 1 argument"),
            (String(repeating: "(", count: 200) + "a" + String(repeating: ")", count: 200), 64, "nests too deeply"),
        ]
        for (text, offset, message) in cases {
            do {
                _ = try CELParser.parse(text)
                Issue.record("\(text) parsed")
            } catch {
                #expect(error.offset == offset && error.message.contains(message), "\(text): \(error)")
            }
        }
    }

    static let patterns = [
        "registry.example.com", "registry.example.com/shop", "Registry.Example.com/shop/api", "mirror.example.com:5000/library", "localhost",
        "localhost:5000/team", "myregistry", "docker.io", "docker.io/library", "docker.io/library/nginx", "docker.io/bitnami", "docker.io/team/app",
        "10.0.0.1:5000/x", "docker.io/example.com",
    ]

    /// Every combination of these hosts, paths and endings that is a reference.
    static let combinations: [String] = {
        let hosts = [
            "", "docker.io", "DOCKER.IO", "index.docker.io", "registry.example.com", "Registry.Example.Com", "registry.example.com.evil.io", "localhost",
            "LocalHost", "localhost:5000", "myregistry", "MyRegistry", "mirror.example.com:5000", "mirror.example.com", "10.0.0.1:5000",
        ]
        let paths = [
            "nginx", "library", "library/nginx", "library/nginx/x", "shop", "shop/api", "shopping/api", "shop-x/api", "team/app", "team/app/sub",
            "bitnami/redis", "example.com/app", "registry.example.com/shop/x", "x",
        ]
        let endings = ["", ":1.0", "@sha256:" + String(repeating: "e", count: 64), ":v1.2-rc@sha256:" + String(repeating: "0", count: 64)]
        return hosts.flatMap { host in paths.flatMap { path in endings.map { (host.isEmpty ? "" : host + "/") + path + $0 } } }
    }()

    static let images = [
        "nginx", "nginx:1.25", "library/nginx", "docker.io/nginx", "DOCKER.IO/library/nginx", "docker.io/library/nginx:1", "index.docker.io/library/nginx",
        "bitnami/redis", "docker.io/bitnami/redis/x", "team/app", "team/app/sub", "team/apple", "localhost/app", "localhost:5000/team/app",
        "localhost:5000/teamx/app", "LOCALHOST/app", "myregistry/app", "MyRegistry/app", "registry.example.com/app", "registry.example.com/shop",
        "registry.example.com/shop/api:1", "REGISTRY.example.com/shop/api", "registry.example.com/shopping/api", "registry.example.com.evil.io/shop/api",
        "evil.io/registry.example.com/shop", "mirror.example.com:5000/library/redis", "mirror.example.com:5001/library/redis",
        "mirror.example.com/library/redis", "10.0.0.1:5000/x/y", "10.0.0.1:5000/xy", "example.com/app", "a.b/c", "foo.bar",
        "registry.example.com/shop/api@sha256:" + String(repeating: "a", count: 64),
        "registry.example.com/shop/api:v1.2@sha256:" + String(repeating: "0", count: 64),
    ]

    /// The emitted CEL and the compiler's own rule agree on every pattern and image.
    @Test(arguments: patterns)
    func theRegistryConditionIsTheCompilersRule(pattern: String) throws {
        #expect(registryPatternProblem(pattern) == nil)
        let expression = try CELParser.parse(ImageAdmission.registryCondition(pattern, image: "image"))
        let evaluator = CELEvaluator()
        for text in Self.images {
            guard case .success(let image) = parseImageReference(text) else {
                Issue.record("\(text) is not a reference")
                continue
            }
            let expected = image.matches(registryPattern: pattern)
            #expect(evaluator.holds(expression, ["image": .string(text)]) == .success(expected), "\(pattern) ∋ \(text): expected \(expected)")
        }
        var compared = 0
        for text in Self.combinations {
            guard case .success(let image) = parseImageReference(text) else { continue }
            compared += 1
            let expected = image.matches(registryPattern: pattern)
            #expect(evaluator.holds(expression, ["image": .string(text)]) == .success(expected), "\(pattern) ∋ \(text): expected \(expected)")
        }
        #expect(compared > 500)
        // Text that is no reference is refused.
        for text in ["", "Registry.example.com", "registry.example.com/Shop/x", "registry.example.com/shop/", "nginx latest", "nginx:-x"] {
            #expect(evaluator.holds(expression, ["image": .string(text)]) == .success(false), "\(pattern) ∌ '\(text)'")
        }
    }

    func samplePolicy(registries: [String], digest: Bool, runtime: [ImageAdmission.RuntimeConstraint] = []) -> ImageAdmission {
        ImageAdmission(
            name: "palisade.shop.images", namespaces: ["shop"],
            imagePolicy: ImagePolicy(requireDigest: digest, allowedRegistries: registries, origin: .wholeFile("spec.yaml")), runtime: runtime)
    }

    func deployment(image: String, extra: String = "") -> YAMLNode {
        let text = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: api, namespace: shop}
            spec:
              template:
                metadata:
                  labels: {palisade.dev/workload: api}
                spec:
                  securityContext: {runAsUser: 10001}
                  containers:
                    - name: api
                      image: \(image)
                      securityContext: {capabilities: {add: [NET_BIND_SERVICE], drop: [ALL]}}\(extra)
            """
        return YAMLLoader.load(text: text, file: "d.yaml").root!
    }

    func read(_ admission: ImageAdmission) throws -> [ReadAdmissionPolicy] {
        let text = try YAMLWriter.write(admission.documents(labels: [("palisade.dev/policy", "shop")]))
        return try ImageAdmissionCheck.policies(in: YAMLLoader.loadStream(text: text, file: "m.yaml").documents, file: "m.yaml")
    }

    static let digest = "@sha256:" + String(repeating: "b", count: 64)

    @Test func aCompliantWorkloadIsAdmittedAndEachBreachRefused() throws {
        let admission = samplePolicy(
            registries: ["registry.example.com/shop"], digest: true, runtime: [.init(workload: "api", capabilities: ["NET_BIND_SERVICE"], user: 10001)])
        let policies = try read(admission)
        #expect(policies.count == 1 && policies[0].expressions.count == 7)
        let good = ImageAdmissionCheck.Workload(
            name: "api", namespace: "shop", resource: "apps/deployments", object: deployment(image: "registry.example.com/shop/api" + Self.digest))
        let outcome = try ImageAdmissionCheck.verify(
            policies, workloads: [good], imagePolicy: admission.imagePolicy, runtime: admission.runtime, file: "m.yaml")
        // The Deployment and its pod admitted; foreign registry ×4, 3 look-alikes, no digest, no label, a capability, a user refused.
        #expect(outcome == .init(admitted: 2, refused: 11))

        // A workload the policy refuses fails the read, naming it.
        for image in ["registry.example.com/shop/api", "registry.example.com/shopping/api" + Self.digest] {
            let bad = ImageAdmissionCheck.Workload(name: "api", namespace: "shop", resource: "apps/deployments", object: deployment(image: image))
            #expect(throws: ReadFailure.self) {
                try ImageAdmissionCheck.verify(policies, workloads: [bad], imagePolicy: admission.imagePolicy, runtime: admission.runtime, file: "m.yaml")
            }
        }
        // Another namespace is outside the binding: a policy that selects none of the
        // workload's namespace does not refuse the broken pods.
        let elsewhere = ImageAdmissionCheck.Workload(
            name: "api", namespace: "other", resource: "apps/deployments", object: deployment(image: "registry.example.com/shop/api" + Self.digest))
        #expect(throws: ReadFailure.self) {
            try ImageAdmissionCheck.verify(policies, workloads: [elsewhere], imagePolicy: admission.imagePolicy, file: "m.yaml")
        }
    }

    @Test func initAndEphemeralContainersAndCronJobsAreChecked() throws {
        let policies = try read(samplePolicy(registries: ["registry.example.com"], digest: false))
        let evaluator = CELEvaluator()
        let good = "registry.example.com/a"
        let pod: CELValue = .map([
            "kind": .string("Pod"),
            "spec": .map([
                "containers": .list([.map(["image": .string(good)])]),
                "initContainers": .list([.map(["image": .string("evil.io/x")])]),
            ]),
        ])
        #expect(policies[0].refusal(of: pod, resource: "/pods", namespace: "shop", evaluator: evaluator) != nil)
        let debugged = pod.setting(
            "spec", .map(["containers": .list([.map(["image": .string(good)])]), "ephemeralContainers": .list([.map(["image": .string("x")])])]))
        #expect(policies[0].refusal(of: debugged, resource: "/pods/ephemeralcontainers", namespace: "shop", evaluator: evaluator) != nil)
        func cronJob(_ image: String) -> CELValue {
            .map([
                "kind": .string("CronJob"),
                "spec": .map([
                    "jobTemplate": .map([
                        "spec": .map(["template": .map(["spec": .map(["containers": .list([.map(["image": .string(image)])])])])])
                    ])
                ]),
            ])
        }
        #expect(policies[0].refusal(of: cronJob(good), resource: "batch/cronjobs", namespace: "shop", evaluator: evaluator) == nil)
        #expect(policies[0].refusal(of: cronJob("evil.io/x"), resource: "batch/cronjobs", namespace: "shop", evaluator: evaluator) != nil)
        // A resource the policy does not match is not its business.
        #expect(policies[0].refusal(of: cronJob("evil.io/x"), resource: "/configmaps", namespace: "shop", evaluator: evaluator) == nil)
    }

    @Test func aFileWhosePolicyIsBrokenFailsTheRead() throws {
        let admission = samplePolicy(registries: ["registry.example.com"], digest: true)
        let text = try YAMLWriter.write(admission.documents())
        func policies(_ text: String) throws -> [ReadAdmissionPolicy] {
            try ImageAdmissionCheck.policies(in: YAMLLoader.loadStream(text: text, file: "m.yaml").documents, file: "m.yaml")
        }
        #expect(throws: ReadFailure.self) { try policies(text.replacingOccurrences(of: ".matches(", with: ".lowerAscii(")) }
        #expect(throws: ReadFailure.self) { try policies(text.replacingOccurrences(of: "- Deny", with: "- Audit")) }
        #expect(throws: ReadFailure.self) { try policies(text.replacingOccurrences(of: "kind: ValidatingAdmissionPolicyBinding", with: "kind: Other")) }
        // A regex that no longer anchors the registry admits a look-alike: the check catches it.
        let loose = try policies(text.replacingOccurrences(of: "'^(?i:registry[.]example[.]com)", with: "'(?i:registry[.]example[.]com)"))
        let workload = ImageAdmissionCheck.Workload(
            name: "api", namespace: "shop", resource: "apps/deployments", object: deployment(image: "registry.example.com/shop/api" + Self.digest))
        #expect(throws: ReadFailure.self) { try ImageAdmissionCheck.verify(loose, workloads: [workload], imagePolicy: admission.imagePolicy, file: "m.yaml") }
        #expect(try ImageAdmissionCheck.verify(try policies(text), workloads: [workload], imagePolicy: admission.imagePolicy, file: "m.yaml").refused == 5 + 2)
        let mutated = try policies(text.replacingOccurrences(of: "variables.containers.all(c, (", with: "variables.podSpec.containers.all(c, ("))
        #expect(throws: ReadFailure.self) {
            try ImageAdmissionCheck.verify(mutated, workloads: [workload], imagePolicy: admission.imagePolicy, file: "m.yaml")
        }
    }

    /// `runtimeCondition` and the runtime validation, written into one string, are the texts
    /// the simple way (literals joined, interpolations, each branch joined) gives.
    @Test func runtimeConditionsAreTheSimplyBuiltTexts() throws {
        func simple(_ constraint: ImageAdmission.RuntimeConstraint) -> String {
            var parts: [String] = []
            if let capabilities = constraint.capabilities {
                let allowed = capabilities.sorted().map { "'\($0)'" }.joined(separator: ", ")
                parts.append(
                    "variables.containers.all(c, !has(c.securityContext) || !has(c.securityContext.capabilities)"
                        + " || !has(c.securityContext.capabilities.add) || c.securityContext.capabilities.add.all(a, a in [\(allowed)]))")
            }
            if let user = constraint.user {
                parts.append(
                    "variables.containers.all(c, has(c.securityContext) && has(c.securityContext.runAsUser) ? c.securityContext.runAsUser == \(user)"
                        + " : has(variables.podSpec.securityContext) && has(variables.podSpec.securityContext.runAsUser)"
                        + " && variables.podSpec.securityContext.runAsUser == \(user))")
            }
            return parts.isEmpty ? "true" : "(" + parts.joined(separator: " && ") + ")"
        }
        var constraints: [ImageAdmission.RuntimeConstraint] = []
        for capabilities in [nil, [], ["NET_ADMIN"], ["SYS_TIME", "NET_BIND_SERVICE", "CHOWN"]] as [[String]?] {
            for user in [nil, 0, 1000, -1] as [Int?] {
                let constraint = ImageAdmission.RuntimeConstraint(workload: "w\(constraints.count)", capabilities: capabilities, user: user)
                #expect(ImageAdmission.runtimeCondition(constraint) == simple(constraint))
                constraints.append(constraint)
            }
        }
        let admission = ImageAdmission(
            name: "p", namespaces: ["n"], imagePolicy: ImagePolicy(requireDigest: false, allowedRegistries: [], origin: .wholeFile("spec.yaml")),
            runtime: constraints.reversed())
        let branches = constraints.sorted { $0.workload < $1.workload }.map { "variables.workload == '\($0.workload)' ? \(simple($0))" }
        #expect(admission.validations.last?.expression == branches.joined(separator: " : ") + " : false")
    }
}
