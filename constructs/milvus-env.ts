import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { MilvusKafka, MilvusObjectStorage } from './milvus-topology';
import { Credential, Credentials } from '../src/credentials';
import { invalidProp, requireNonEmpty, requireHost } from '../src/validation';

/*
 * Milvus maps environment variables onto its config keys: upper case, dots as underscores
 * (scripts/standalone_embed.sh sets ETCD_USE_EMBED, COMMON_STORAGETYPE). The builders below turn
 * the topology's OBS and Kafka settings into those variables, validating them against `scope`;
 * credentials are secretKeyRefs.
 */

/**
 * The environment of a Milvus on OBS through its S3 API; `rootPath` defaults to `instance`.
 * @internal
 */
export function objectStorageEnv(scope: Construct, instance: string, storage: MilvusObjectStorage, credentials: Credentials): Record<string, kplus.EnvValue> {
  const bucket = requireNonEmpty(scope, 'topology.objectStorage.bucket', storage.bucket);
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) invalidProp(scope, 'topology.objectStorage.bucket', bucket, 'an OBS bucket name: 3-63 lowercase letters, digits, dots and hyphens');
  const endpoint = requireHost(scope, 'topology.objectStorage.endpoint', storage.endpoint);
  const value = kplus.EnvValue.fromValue;
  return {
    COMMON_STORAGETYPE: value('remote'),
    MINIO_ADDRESS: value(endpoint),
    MINIO_PORT: value('443'),
    MINIO_USESSL: value('true'),
    MINIO_BUCKETNAME: value(bucket),
    MINIO_ROOTPATH: value(storage.rootPath ?? instance),
    MINIO_REGION: value(requireNonEmpty(scope, 'topology.objectStorage.region', storage.region)),
    // OBS speaks S3 with virtual-hosted addressing; Milvus's "aws" provider is its generic S3 client.
    MINIO_CLOUDPROVIDER: value('aws'),
    MINIO_USEVIRTUALHOST: value('true'),
    MINIO_USEIAM: value('false'),
    MINIO_ACCESSKEYID: credentials.ref(Credential.OBS_ACCESS_KEY_ID).envValue(scope),
    MINIO_SECRETACCESSKEY: credentials.ref(Credential.OBS_SECRET_ACCESS_KEY).envValue(scope),
  };
}

/**
 * The environment of a Milvus on Kafka (Huawei DMS): the brokers, and SASL/PLAIN over SSL when a
 * user is set.
 * @internal
 */
export function kafkaEnv(scope: Construct, kafka: MilvusKafka, credentials: Credentials): Record<string, kplus.EnvValue> {
  const brokers = kafka.brokers ?? [];
  if (brokers.length === 0 || brokers.some((b) => !/^[A-Za-z0-9.-]+:\d{1,5}$/.test(b))) {
    invalidProp(scope, 'topology.kafka.brokers', brokers, 'one or more host:port broker addresses');
  }
  const env: Record<string, kplus.EnvValue> = { KAFKA_BROKERLIST: kplus.EnvValue.fromValue(brokers.join(',')) };
  if (kafka.saslUser !== undefined) {
    Object.assign(env, {
      KAFKA_SASLUSERNAME: kplus.EnvValue.fromValue(requireNonEmpty(scope, 'topology.kafka.saslUser', kafka.saslUser)),
      KAFKA_SASLPASSWORD: credentials.ref(Credential.KAFKA_SASL_PASSWORD).envValue(scope),
      KAFKA_SASLMECHANISMS: kplus.EnvValue.fromValue('PLAIN'),
      KAFKA_SECURITYPROTOCOL: kplus.EnvValue.fromValue('SASL_SSL'),
    });
  }
  return env;
}
