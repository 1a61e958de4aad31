import { ENVIRONMENTS } from '../app/environments';
import { environmentImages } from '../app/images';
import { Embedder } from '../charts/backends';
import { MemosSize } from '../charts/presets';
import { mirroredImage } from '../src/images';
import { container, only, servicesFor, synthChart } from './support/synth';

const MIRROR = { region: 'cn-north-4', organization: 'acme' };

describe('images and the SWR mirror', () => {
  test('a mirror rewrites every container and init container to the copy in the organization', () => {
    const objects = synthChart({ size: MemosSize.LARGE, ...servicesFor(MemosSize.LARGE), imageMirror: MIRROR });
    const images = objects.flatMap((o) => [...(o.spec?.template?.spec?.initContainers ?? []), ...(o.spec?.template?.spec?.containers ?? [])]).map((c) => c.image);
    expect(images.length).toBeGreaterThan(10);
    for (const image of images) expect(image).toMatch(/^swr\.cn-north-4\.myhuaweicloud\.com\/acme\/[a-z0-9._-]+[:@]/);
    expect(container(only(objects, 'StatefulSet', 'memos-qdrant'), 'qdrant').image).toBe('swr.cn-north-4.myhuaweicloud.com/acme/qdrant:v1.19.0-unprivileged');
    expect(container(only(objects, 'Deployment', 'memos-api'), 'memos-api').image).toBe('swr.cn-north-4.myhuaweicloud.com/acme/memos:2.0.31');
  });

  test('without a mirror nothing changes, and every image is listed with its source', () => {
    const objects = synthChart({ size: MemosSize.SMALL });
    expect(container(only(objects, 'StatefulSet', 'memos-qdrant'), 'qdrant').image).toBe('docker.io/qdrant/qdrant:v1.19.0-unprivileged');
    const [small] = environmentImages(ENVIRONMENTS.filter((e) => e.name === 'small'));
    expect(small.images.every((i) => i.image === i.source)).toBe(true);
    expect(small.images.map((i) => i.source)).toContain('docker.io/oliver006/redis_exporter:v1.80.1');
  });

  test('the copy keeps the name, tag and digest; an image already in the organization stays', () => {
    expect(mirroredImage('quay.io/coreos/etcd:v3.5.17', MIRROR)).toBe('swr.cn-north-4.myhuaweicloud.com/acme/etcd:v3.5.17');
    expect(mirroredImage('redis:7.2.7-alpine', MIRROR)).toBe('swr.cn-north-4.myhuaweicloud.com/acme/redis:7.2.7-alpine');
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(mirroredImage(`ghcr.io/huggingface/text-embeddings-inference:cpu-1.9@${digest}`, MIRROR)).toBe(`swr.cn-north-4.myhuaweicloud.com/acme/text-embeddings-inference:cpu-1.9@${digest}`);
    expect(mirroredImage('swr.cn-north-4.myhuaweicloud.com/acme/tools/x:1', MIRROR)).toBe('swr.cn-north-4.myhuaweicloud.com/acme/tools/x:1');
  });

  test.each([
    ['an organization with capitals', { region: 'cn-north-4', organization: 'Acme' }, /invalid imageMirror.organization "Acme"/],
    ['an organization ending in a separator', { region: 'cn-north-4', organization: 'acme-' }, /invalid imageMirror.organization "acme-"/],
    ['an organization with two separators in a row', { region: 'cn-north-4', organization: 'acme..ai' }, /invalid imageMirror.organization "acme..ai"/],
    ['a region that is a URL', { region: 'https://swr.cn-north-4', organization: 'acme' }, /invalid imageMirror.region/],
    ['two images on one mirror name', { region: 'cn-north-4', organization: 'acme' }, /invalid imageMirror .*would both be swr.cn-north-4.myhuaweicloud.com\/acme\/qdrant:v1.19.0-unprivileged/],
  ])('rejects %s', (name, mirror, message) => {
    // An embedding image that happens to share Qdrant's name and tag.
    const embedder = name.startsWith('two') ? Embedder.inCluster({ image: 'docker.io/other/qdrant:v1.19.0-unprivileged' }) : undefined;
    expect(() => synthChart({ size: MemosSize.SMALL, imageMirror: mirror, embedder })).toThrow(message);
  });
});
