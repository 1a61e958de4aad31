import { MemosChartProps } from '../charts/memos-chart';

/**
 * A deployable environment: one folder `dist/<name>/` holding one MemOS stack.
 *
 * To add your own, append one object to {@link ENVIRONMENTS} and run `npm run synth`:
 *
 * ```ts
 * { name: 'prod-cn-north-4', size: 'large', namespace: 'memos-prod',
 *   api: { image: 'swr.cn-north-4.myhuaweicloud.com/acme/memos:2.0.31' } },
 * ```
 */
export interface MemosEnvironment extends MemosChartProps {
  /** Folder below the output directory and chart id; a DNS label, unique among environments. */
  readonly name: string;
}

/** The shipped environments: the seed's three architectures (seed §4.1-4.3), one per size. */
export const ENVIRONMENTS: readonly MemosEnvironment[] = [
  { name: 'small', size: 'small' },
  { name: 'medium', size: 'medium' },
  { name: 'large', size: 'large' },
];
