import { Duration } from 'cdk8s';
import { IConstruct } from 'constructs';
import { Cron } from 'croner';
import { Credential, Credentials, SecretKeyRef } from './credentials';
import { invalidProp, requireDnsLabel, requireHost } from './validation';

/**
 * OBS storage classes (seed §5.3: snapshots to Standard, the Neo4j dump to archive storage). The
 * S3-compatible API OBS speaks names them `STANDARD`, `STANDARD_IA` and `GLACIER`
 * (Huawei Cloud OBS API reference, "PUT Object" x-amz-storage-class / x-obs-storage-class
 * STANDARD | WARM | COLD).
 */
export enum ObsStorageClass {
  /** Standard: read at once, no minimum storage duration. */
  STANDARD = 'STANDARD',
  /** Warm (infrequent access): read at once, billed for at least 30 days and per GB read. */
  WARM = 'WARM',
  /**
   * Cold (archive): must be restored (thawed) before it can be read, minutes (expedited) to
   * hours (standard), and is billed for at least 90 days. Lengthens the RTO (docs/backup.md).
   */
  COLD = 'COLD',
}

/**
 * The `x-amz-storage-class` value of an OBS class, as rclone's S3 backend sends it.
 * @internal
 */
export function s3StorageClass(storageClass: ObsStorageClass): string {
  switch (storageClass) {
    case ObsStorageClass.WARM: return 'STANDARD_IA';
    case ObsStorageClass.COLD: return 'GLACIER';
    default: return 'STANDARD';
  }
}

/** An OBS bucket and folder that backups go to, and the keys that write to it. */
export interface ObsLocation {
  /**
   * The bucket, created beforehand (OBS bucket names: 3 to 63 lowercase letters, digits, '-' and
   * '.', starting and ending with a letter or digit, not an IP address).
   */
  readonly bucket: string;
  /** The bucket's region, e.g. `cn-north-4`. */
  readonly region: string;
  /**
   * The OBS endpoint (host name; HTTPS on 443).
   * @default - `obs.<region>.myhuaweicloud.com`
   */
  readonly endpoint?: string;
  /**
   * Folder in the bucket that every backup goes below, as `<prefix>/<store>/<backup id>/`.
   * @default - `<namespace>/<instance>`
   */
  readonly prefix?: string;
  /**
   * Where the access key ID is read from.
   * @default - the stack's credentials, `OBS_ACCESS_KEY_ID`
   */
  readonly accessKeyId?: SecretKeyRef;
  /**
   * Where the secret access key is read from.
   * @default - the stack's credentials, `OBS_SECRET_ACCESS_KEY`
   */
  readonly secretAccessKey?: SecretKeyRef;
}

/**
 * An {@link ObsLocation} with every default filled in and checked.
 * @internal
 */
export interface ResolvedObsLocation {
  readonly bucket: string;
  readonly region: string;
  readonly endpoint: string;
  readonly prefix: string;
  readonly accessKeyId: SecretKeyRef;
  readonly secretAccessKey: SecretKeyRef;
}

/** The public OBS endpoint of a region (Huawei Cloud "Regions and Endpoints", OBS). */
export const obsEndpoint = (region: string) => `obs.${region}.myhuaweicloud.com`;

/**
 * Checks an OBS location and fills in its defaults.
 * @internal
 */
export function requireObsLocation(scope: IConstruct, property: string, location: ObsLocation | undefined,
  defaults: { prefix: string; accessKeyId: SecretKeyRef; secretAccessKey: SecretKeyRef }): ResolvedObsLocation {
  if (location === undefined || typeof location !== 'object') {
    return invalidProp(scope, property, location, "{ bucket: '<existing OBS bucket>', region: '<region, e.g. cn-north-4>' }");
  }
  const bucket = requireObsBucketName(scope, `${property}.bucket`, location.bucket);
  const region = requireDnsLabel(scope, `${property}.region`, location.region);
  const endpoint = requireHost(scope, `${property}.endpoint`, location.endpoint ?? obsEndpoint(region));
  const prefix = requireObjectPrefix(scope, `${property}.prefix`, location.prefix ?? defaults.prefix);
  for (const key of ['accessKeyId', 'secretAccessKey'] as const) {
    if (location[key] !== undefined && !(location[key] instanceof SecretKeyRef)) {
      invalidProp(scope, `${property}.${key}`, '(not shown)', "SecretKeyRef.of('<Secret>', '<key>')");
    }
  }
  return {
    bucket, region, endpoint, prefix,
    accessKeyId: location.accessKeyId ?? defaults.accessKeyId,
    secretAccessKey: location.secretAccessKey ?? defaults.secretAccessKey,
  };
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * A bucket name OBS accepts (OBS "Creating a Bucket": 3-63 characters; lowercase letters, digits,
 * hyphens and periods; starting and ending with a letter or digit; no two adjacent periods, no
 * period next to a hyphen; not formatted as an IP address).
 * @internal
 */
export function requireObsBucketName(scope: IConstruct, property: string, value: unknown): string {
  if (typeof value === 'string' && BUCKET_NAME.test(value) && !/\.\.|\.-|-\./.test(value) && !IPV4.test(value)) return value;
  return invalidProp(scope, property, value,
    "an OBS bucket name: 3 to 63 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, no '..', '.-' or '-.', not an IP address");
}

/** Path segments of letters, digits, '.', '_' and '-' joined by '/': safe unquoted in a shell and in a URL. */
const PREFIX = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

function requireObjectPrefix(scope: IConstruct, property: string, value: unknown): string {
  if (typeof value === 'string' && value.length <= 512 && PREFIX.test(value) && !value.split('/').some((s) => s === '.' || s === '..')) return value;
  return invalidProp(scope, property, value, "a folder path: segments of letters, digits, '.', '_' and '-' separated by single '/', no leading or trailing '/'");
}

/** A 5-field field: numbers, `*`, `?`, ranges, steps, lists and (month, weekday) 3-letter names. */
const CRON_FIELD = /^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/[0-9]+)?)*$/;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
/**
 * The descriptors Kubernetes' cron parser (robfig/cron v3 `ParseStandard`) accepts, as 5 fields.
 * @internal
 */
