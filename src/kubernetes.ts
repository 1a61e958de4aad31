import * as kplus from 'cdk8s-plus-28';

/**
 * Kubernetes conventions shared by every construct: recommended labels, Pod Security Admission
 * labels and the hardened security contexts.
 */

/** Value of `app.kubernetes.io/part-of` on every object. */
export const PART_OF = 'memos';

/** Value of `app.kubernetes.io/managed-by` on every object. */
export const MANAGED_BY = 'cdk8s-memos-cce';

/**
 * The labels that select one component's pods. They never change for the life of a deployment:
 * Deployment and StatefulSet selectors are immutable, so they must not depend on construct paths.
 */
export function selectorLabels(instance: string, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': component,
    'app.kubernetes.io/instance': instance,
  };
}

/** Selector labels plus the descriptive recommended labels. */
export function componentLabels(instance: string, component: string, version?: string): Record<string, string> {
  return {
    ...selectorLabels(instance, component),
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': MANAGED_BY,
    ...(version ? { 'app.kubernetes.io/version': version } : {}),
  };
}

/** Pod Security Admission levels (cce_10_0466; clusters >= v1.25). */
export const POD_SECURITY_LEVELS = ['privileged', 'baseline', 'restricted'] as const;
export type PodSecurityLevel = typeof POD_SECURITY_LEVELS[number];

/** Namespace labels that enforce, audit and warn at one Pod Security level. */
export function podSecurityLabels(level: PodSecurityLevel): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const mode of ['enforce', 'audit', 'warn']) {
    labels[`pod-security.kubernetes.io/${mode}`] = level;
    labels[`pod-security.kubernetes.io/${mode}-version`] = 'latest';
  }
  return labels;
}

/** Pod security context for a non-root workload whose image runs as `uid`. */
export function hardenedPodSecurityContext(uid: number, gid = uid): kplus.PodSecurityContextProps {
  return {
    ensureNonRoot: true,
    user: uid,
    group: gid,
    fsGroup: gid,
    // Only walk the volume when its root has the wrong group: fast restarts on large volumes.
    fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
  };
}

/**
 * Container security context meeting the `restricted` Pod Security Standard: non-root with an
 * explicit UID (pitfall 8 of cdk8s-notes.md), read-only root, no privilege escalation, all
 * capabilities dropped, seccomp RuntimeDefault.
 */
export function hardenedContainerSecurityContext(uid: number, gid = uid): kplus.ContainerSecurityContextProps {
  return {
    ensureNonRoot: true,
    user: uid,
    group: gid,
    privileged: false,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: [kplus.Capability.ALL] },
    seccompProfile: { type: kplus.SeccompProfileType.RUNTIME_DEFAULT },
  };
}
