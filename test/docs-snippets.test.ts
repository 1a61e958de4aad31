/**
 * Every TypeScript snippet in README.md and docs/*.md is a complete program, and this test
 * proves it: each ```ts / ```typescript block is written to a temporary folder as a module,
 * all of them are type-checked in ONE strict TypeScript program against the repo's sources
 * ('cdk8s-memos-cce' → index.ts), and then run, one after another, in ONE child `node` process
 * with tsx's require hook. A diagnostic, a thrown error or a non-zero exit code fails the test.
 *
 * Conventions for documentation writers:
 * - A snippet imports what it uses (from 'cdk8s-memos-cce', 'cdk8s', 'cdk8s-plus-28',
 *   'constructs'; repo-internal snippets from './index' and './app/...', as a file at the repo
 *   root would) and ends with `app.synth()` or `app.synthYaml()`.
 * - `app.synth()` writes below CDK8S_OUTDIR, which points into the temporary folder, and the
 *   working directory is a temporary folder too: nothing is written into the repo.
 * - `<!-- snippet-preamble: <code> -->` on the line directly above a block is prepended to it.
 * - ```ts nocompile marks a fragment that is not a program; it is counted and skipped (avoid).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as ts from 'typescript';

const ROOT = path.resolve(__dirname, '..');
const DOCS = ['README.md', ...listDocs()];

interface Snippet {
  /** Markdown file, relative to the repo. */
  readonly doc: string;
  /** 1-based line of the opening fence. */
  readonly fenceLine: number;
  /** Lines prepended from a snippet-preamble comment. */
  readonly preambleLines: number;
  /** Module source as written to disk. */
  readonly source: string;
  /** Module file name in the temporary folder. */
  readonly fileName: string;
}

