// Building blocks of the rules' example specs.

/// A spec whose one workload has `runtime` holding `body` (YAML flow mapping content).
func runtimeExample(_ body: String, defaults: String? = nil) -> String {
    var text = "version: 1\nname: t\n"
    if let defaults { text += "defaults:\n  runtime: {\(defaults)}\n" }
    return text + "workloads:\n  app:\n    image: registry.example.com/app@sha256:\(String(repeating: "a", count: 64))\n    runtime: {\(body)}\n"
}

/// A spec whose one workload sets no runtime setting, with the marker at the workload.
let noRuntimeExample = "version: 1\nname: t\nworkloads:\n  ↓app: {image: nginx:1.25}\n"

/// The start of a spec with two workloads, web and db, to which examples add flows.
let twoWorkloads = "version: 1\nname: t\nworkloads:\n  web: {image: nginx:1.25, ports: [tcp/80, tcp/22]}\n  db: {image: postgres:16, ports: [tcp/5432]}\n"