export const CRON_DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *',
};
const CRON_ALLOWED = "a 5-field cron expression as Kubernetes CronJobs take it (minute hour day-of-month month day-of-week, e.g. '0 2 * * *'; numbers, '*', ranges, steps, lists, JAN-DEC and SUN-SAT; or @daily, @hourly, @weekly, @monthly, @yearly)";

/**
 * A CronJob schedule and what it means: checked against Kubernetes' parser rules (robfig/cron v3's
 * standard 5-field syntax; `L`, `W`, `#`, seconds and `TZ=` prefixes are rejected, as the API
 * server rejects them) and evaluated with croner for the shortest time between two runs.
 * @internal
 */
export function requireCronSchedule(scope: IConstruct, property: string, value: unknown, timeZone: string): { expression: string; shortestInterval: Duration } {
  if (typeof value !== 'string') return invalidProp(scope, property, value, CRON_ALLOWED);
  const expression = value.trim();
  const fields = (CRON_DESCRIPTORS[expression] ?? expression).split(/\s+/);
  if (fields.length !== 5 || !fields.every((f) => CRON_FIELD.test(f))) return invalidProp(scope, property, value, CRON_ALLOWED);
  const names = (f: string) => f.match(/[A-Za-z]+/g) ?? [];
  if (names(fields[0]).length + names(fields[1]).length + names(fields[2]).length > 0
    || !names(fields[3]).every((n) => MONTHS.includes(n.toUpperCase()))
    || !names(fields[4]).every((n) => WEEKDAYS.includes(n.toUpperCase()))
    || fields.slice(0, 2).some((f) => f.includes('?')) || fields[3].includes('?')) {
    return invalidProp(scope, property, value, CRON_ALLOWED);
  }
  let cron: Cron;
  try {
    cron = new Cron(fields.join(' '), { mode: '5-part', timezone: timeZone, paused: true });
  } catch {
    return invalidProp(scope, property, value, CRON_ALLOWED);
  }
  // A year of runs shows the shortest gap of any pattern of minutes, hours, days of the month
  // and of the week (a schedule more frequent than every ten minutes stops early: its gap shows
  // in the first runs, and such a schedule is rejected anyway).
  const end = Date.parse('2027-01-01T00:00:00Z');
  let previous: Date | null = cron.nextRun(new Date('2026-01-01T00:00:00Z'));
  if (previous === null || previous.getTime() >= end) return invalidProp(scope, property, value, `${CRON_ALLOWED} that runs at least once a year`);
  let shortest = 366 * 24 * 3600;
  for (let i = 0; i < 60_000; i++) {
    const next: Date | null = cron.nextRun(previous);
    if (next === null || next.getTime() >= end) break;
    shortest = Math.min(shortest, (next.getTime() - previous.getTime()) / 1000);
    previous = next;
  }
  return { expression, shortestInterval: Duration.seconds(shortest) };
}

/**
 * An IANA time zone name the CronJob `timeZone` field takes (checked against Node's own tz data,
 * which the API server's Go tz data agrees with for canonical names).
 * @internal
 */
export function requireTimeZone(scope: IConstruct, property: string, value: unknown): string {
  if (typeof value === 'string' && /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(value)) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: value });
      return value;
    } catch { /* rejected below */ }
  }
  return invalidProp(scope, property, value, "an IANA time zone name, e.g. 'Asia/Shanghai' or 'UTC'");
}

/**
 * Backup ids: the UTC time the backup started, `YYYYMMDDTHHMMSSZ`, so that ids sort by age.
 * @internal
 */
export const BACKUP_ID = /^[0-9]{8}T[0-9]{6}Z$/;