function listDocs(): string[] {
  const dir = path.join(ROOT, 'docs');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`);
}

/** The TypeScript blocks of one Markdown file; `skipped` counts the `nocompile` ones. */
function extract(doc: string): { snippets: Snippet[]; skipped: number } {
  const lines = fs.readFileSync(path.join(ROOT, doc), 'utf8').split('\n');
  const snippets: Snippet[] = [];
  let skipped = 0;
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})\s*(\S*)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const [, fence, lang, info] = open;
    const end = lines.findIndex((line, j) => j > i && line.trim() === fence);
    if (end < 0) throw new Error(`${doc}:${i + 1}: unclosed code fence`);
    if (lang === 'ts' || lang === 'typescript') {
      if (/\bnocompile\b/.test(info)) {
        skipped++;
      } else {
        const preamble = /^<!--\s*snippet-preamble:\s*([\s\S]*?)\s*-->\s*$/.exec(lines[i - 1] ?? '')?.[1];
        const body = lines.slice(i + 1, end).join('\n');
        const header = preamble ? `${preamble}\n` : '';
        const fileName = `${doc.replace(/[^A-Za-z0-9]+/g, '_')}_L${i + 1}.ts`;
        // `export {}` keeps every snippet a module, so top-level names never collide.
        snippets.push({ doc, fenceLine: i + 1, preambleLines: preamble ? 1 : 0, source: `${header}${body}\nexport {};\n`, fileName });
      }
    }
    i = end;
  }
  return { snippets, skipped };
}

/** Compiler options of the library (tsconfig.json), plus the package name mapped to index.ts. */
function compilerOptions(dir: string): ts.CompilerOptions {
  const configFile = path.join(ROOT, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(configFile, ts.sys.readFile);
  if (error) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT, undefined, configFile);
  return {
    ...options,
    strict: true,
    noEmit: true,
    declaration: false,
    rootDir: undefined,
    outDir: undefined,
    baseUrl: dir,
    paths: { 'cdk8s-memos-cce': [path.join(ROOT, 'index.ts')] },
    types: ['node'],
    typeRoots: [path.join(ROOT, 'node_modules', '@types')],
  };
}

/** Where a diagnostic points, in Markdown terms when it is inside a snippet. */
function describeDiagnostic(diagnostic: ts.Diagnostic, byFile: Map<string, Snippet>, dir: string): string {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  if (!diagnostic.file || diagnostic.start === undefined) return `TS${diagnostic.code}: ${message}`;
  const { line, character } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  const snippet = byFile.get(path.basename(diagnostic.file.fileName));
  if (!snippet || path.dirname(diagnostic.file.fileName) !== dir) {
    return `${path.relative(ROOT, diagnostic.file.fileName)}:${line + 1}:${character + 1}: TS${diagnostic.code}: ${message}`;
  }
  const where = line < snippet.preambleLines ? `${snippet.doc}:${snippet.fenceLine - 1} (preamble)` : `${snippet.doc}:${snippet.fenceLine + line - snippet.preambleLines + 1}:${character + 1}`;
  return `${where}: TS${diagnostic.code}: ${message}`;
}

/** Runs every snippet in order in this (child) process; written to the temporary folder. */
const RUNNER = `
const fs = require('fs');
const path = require('path');
const [, , listFile, resultFile] = process.argv;
const results = [];
for (const { fileName } of JSON.parse(fs.readFileSync(listFile, 'utf8'))) {
  const outdir = path.resolve('out', fileName.replace(/\\.ts$/, ''));
  fs.mkdirSync(outdir, { recursive: true });
  process.env.CDK8S_OUTDIR = outdir;
  process.chdir(outdir);
  const start = Date.now();
  console.log('--- ' + fileName);
  try {
    require(path.resolve(__dirname, fileName));
    const code = process.exitCode;
    process.exitCode = 0;
    results.push(code ? { fileName, error: 'set process.exitCode = ' + code } : { fileName, ms: Date.now() - start });
  } catch (error) {
    results.push({ fileName, error: error && error.stack ? error.stack : String(error) });
  }
  process.chdir(__dirname);
}
fs.writeFileSync(resultFile, JSON.stringify(results));
process.exitCode = results.some((r) => r.error) ? 1 : 0;
`;

describe('documentation snippets', () => {
  const extracted = DOCS.map((doc) => ({ doc, ...extract(doc) }));
  const snippets = extracted.flatMap((e) => e.snippets);
  const byFile = new Map(snippets.map((s) => [s.fileName, s]));
  let dir: string;
  const links: string[] = [];

  beforeAll(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'memos-doc-snippets-')));
    // A snippet sees what a file at the repo root sees: the packages, index.ts and app/.
    for (const name of ['node_modules', 'index.ts', 'app']) {
      fs.symlinkSync(path.join(ROOT, name), path.join(dir, name));
      links.push(path.join(dir, name));
    }
    // tsx reads the path mapping of the package name from here (the child's working directory).
    fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'commonjs', esModuleInterop: true, baseUrl: '.', paths: { 'cdk8s-memos-cce': [path.join(ROOT, 'index.ts')] } },
    }));
    for (const snippet of snippets) fs.writeFileSync(path.join(dir, snippet.fileName), snippet.source);
    fs.writeFileSync(path.join(dir, 'runner.cjs'), RUNNER);
  });

  afterAll(() => {
    if (!dir) return;
    // Remove the links first, so nothing below them can ever be touched.
    for (const link of links) fs.unlinkSync(link);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('README.md and docs/*.md have TypeScript snippets', () => {
    const summary = extracted.map((e) => `${e.doc} ${e.snippets.length}${e.skipped ? ` (+${e.skipped} nocompile)` : ''}`).join(', ');
    console.log(`docs-snippets: ${snippets.length} snippets checked: ${summary}`);
    expect(snippets.length).toBeGreaterThan(0);
    expect(extracted.find((e) => e.doc === 'README.md')!.snippets.length).toBeGreaterThan(0);
  });

  test('every snippet type-checks (strict, against the repo sources)', () => {
    const options = compilerOptions(dir);
    const host = ts.createCompilerHost(options);
    // './index' and './app/...' are links to the repo: resolve them to the real files, as node
    // does, so each repo file is one module whichever name reaches it.
    host.resolveModuleNameLiterals = (literals, containingFile) => literals.map((literal) => {
      const resolved = ts.resolveModuleName(literal.text, containingFile, options, host);
      if (resolved.resolvedModule) resolved.resolvedModule.resolvedFileName = fs.realpathSync(resolved.resolvedModule.resolvedFileName);
      return resolved;
    });
    const program = ts.createProgram(snippets.map((s) => path.join(dir, s.fileName)), options, host);
    const diagnostics = ts.getPreEmitDiagnostics(program);
    expect(diagnostics.map((d) => describeDiagnostic(d, byFile, dir))).toEqual([]);
  });

  test('every snippet runs', () => {
    const listFile = path.join(dir, 'snippets.json');
    const resultFile = path.join(dir, 'results.json');
    fs.writeFileSync(listFile, JSON.stringify(snippets.map((s) => ({ fileName: s.fileName }))));
    const child = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs', { paths: [ROOT] }), path.join(dir, 'runner.cjs'), listFile, resultFile], {
      cwd: dir,
      env: { ...process.env, CDK8S_OUTDIR: path.join(dir, 'out') },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    // DOCS_SNIPPETS_VERBOSE=1 shows what the snippets print (their console.log comments).
    if (process.env.DOCS_SNIPPETS_VERBOSE) console.log(child.stdout);
    const results: { fileName: string; error?: string; ms?: number }[] = fs.existsSync(resultFile) ? JSON.parse(fs.readFileSync(resultFile, 'utf8')) : [];
    const failures = results.filter((r) => r.error).map((r) => {
      const s = byFile.get(r.fileName)!;
      return `${s.doc}:${s.fenceLine}: ${r.error}`;
    });
    const context = `exit ${child.status}${child.signal ? ` (${child.signal})` : ''}\n${(child.stderr ?? '').slice(-4000)}`;
    expect(failures).toEqual([]);
    expect({ ran: results.length, context: child.status === 0 ? 'ok' : context }).toEqual({ ran: snippets.length, context: 'ok' });
  });
});
