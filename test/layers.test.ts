/**
 * Imports only run downwards: app → charts → constructs → src. The package entry (index.ts) is the
 * top of the library: it may re-export every library layer but nothing of the app. imports/ is
 * generated code (cdk8s import) that any library layer may use.
 */
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
/** Rank of each layer: a file may import from its own rank or below. */
const RANK: Record<string, number> = { imports: 0, src: 0, constructs: 1, charts: 2, index: 3, app: 4 };

function layerOf(file: string): string {
  const relative = path.relative(ROOT, file);
  return relative === 'index.ts' ? 'index' : relative.split(path.sep)[0];
}

function sources(): string[] {
  const files = ['index.ts'];
  for (const dir of ['src', 'constructs', 'charts', 'app', 'imports']) {
    for (const name of fs.readdirSync(path.join(ROOT, dir))) if (name.endsWith('.ts')) files.push(path.join(dir, name));
  }
  return files.map((f) => path.join(ROOT, f));
}

interface Edge { readonly from: string; readonly to: string; readonly fromLayer: string; readonly toLayer: string }

/** Edges that run upwards, or into something that is no layer. */
function upwardEdges(all: readonly Edge[]): Edge[] {
  return all.filter((e) => !(e.toLayer in RANK) || RANK[e.toLayer] > RANK[e.fromLayer]);
}

/** Every relative import or re-export of each source file, with the importing and the imported file's layers. */
function edges(): Edge[] {
  const result = [];
  for (const file of sources()) {
    const text = fs.readFileSync(file, 'utf8');
    for (const match of text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'(\.[^']+)'/gms)) {
      const target = path.resolve(path.dirname(file), match[1]);
      result.push({ from: path.relative(ROOT, file), to: path.relative(ROOT, target), fromLayer: layerOf(file), toLayer: layerOf(`${target}.ts`) });
    }
  }
  return result;
}

describe('layers', () => {
  const all = edges();

  test('the import graph is read (sanity: every layer has edges)', () => {
    expect(all.length).toBeGreaterThan(50);
    for (const layer of ['index', 'src', 'constructs', 'charts', 'app']) expect(all.some((e) => e.fromLayer === layer)).toBe(true);
  });

  test('no import runs from a lower layer to a higher one', () => {
    expect(upwardEdges(all)).toEqual([]);
  });

  test('the library never imports the app, and the app uses the library through its package entry or its layers', () => {
    expect(all.filter((e) => e.toLayer === 'app' && e.fromLayer !== 'app')).toEqual([]);
  });

  test('an upward edge, or one into the tests, would be caught', () => {
    const upward = { from: 'src/x.ts', to: 'charts/y', fromLayer: 'src', toLayer: 'charts' };
    const intoApp = { from: 'index.ts', to: 'app/environments', fromLayer: 'index', toLayer: 'app' };
    const intoTests = { from: 'constructs/x.ts', to: 'test/support/synth', fromLayer: 'constructs', toLayer: 'test' };
    const downward = { from: 'charts/x.ts', to: 'src/y', fromLayer: 'charts', toLayer: 'src' };
    expect(upwardEdges([...all, upward, intoApp, intoTests, downward])).toEqual([upward, intoApp, intoTests]);
  });
});