/** When and how long a store's backups run and are kept. */
export interface StoreBackupOptions {
  /**
   * When backups start: a 5-field cron expression, in `timeZone`. Runs may not be closer than
   * `timeout` (a run still going when the next is due would be skipped).
   * @default - daily at night, staggered per store (docs/backup.md)
   */
  readonly schedule?: string;
  /**
   * IANA time zone of `schedule` (the CronJob's `timeZone`).
   * @default 'Asia/Shanghai'
   */
  readonly timeZone?: string;
  /**
   * Days a backup is kept before the job prunes it (the newest complete backup is always kept).
   * @default 7 (the seed's retention for the managed databases, §5.3)
   */
  readonly retentionDays?: number;
  /**
   * OBS storage class of the backup's data.
   * @default - the seed's mapping (§5.3): Standard for Qdrant, Milvus and Redis; Cold (archive) for Neo4j
   */
  readonly storageClass?: ObsStorageClass;
  /**
   * Deadline of one run (`activeDeadlineSeconds`), at most the time between two runs.
   * @default - the store's (each documents its own)
   */
  readonly timeout?: Duration;
}

/**
 * A store's backup options checked and filled in.
 * @internal
 */
export interface ResolvedBackupSchedule {
  readonly schedule: string;
  readonly timeZone: string;
  readonly retentionDays: number;
  readonly storageClass: ObsStorageClass;
  readonly timeout: Duration;
}

/** Default time zone of backup schedules: the seed's regions are in China. */
export const DEFAULT_BACKUP_TIME_ZONE = 'Asia/Shanghai';

/**
 * Checks a store's backup options: the cron expression, the time zone, retention (1 to 3650
 * days), the storage class, and that runs are further apart than one run may take.
 * @internal
 */
export function requireBackupSchedule(scope: IConstruct, options: StoreBackupOptions,
  defaults: { schedule: string; storageClass: ObsStorageClass; timeout: Duration }): ResolvedBackupSchedule {
  const timeZone = requireTimeZone(scope, 'timeZone', options.timeZone ?? DEFAULT_BACKUP_TIME_ZONE);
  const { expression, shortestInterval } = requireCronSchedule(scope, 'schedule', options.schedule ?? defaults.schedule, timeZone);
  const retention = options.retentionDays ?? 7;
  if (!Number.isInteger(retention) || retention < 1 || retention > 3650) {
    invalidProp(scope, 'retentionDays', retention, 'a whole number of days from 1 to 3650 (0 would delete each backup as soon as it is made)');
  }
  const storageClass = options.storageClass ?? defaults.storageClass;
  if (!Object.values(ObsStorageClass).includes(storageClass)) invalidProp(scope, 'storageClass', storageClass, Object.values(ObsStorageClass).join(', '));
  const timeout = options.timeout ?? defaults.timeout;
  if (!(timeout instanceof Duration) || timeout.toSeconds() < 300) invalidProp(scope, 'timeout', timeout, 'a Duration of at least 5 minutes (Duration.hours(n))');
  if (shortestInterval.toSeconds() < timeout.toSeconds()) {
    invalidProp(scope, 'schedule', expression,
      `a schedule whose runs are at least timeout (${humanDuration(timeout)}) apart: this one starts runs ${humanDuration(shortestInterval)} apart, so a run could still be going when the next is due (it would be skipped); lower timeout or space the runs`);
  }
  return { schedule: expression, timeZone, retentionDays: retention, storageClass, timeout };
}

/** Where a store's backups go, and what the backup pods pull. */
export interface ObsBackupTarget {
  /** The bucket and folder backups go to. */
  readonly location: ObsLocation;
  /**
   * A second bucket, in another region, that every backup is also copied to (the seed's
   * cn-north-4 -> cn-east-3 copy, §5.3). Pruned by the same retention.
   * @default - no copy (or configure OBS cross-region replication on the bucket: docs/backup.md)
   */
  readonly replica?: ObsLocation;
  /**
   * Where the OBS keys are read from when a location names none.
   * @default Credentials.fromSecret('memos-secrets')
   */
  readonly credentials?: Credentials;
  /**
   * Image pull secrets of the backup and restore pods.
   * @default ['default-secret'] (CCE's SWR secret)
   */
  readonly imagePullSecrets?: string[];
  /**
   * The rclone image that uploads and downloads, pinned.
   * @default 'docker.io/rclone/rclone:1.68.2'
   */
  readonly rcloneImage?: string;
}

/**
 * The OBS keys of the stack's credentials.
 * @internal
 */
export function obsKeys(credentials: Credentials): { accessKeyId: SecretKeyRef; secretAccessKey: SecretKeyRef } {
  return { accessKeyId: credentials.ref(Credential.OBS_ACCESS_KEY_ID), secretAccessKey: credentials.ref(Credential.OBS_SECRET_ACCESS_KEY) };
}

/** `2 hours`, `90 minutes`, `45 seconds`: the largest unit that divides the duration. */
function humanDuration(duration: Duration): string {
  const seconds = duration.toSeconds();
  const [amount, unit] = seconds % 3600 === 0 ? [seconds / 3600, 'hour'] : seconds % 60 === 0 ? [seconds / 60, 'minute'] : [seconds, 'second'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}
