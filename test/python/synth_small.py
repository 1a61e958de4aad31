"""The shipped `small` environment (app/environments.ts), synthesized from Python.

Prints the Kubernetes YAML that `npm run synth` writes to dist/small/memos.k8s.yaml.
"""
from cdk8s import App
from cdk8s_memos_cce import MemosChart, MemosSize, RedisQueue

app = App()

# One MemOS stack, sized for a small team, whose scheduler queue is a Huawei DCS for Redis
# instance (replace the placeholder host with your instance's connection address).
MemosChart(
    app,
    "small",  # chart id; also the environment's folder name under dist/
    size=MemosSize.SMALL,
    queue=RedisQueue.dcs(host="memos-small.dcs.example"),
)

print(app.synth_yaml(), end="")
