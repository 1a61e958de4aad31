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

/**
 * The shipped environments: the seed's three architectures (seed §4.1-4.3), one per size, with
 * the scheduler queue on Huawei DCS for Redis as the seed plans (§2.4). The DCS addresses are
 * placeholders (`.example` is a reserved domain): put your instance's connection address here,
 * or switch to `redis: { mode: 'in-cluster' }`.
 */
export const ENVIRONMENTS: readonly MemosEnvironment[] = [
  { name: 'small', size: 'small', redis: { mode: 'dcs', host: 'memos-small.dcs.example' } },
  { name: 'medium', size: 'medium', redis: { mode: 'dcs', host: 'memos-medium.dcs.example' } },
  { name: 'large', size: 'large', redis: { mode: 'dcs', host: 'memos-large.dcs.example' } },
];
