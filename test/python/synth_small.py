"""The shipped `small` environment (app/environments.ts), synthesized from Python.

Prints the Kubernetes YAML that `npm run synth` writes to dist/small/memos.k8s.yaml.
"""
from cdk8s import App
from cdk8s_memos_cce import BackupPlan, ExternalNetworks, MemosChart, MemosPresets, MemosSize, NetworkIsolation, ObsLocation, RedisQueue

app = App()

# The preset's node pools: an application pool and one tainted pool per store, over three zones.
pools = MemosPresets.node_pools(
    MemosSize.SMALL, prefix="memos-small", zones=["cn-north-4a", "cn-north-4b", "cn-north-4c"]
)

# NetworkPolicies: the managed services in the VPC (DCS, DMS for Kafka, the CCE master) by its
# range, a placeholder for Huawei Cloud's default VPC; public endpoints on their ports only.
vpc = ["192.168.0.0/16"]
network = NetworkIsolation.enforced(external=ExternalNetworks(dcs=vpc, kafka=vpc, kubernetes_api=vpc))

# Nightly backups of every in-cluster store to an OBS bucket (create it first).
backup = BackupPlan.to_obs(location=ObsLocation(bucket="memos-small-backups", region="cn-north-4"))

# One MemOS stack, sized for a small team, whose scheduler queue is a Huawei DCS for Redis
# instance (replace the placeholder host with your instance's connection address).
MemosChart(
    app,
    "small",  # chart id; also the environment's folder name under dist/
    size=MemosSize.SMALL,
    queue=RedisQueue.dcs(host="memos-small.dcs.example"),
    node_pools=pools.node_pools,
    placement=pools.placement,
    network=network,
    backup=backup,
)

print(app.synth_yaml(), end="")
