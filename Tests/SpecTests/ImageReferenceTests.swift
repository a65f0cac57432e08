import IR
import TestSupport
import Testing

@testable import Spec

/// Image references as Docker's grammar reads them, and the image policy's registry check.
@Suite struct ImageReferenceTests {
    func parsed(_ text: String) -> ImageReference? {
        guard case .success(let reference) = parseImageReference(text) else { return nil }
        return reference
    }

    func problem(_ text: String) -> ImageProblem? {
        guard case .failure(let problem) = parseImageReference(text) else { return nil }
        return problem
    }

    @Test func referencesSplitIntoRegistryPathTagAndDigest() {
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let cases: [(String, String, String, String?, String?)] = [
            ("nginx", "docker.io", "library/nginx", nil, nil),
            ("nginx:1.25", "docker.io", "library/nginx", "1.25", nil),
            ("team/app", "docker.io", "team/app", nil, nil),
            ("team/app/sub:v1", "docker.io", "team/app/sub", "v1", nil),
            ("localhost/app", "localhost", "app", nil, nil),
            ("localhost:5000/team/app:v1.2@\(digest)", "localhost:5000", "team/app", "v1.2", digest),
            ("registry.example.com/team-01/svc-00001:3.2.4", "registry.example.com", "team-01/svc-00001", "3.2.4", nil),
            ("MyRegistry/app", "MyRegistry", "app", nil, nil),
            ("10.0.0.1:5000/x/y", "10.0.0.1:5000", "x/y", nil, nil),
            ("team/a__b.c-d---e/f_g@\(digest)", "docker.io", "team/a__b.c-d---e/f_g", nil, digest),
        ]
        for (text, registry, path, tag, expectedDigest) in cases {
            let reference = parsed(text)
            #expect(reference?.text == text)
            #expect(reference?.registry == registry, "\(text)")
            #expect(reference?.path == path, "\(text)")
            #expect(reference?.tag == tag, "\(text)")
            #expect(reference?.digest == expectedDigest, "\(text)")
        }
    }

    @Test func malformedReferencesSayWhy() {
        let cases: [(String, String, String?)] = [
            ("", "it is empty", nil),
            ("nginx latest", "it has spaces, control or non-ASCII characters", nil),
            ("nginx@md5:00", "the digest must be sha256:<64 hex digits>", nil),
            ("nginx@sha256:abc", "a sha256 digest is 64 lower-case hex digits, not 3 characters", nil),
            ("nginx:-x", "tag '-x' is not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}", nil),
            ("bad_host.io:x/app", "registry 'bad_host.io:x' is not host[:port]", nil),
            ("team//app", "it has an empty path component", nil),
            ("team/app/", "it has an empty path component", nil),
            (":1.0", "it has an empty path component", nil),
            (
                "registry.example.com/Shop/x", "path component 'Shop' is not lower-case letters and digits separated by '.', '_', '__' or '-'",
                "image paths are lower case: write 'shop'"
            ),
            ("team/a..b", "path component 'a..b' is not lower-case letters and digits separated by '.', '_', '__' or '-'", nil),
            (String(repeating: "a", count: 256), "the name is longer than 255 characters", nil),
        ]
        for (text, reason, help) in cases {
            let found = problem(text)
            #expect(found?.reason == reason, "\(text)")
            #expect(found?.help == help, "\(text)")
        }
    }

    /// The lower pass checks `allowed_registries` itself (each pattern split once); it agrees
    /// with `ImageReference.matches(registryPattern:)` on every pattern and image.
    @Test func theImagePolicyAgreesWithTheIRsMatch() {
        let patterns = ["registry.example.com", "REGISTRY.example.com/shop", "registry.example.com/shop/api", "localhost:5000/team", "docker.io/library"]
        let images = [
            "registry.example.com/shop/api:1", "Registry.Example.com/shop/web", "registry.example.com/shopping/x", "registry.example.com/shop",
            "localhost:5000/team/app", "localhost:5000/teamx/app", "nginx:1.25", "docker.io/library/redis", "other.io/shop/api",
        ]
        for pattern in patterns {
            for (index, image) in images.enumerated() {
                guard let reference = parsed(image) else {
                    Issue.record("\(image) does not parse")
                    continue
                }
                let spec = "version: 1\nname: t\nimage_policy: {allowed_registries: [\"\(pattern)\"]}\nworkloads:\n  w\(index): {image: \"\(image)\"}\n"
                let refused = compileSpec(spec).diagnostics.contains { $0.code == .imageRegistryNotAllowed }
                #expect(refused == !reference.matches(registryPattern: pattern), "\(pattern) ∋ \(image)")
            }
        }
    }
}
