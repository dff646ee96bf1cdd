"""Renders the nbps Helm chart and checks it offline: Helm's lint, every object against
the Kubernetes JSON schemas (strict: unknown fields are errors), and the rules the chart
exists for (probes on the paths the services serve, the DSC key mounted by the pass
service only, a NetworkPolicy in front of every pod, an HPA and a PDB per Deployment,
the replica URL from the Secret for booking and pass only, and only when asked for).

Usage: python check.py CHART_DIR [KUBERNETES_VERSION]
"""

import sys

import helm_python as helm
import kubernetes_validate
import yaml

# Each set of values is rendered and checked; the second turns on the HSM egress rule,
# the third the read replica.
VALUE_SETS = [{}, {"signing": {"hsmCidr": "10.20.30.0/24"}}, {"postgres": {"replica": True}}]
# The services that read from a replica when there is one (docs/scale.md).
REPLICA_READERS = {"nbps-booking", "nbps-pass"}
SERVICES = ["booking", "pass", "notifier", "web"]


def fail(msg):
    print(f"k8s check failed: {msg}", file=sys.stderr)
    sys.exit(1)


def render(chart_dir, values):
    with helm.Chart.load(chart_dir) as chart:
        files = chart.render(values, name="nbps", namespace="nbps", is_install=True)
    docs = []
    for name, text in sorted(files.items()):
        if name.endswith(".tpl") or name.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                docs.append(doc)
    return docs


def check_replica(deployments, replica):
    for name, d in deployments.items():
        env = {
            e["name"]: e
            for c in d["spec"]["template"]["spec"]["containers"]
            for e in c.get("env", [])
        }
        has = "APP__DATABASE__REPLICA_URL" in env
        if has != (replica and name in REPLICA_READERS):
            fail(f"{name}: APP__DATABASE__REPLICA_URL is {'set' if has else 'missing'}")
        ref = env.get("APP__DATABASE__REPLICA_URL", {}).get("valueFrom", {}).get("secretKeyRef", {})
        if has and ref.get("key") != "database-replica-url":
            fail(f"{name}: the replica URL does not come from the Secret")


def check_rules(docs, values):
    kinds = {}
    for d in docs:
        kinds.setdefault(d["kind"], []).append(d)
    deployments = {d["metadata"]["name"]: d for d in kinds.get("Deployment", [])}
    if sorted(deployments) != sorted(f"nbps-{s}" for s in SERVICES):
        fail(f"deployments are {sorted(deployments)}")
    check_replica(deployments, values.get("postgres", {}).get("replica", False))
    hpas = {h["spec"]["scaleTargetRef"]["name"] for h in kinds.get("HorizontalPodAutoscaler", [])}
    pdbs = {p["metadata"]["name"] for p in kinds.get("PodDisruptionBudget", [])}
    services = {s["metadata"]["name"] for s in kinds.get("Service", [])}
    for name, d in deployments.items():
        if name not in hpas or name not in pdbs or name not in services:
            fail(f"{name} lacks an HPA, a PDB or a Service")
        pod = d["spec"]["template"]["spec"]
        for c in pod["containers"]:
            # The paths service-kit serves (configure_operations).
            if c["livenessProbe"]["httpGet"]["path"] != "/healthz":
                fail(f"{name}: liveness probe is not /healthz")
            if c["readinessProbe"]["httpGet"]["path"] != "/readyz":
                fail(f"{name}: readiness probe is not /readyz")
        secrets = {
            v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v
        }
        if name == "nbps-pass":
            if "nbps-dsc-signing-key" not in secrets:
                fail("the pass service does not mount the DSC key")
        elif secrets:
            fail(f"{name} mounts secrets {secrets}: only the pass service may")
        if pod.get("automountServiceAccountToken") is not False:
            fail(f"{name} mounts a service account token")
    for hpa in kinds["HorizontalPodAutoscaler"]:
        types = {m["type"] for m in hpa["spec"]["metrics"]}
        if not types & {"Pods", "External"}:
            fail(f"{hpa['metadata']['name']} scales on CPU only")
    policies = kinds.get("NetworkPolicy", [])
    deny = [
        p
        for p in policies
        if p["metadata"]["name"] == "nbps-default-deny"
        and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and "ingress" not in p["spec"]
        and "egress" not in p["spec"]
    ]
    if not deny:
        fail("no default-deny NetworkPolicy")
    # Only the pass service's policies let its pods out, and only to PostgreSQL, DNS,
    # the eID keys and the signer.
    for p in policies:
        sel = p["spec"]["podSelector"].get("matchLabels", {})
        if sel.get("app.kubernetes.io/component") == "pass":
            for rule in p["spec"].get("egress", []):
                for peer in rule.get("to", []):
                    if "namespaceSelector" in peer:
                        fail(f"{p['metadata']['name']} lets the pass service reach other namespaces")


def main():
    chart_dir = sys.argv[1]
    version = sys.argv[2] if len(sys.argv) > 2 else "1.31.0"
    lint = helm.lint(chart_dir, strict=True, kube_version=f"v{version}")
    # Severity 1 is info (e.g. "icon is recommended"); warnings and errors fail.
    messages = [m for m in lint.get("messages", []) if m.get("severity", 0) >= 2]
    if lint.get("errors") or messages:
        fail(f"helm lint: {lint}")
    total = 0
    for values in VALUE_SETS:
        docs = render(chart_dir, values)
        for d in docs:
            try:
                kubernetes_validate.validate(d, version, strict=True)
            except kubernetes_validate.ValidationError as e:
                fail(f"{d['kind']}/{d['metadata']['name']}: {e.message} at {list(e.path)}")
        check_rules(docs, values)
        total += len(docs)
    print(f"k8s: chart lints clean; {total} objects valid against Kubernetes {version} schemas (strict); rules hold")


if __name__ == "__main__":
    main()
