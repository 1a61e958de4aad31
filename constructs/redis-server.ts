import { Duration, Size, SizeRoundingBehavior } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { applyPodOverrides, PodOverrides } from '../src/pod-overrides';
import { requireGracePeriod, startupFailureThreshold } from '../src/engine-config';
import { CCE_SWR_PULL_SECRET } from '../src/cce';
import { Credential, Credentials, requireCredentials, SecretKeyRef } from '../src/credentials';
import { componentLabels, hardenedContainerSecurityContext, hardenedPodSecurityContext, selectorLabels, setImagePullSecrets, selectPods } from '../src/kubernetes';
import { Connections, NetworkPort, tcp } from '../src/network';
import { DefaultPorts } from '../src/ports';
import { addVolumeClaimTemplates, evsVolumeClaimTemplate, EvsVolumeOptions } from '../src/storage';
import { invalidProp, requireDnsLabel, requirePinnedImage } from '../src/validation';

/**
 * Redis 7.2 (BSD-licensed line), Alpine variant: user `redis` is UID 999 in group 1000, and the
 * image has `sh`, `od` and `redis-cli` for the start-up wrapper and probes.
 */
export const DEFAULT_REDIS_IMAGE = 'docker.io/library/redis:7.2.7-alpine';
const REDIS_UID = 999;
const REDIS_GID = 1000;
const REDIS_PORT = DefaultPorts.REDIS;
/** The data volume's claim template and where it is mounted (`--dir`). */
const DATA_CLAIM_TEMPLATE = 'data';
const DATA_DIR = '/data';

/** What a user may tune on {@link RedisServer}. */
export interface RedisServerOptions {
  /**
   * Redis image, pinned.
   * @default DEFAULT_REDIS_IMAGE
   */
  readonly image?: string;
  /**
   * Memory of the container (request = limit). Redis may use 75% of it (`maxmemory`); the rest
   * covers the fork of AOF rewrites and RDB saves.
   * @default Size.gibibytes(1)
   */
  readonly memory?: Size;
  /**
   * The data volume (AOF and RDB files).
   * @default - 10Gi SSD EVS disk on `csi-disk-topology`
   */
  readonly storage?: EvsVolumeOptions;
  /**
   * How long Redis may take to load its AOF before the kubelet restarts it: the startup probe's
   * budget, in periods of 5 s.
   * @default Duration.minutes(5)
   */
  readonly startupBudget?: Duration;
  /**
   * Time Redis has to stop after SIGTERM (it fsyncs the AOF on shutdown).
   * @default Duration.seconds(60)
   */
  readonly terminationGracePeriod?: Duration;
}

/** Properties of {@link RedisServer}. */
export interface RedisServerProps extends RedisServerOptions {
  /** Instance name: the Service is `<instance>-redis`. */
  readonly instance: string;
  /** Where the password is read from: `Credential.MEMSCHEDULER_REDIS_PASSWORD`. */
  readonly credentials: Credentials;
  /**
   * Image pull secrets (existing Secrets in the namespace).
   * @default ['default-secret'] (created by CCE for SWR)
   */
  readonly imagePullSecrets?: string[];
  /**
   * Additions to the pods (tolerations, node affinity, priority class, env, volumes, sidecars,
   * labels, annotations), merged with what the construct sets.
   * @default - none
   */
  readonly pod?: PodOverrides;
}

/**
 * A single in-cluster Redis for a task queue, for clusters without DCS: a one-pod StatefulSet
 * with an EVS volume, AOF persistence (fsync every second), `noeviction` (queue entries must
 * never be evicted), the password from the credentials' Secret (never on the command line),
 * probes, non-root on a read-only root. Clients read {@link host}, {@link port} and
 * {@link password}. It has no replica: use DCS primary/standby where the queue must survive a
 * node loss without waiting for the disk to reattach.
 */
