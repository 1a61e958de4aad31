import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { IConstruct } from 'constructs';
import { SwrImage } from './cce';
import { invalidProp, parseImage, requireDnsLabel } from './validation';

/**
 * A Huawei Cloud SWR organization that holds copies of every image a stack runs: the images of
 * Docker Hub, ghcr.io and quay.io are often unreachable from CCE nodes in mainland regions.
 */
export interface SwrMirror {
  /** Region of the SWR registry, e.g. `cn-north-4` (`swr.<region>.myhuaweicloud.com`). */
  readonly region: string;
  /** SWR organization holding the copies. */
  readonly organization: string;
}

/** An image a stack runs: where it comes from, and what the pods pull. */
export interface StackImage {
  /** The upstream reference, e.g. `docker.io/qdrant/qdrant:v1.19.0-unprivileged`. */
  readonly source: string;
  /** What the pods pull: the source, or its copy in the SWR mirror. */
  readonly image: string;
}

/**
 * Where `source` is copied to in `mirror`: the repository's last path segment and the same tag or
 * digest, in the mirror's organization (SWR repositories are `<organization>/<name>`).
 * @internal
 */
export function mirroredImage(source: string, mirror: SwrMirror): string {
  const { registry, repository, suffix } = parseImage(source);
  const registryHost = SwrImage.registry(mirror.region);
  if (registry === registryHost && repository.startsWith(`${mirror.organization}/`)) return source;
  const name = repository.slice(repository.lastIndexOf('/') + 1);
  return `${registryHost}/${mirror.organization}/${name}${suffix}`;
}

/**
 * Every image the workloads below `scope` run; with a mirror, each container is patched to pull
 * the mirror's copy. Two sources that would land on one mirror name are rejected.
 * @internal
 */
export function collectImages(scope: IConstruct, property: string, mirror: SwrMirror | undefined): StackImage[] {
  if (mirror !== undefined) {
    requireDnsLabel(scope, `${property}.region`, mirror.region);
    // SWR organization names: lowercase letters, digits, '.', '_' and '-', starting with a letter.
    if (typeof mirror.organization !== 'string' || mirror.organization.length > 64 || !/^[a-z][a-z0-9]*([._-][a-z0-9]+)*$/.test(mirror.organization)) {
      invalidProp(scope, `${property}.organization`, mirror.organization, "an SWR organization: a lowercase letter, then lowercase letters and digits, single '.', '_' or '-' between them (at most 64)");
    }
  }
  const images = new Map<string, string>();
  const sources = new Map<string, string>();
  for (const child of scope.node.findAll()) {
    if (!(child instanceof kplus.AbstractPod)) continue;
    const patch = (list: kplus.Container[], field: string) => list.forEach((container, i) => {
      const image = mirror ? mirroredImage(container.image, mirror) : container.image;
      const other = sources.get(image);
      if (other !== undefined && other !== container.image) {
        invalidProp(scope, property, mirror, `a mirror where each image has its own name: ${other} and ${container.image} would both be ${image}`);
      }
      sources.set(image, container.image);
      images.set(container.image, image);
      if (image !== container.image) ApiObject.of(child).addJsonPatch(JsonPatch.replace(`${templateSpec(child)}/${field}/${i}/image`, image));
    });
    patch(child.initContainers, 'initContainers');
    patch(child.containers, 'containers');
  }
  return [...images.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([source, image]) => ({ source, image }));
}

/** The JSON path of a workload's pod spec. */
function templateSpec(pod: kplus.AbstractPod): string {
  if (pod instanceof kplus.Pod) return '/spec';
  if (pod instanceof kplus.CronJob) return '/spec/jobTemplate/spec/template/spec';
  return '/spec/template/spec';
}

/**
 * curl's official image, for the Jobs that call HTTP APIs (the Qdrant collection, Qdrant backups,
 * the Neo4j Community backup's Kubernetes API calls, the smoke test): Alpine with busybox `sh`,
 * `sed`, `tr`, `cut`, `nc`, `timeout` and curl (curl/curl-container `create_base_image.sh`), run
 * as `curl_user` (`create_appliance_image.sh`: `USER curl_user`). No jq. One pin for all of them.
 * @internal
 */
export const CURL_IMAGE = 'docker.io/curlimages/curl:8.16.0';

/** `curl_user`/`curl_group` of {@link CURL_IMAGE}, as Alpine's `adduser -S`/`addgroup -S` number them. @internal */
export const CURL_USER = { uid: 100, gid: 101 } as const;

/**
 * rclone's official image, for copies to and from OBS (backups, model weights; provider `HuaweiOBS`).
 * @internal
 */
export const RCLONE_IMAGE = 'docker.io/rclone/rclone:1.68.2';
