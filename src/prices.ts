import { EvsDiskType } from './cce';
import { CceNodeFlavor } from './node-pools';

/**
 * Monthly prices in CNY, for the capacity plan's cost lines. Huawei Cloud's price calculator was
 * not available to this project; the numbers are the seed analysis's (seed §2.4-2.7, §4.1-4.3,
 * read 2026-11-27), and where the seed prices a bundle, derived from it as each entry says.
 * Replace them with your contract's prices: `PriceTable.seed()` is a starting point, not a quote.
 */

/** One price and where it comes from. */
export interface Price {
  /** CNY per month (per node, per GiB, per instance, as the entry says). */
  readonly monthlyCny: number;
  /** Where the number comes from. */
  readonly source: string;
}

/** Prices the plan needs. */
export interface PriceTableProps {
  /** Where the table comes from and when it was read. */
  readonly source: string;
  /** Per node and month, by flavor name. */
  readonly nodes: { [flavor: string]: Price };
  /** Per GiB and month, by EVS disk type. */
  readonly evsPerGiB: { [diskType: string]: Price };
  /** DCS for Redis, primary/standby, per instance and month, by memory in GiB. */
  readonly dcsRedis: { [memoryGiB: string]: Price };
  /** OBS standard storage per GB and month. */
  readonly obsPerGB: Price;
  /** Public ELB bandwidth per Mbit/s and month. */
  readonly elbPerMbps: Price;
}

/** The seed's prices (seed §2.4-2.7, §3.5, §4.1-4.3). */
const SEED = 'seed analysis (undated; read 2026-11-27)';
const node = (monthlyCny: number, source: string): Price => ({ monthlyCny, source: `${SEED} ${source}` });
/** §4.3: Qdrant ¥4,500 = 5 × s7.2xlarge.4 (¥450 each, §4.1-4.3 CCE nodes) + 5 TB, so 2,250 / 5120 GiB. */
const EVS_PER_GIB = Math.round((2250 / 5120) * 100) / 100;

const SEED_TABLE: PriceTableProps = {
  source: SEED,
  nodes: {
    // §4.1 ¥1,350 / 3 nodes, §4.2 ¥2,700 / 6, §4.3 ¥8,100 / 18: ¥450 per s7.2xlarge.4 node.
    [CceNodeFlavor.S7_2XLARGE_4]: node(450, '§4.1-4.3: CCE nodes s7.2xlarge.4, ¥450 each'),
    // §4.1 Milvus ECS s7.xlarge.4 + 200 GB = ¥400, less 200 GiB of disk.
    [CceNodeFlavor.S7_XLARGE_4]: node(Math.round(400 - 200 * EVS_PER_GIB), '§4.1: s7.xlarge.4 + 200 GB = ¥400, less the disk'),
    // §4.1 Qdrant ECS s7.large.4 + 100 GB = ¥200, less 100 GiB of disk.
    [CceNodeFlavor.S7_LARGE_4]: node(Math.round(200 - 100 * EVS_PER_GIB), '§4.1: s7.large.4 + 100 GB = ¥200, less the disk'),
    // §4.3 Milvus s7.2xlarge.8 × 5 + 5 TB = ¥9,000: ¥1,800 per server less 1 TB of disk (m7 is that flavor).
    [CceNodeFlavor.M7_2XLARGE_8]: node(Math.round(1800 - 1024 * EVS_PER_GIB), '§4.3: s7.2xlarge.8 + 1 TB = ¥1,800, less the disk'),
    // §4.3 prices the Ascend inference cluster (ModelArts) at ¥6,000 a month; no list price for the server.
    [CceNodeFlavor.KAT2NE_48XLARGE_8]: node(6000, '§4.3: ModelArts Ascend NPU inference cluster ¥6,000 (stand-in)'),
    // §3.5 / §2.9: Ascend inference on ai1s.large ¥2,000-3,000.
    [CceNodeFlavor.AI1S_LARGE_4]: node(2000, '§3.5: ai1s.large ¥2,000'),
  },
  evsPerGiB: {
    // The seed's storage is "SSD云盘"; one derived price for the SSD types.
    [EvsDiskType.SSD]: node(EVS_PER_GIB, '§4.3: (¥4,500 - 5 × ¥450) / 5 TB of SSD'),
    [EvsDiskType.GPSSD]: node(EVS_PER_GIB, '§4.3, as SSD (no separate price)'),
    [EvsDiskType.ESSD]: node(EVS_PER_GIB, '§4.3, as SSD (no separate price)'),
    [EvsDiskType.GPSSD2]: node(EVS_PER_GIB, '§4.3, as SSD (no separate price)'),
  },
  dcsRedis: {
    1: node(80, '§2.4/§4.1: 1 GB primary/standby ¥80'),
    2: node(120, '§2.4/§4.2: 2 GB primary/standby ¥120'),
    4: node(200, '§2.4: 4 GB primary/standby ¥200-250'),
    8: node(800, '§4.3: 8 GB (cluster edition) ¥800'),
  },
  obsPerGB: node(0.099, '§2.6: OBS standard ¥0.099/GB/month'),
  elbPerMbps: node(20, '§4.1: 5 Mbit/s ¥100, §4.2: 20 Mbit/s ¥200 (¥20 per Mbit/s at small sizes)'),
};

/** Monthly prices for the plan. */
export class PriceTable {
  /** The seed's prices (and prices derived from its bundles). */
  public static seed(): PriceTable {
    return new PriceTable(SEED_TABLE);
  }

  /** Your own prices. */
  public static of(props: PriceTableProps): PriceTable {
    return new PriceTable(props);
  }

  /** The prices. */
  public readonly props: PriceTableProps;

  private constructor(props: PriceTableProps) {
    this.props = props;
  }

  /** Per node and month, or undefined for a flavor the table does not price. */
  public node(flavor: string): Price | undefined {
    return this.props.nodes[flavor];
  }

  /** Per GiB and month of an EVS disk type, or undefined. */
  public evs(diskType: string): Price | undefined {
    return this.props.evsPerGiB[diskType];
  }

  /** A DCS for Redis instance of `memoryGiB`, or undefined. */
  public dcs(memoryGiB: number): Price | undefined {
    return this.props.dcsRedis[String(memoryGiB)];
  }
}