export class RedisServer extends Construct {
  /** Redis 7.2 (BSD-licensed line), Alpine. */
  public static readonly DEFAULT_IMAGE = DEFAULT_REDIS_IMAGE;

  /** Instance name (prefix of the object names). */
  public readonly instance: string;
  /** The image the server runs (a backup's tools run from the same image). */
  public readonly image: string;
  /** UID the server runs as (the image's `redis` user). */
  public readonly user: number = REDIS_UID;
  /** GID the server runs as (the image's `redis` group). */
  public readonly group: number = REDIS_GID;
  /** Memory of the server's container (request = limit). */
  public readonly memory: Size;
  /**
   * Where the data volume is mounted and Redis keeps its files (`--dir`): the AOF in
   * `appendonlydir/` (`--appendonly yes`, Redis 7 multi-part AOF) and `dump.rdb`.
   */
  public readonly dataDirectory: string = DATA_DIR;
  /** Name of the data volume's claim template: pod `<i>`'s claim is `<template>-<statefulset>-<i>`. */
  public readonly dataClaimTemplateName: string = DATA_CLAIM_TEMPLATE;
  /** The data volume claim of the (single) pod: `data-<instance>-redis-0`. */
  public readonly dataClaimName: string;
  /** Host clients connect to: the client Service, `<instance>-redis`. */
  public readonly host: string;
  /** Port clients connect to. */
  public readonly port: number = REDIS_PORT;
  /** Where a client reads the password from. */
  public readonly password: SecretKeyRef;
  /** The headless governing Service. */
  public readonly headlessService: kplus.Service;
  /** The StatefulSet. */
  public readonly statefulSet: kplus.StatefulSet;
  /** The client Service (`<instance>-redis:6379`). */
  public readonly service: kplus.Service;
  /** The server's network connections: wire clients with `redis.connections.allowFrom(client.connections, redis.clientPorts)`. */
  public readonly connections: Connections;
  /** The port a client connects to. */
  public readonly clientPorts: NetworkPort[] = tcp(REDIS_PORT);

