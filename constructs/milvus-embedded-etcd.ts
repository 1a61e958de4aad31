/*
 * The embedded etcd's configuration, as upstream's Docker script writes it (milvus-io/milvus
 * scripts/standalone_embed.sh, run_embed(), L20-26: quota-backend-bytes 4294967296,
 * auto-compaction-mode revision, auto-compaction-retention '1000') and passes it with
 * `-e ETCD_CONFIG_PATH=/milvus/configs/embedEtcd.yaml`. Without it Milvus starts etcd from
 * embed.NewConfig() (pkg/util/etcd/etcd_server.go, InitEtcdServer, L40-49): no auto-compaction and
 * etcd's 2 GiB default quota, so the revision history grows until "mvcc: database space exceeded".
 * `etcd.config.path` is read only with `etcd.use.embed` (pkg/util/paramtable/service_param.go,
 * EtcdConfig), and `cfg.Dir = dataDir` after loading keeps the data on the volume (ETCD_DATA_DIR).
 * One deliberate difference: the script listens and advertises on http://0.0.0.0:2379 because it
 * publishes 2379 on the Docker host; Milvus itself talks to its embedded etcd in-process
 * (GetEmbedEtcdClient: v3client.New, etcd_server.go L22-25), no Service exposes 2379 here, and this
 * etcd has no authentication, so it stays on etcd's own default, http://localhost:2379
 * (etcd server/embed/config.go, DefaultListenClientURLs).
 */
/**
 * The standalone pod's `embedEtcd.yaml`: revision auto-compaction and a 4 GiB quota.
 * @internal
 */
export const EMBED_ETCD_CONFIG = [
  'listen-client-urls: http://localhost:2379',
  'advertise-client-urls: http://localhost:2379',
  'quota-backend-bytes: 4294967296',
  'auto-compaction-mode: revision',
  "auto-compaction-retention: '1000'",
  '',
].join('\n');
/**
 * Key of the embedded etcd's configuration in its ConfigMap, as upstream names the file.
 * @internal
 */
export const EMBED_ETCD_FILE = 'embedEtcd.yaml';
/**
 * Directory the ConfigMap is mounted at (a directory mount: no subPath, read-only).
 * @internal
 */
export const EMBED_ETCD_DIR = '/milvus/configs/embed-etcd';