  constructor(scope: Construct, id: string, props: RedisServerProps) {
    super(scope, id);
    const instance = this.instance = requireDnsLabel(this, 'instance', props.instance, 40);
    const image = this.image = requirePinnedImage(this, 'image', props.image ?? DEFAULT_REDIS_IMAGE);
    const memory = this.memory = props.memory ?? Size.gibibytes(1);
    const memoryMiB = memory instanceof Size ? memory.toMebibytes({ rounding: SizeRoundingBehavior.NONE }) : NaN;
    if (!(Number.isInteger(memoryMiB) && memoryMiB >= 256 && memoryMiB <= 65536)) {
      invalidProp(this, 'memory', memory instanceof Size ? `${memoryMiB}Mi` : memory, 'a whole number of MiB from 256Mi to 64Gi');
    }
    const credentials = requireCredentials(this, 'credentials', props.credentials);
    const name = `${instance}-redis`;
    this.host = name;
    // StatefulSet claims are named `<claim template>-<statefulset>-<ordinal>` (Kubernetes
    // StatefulSet docs, "Stable Storage"); the StatefulSet is `name` below, with one pod.
    this.dataClaimName = `${DATA_CLAIM_TEMPLATE}-${name}-0`;
    this.password = credentials.ref(Credential.MEMSCHEDULER_REDIS_PASSWORD);
    const selector = selectorLabels(instance, 'redis');
    const labels = componentLabels(instance, 'redis');
    this.connections = new Connections({ name: 'redis', selector });

    this.service = new kplus.Service(this, 'Service', {
      metadata: { name, labels },
      type: kplus.ServiceType.CLUSTER_IP,
      ports: [{ name: 'redis', port: REDIS_PORT, targetPort: REDIS_PORT }],
    });
    const headless = this.headlessService = new kplus.Service(this, 'Headless', {
      metadata: { name: `${name}-headless`, labels },
      clusterIP: 'None',
      ports: [{ name: 'redis', port: REDIS_PORT, targetPort: REDIS_PORT }],
    });
    for (const svc of [this.service, headless]) {
      selectPods(svc, selector);
    }

    this.statefulSet = new kplus.StatefulSet(this, 'StatefulSet', {
      metadata: { name, labels },
      service: headless,
      replicas: 1,
      select: false,
      podMetadata: { labels },
      securityContext: hardenedPodSecurityContext(REDIS_UID, REDIS_GID),
      automountServiceAccountToken: false,
      // Room for the final AOF fsync on SIGTERM.
      terminationGracePeriod: requireGracePeriod(this, 'terminationGracePeriod', props.terminationGracePeriod ?? Duration.seconds(60), 10, 3600),
    });
    selectPods(this.statefulSet, selector);

    // The password goes into a config file in a memory-backed emptyDir, hex-escaped so any
    // character is safe, never onto the command line (where `ps` would show it).
    const start = [
      'set -eu',
      'umask 077',
      'hex=$(printf %s "$REDIS_PASSWORD" | od -An -v -tx1 | tr -d " \\n" | sed "s/../\\\\\\\\x&/g")',
      'printf "requirepass \\"%s\\"\\n" "$hex" > /run/redis/redis.conf',
      `exec redis-server /run/redis/redis.conf --port ${REDIS_PORT} --dir ${DATA_DIR} --appendonly yes --appendfsync everysec`
        + ` --maxmemory ${Math.floor(memoryMiB * 0.75)}mb --maxmemory-policy noeviction`,
    ].join('\n');
    const ping = kplus.Probe.fromCommand(['sh', '-c', 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -h 127.0.0.1 ping | grep -q PONG'], {
      periodSeconds: Duration.seconds(10),
      timeoutSeconds: Duration.seconds(5),
      failureThreshold: 3,
    });
    const container = this.statefulSet.addContainer({
      name: 'redis',
      image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: ['sh', '-c', start],
      ports: [{ number: REDIS_PORT, name: 'redis' }],
      envVariables: { REDIS_PASSWORD: this.password.envValue(this) },
      resources: {
        cpu: { request: kplus.Cpu.millis(250), limit: kplus.Cpu.units(1) },
        memory: { request: memory, limit: memory },
      },
      securityContext: hardenedContainerSecurityContext(REDIS_UID, REDIS_GID),
      // Loading a large AOF takes time: up to 5 minutes before liveness applies.
      startup: kplus.Probe.fromCommand(['sh', '-c', 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli -h 127.0.0.1 ping | grep -q PONG'], {
        periodSeconds: Duration.seconds(5),
        timeoutSeconds: Duration.seconds(5),
        failureThreshold: startupFailureThreshold(this, 'startupBudget', props.startupBudget ?? Duration.minutes(5), 5),
      }),
      readiness: ping,
      liveness: kplus.Probe.fromTcpSocket({ port: REDIS_PORT, periodSeconds: Duration.seconds(20), timeoutSeconds: Duration.seconds(5), failureThreshold: 3 }),
    });
    container.mount('/run/redis', kplus.Volume.fromEmptyDir(this, 'Runtime', 'runtime', { medium: kplus.EmptyDirMedium.MEMORY, sizeLimit: Size.mebibytes(1) }));
    container.mount('/tmp', kplus.Volume.fromEmptyDir(this, 'Tmp', 'tmp', { sizeLimit: Size.mebibytes(64) }));
    setImagePullSecrets(this, this.statefulSet, props.imagePullSecrets ?? [CCE_SWR_PULL_SECRET]);
    addVolumeClaimTemplates(this.statefulSet, [{
      template: evsVolumeClaimTemplate(this, 'storage', DATA_CLAIM_TEMPLATE, props.storage ?? {}, Size.gibibytes(10), labels),
      mountPath: DATA_DIR,
    }]);
    applyPodOverrides(this, 'pod', this.statefulSet, props.pod);
  }
}
