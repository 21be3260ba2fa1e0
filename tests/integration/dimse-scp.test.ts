/**
 * The Storage SCP against real DICOM peers (dcmtk's echoscu and storescu): LIDC-IDRI-0001 pushed
 * in several transfer syntaxes lands in the vault with identical pixels, unknown AE titles are
 * refused at association, a truncated dataset is refused while the rest is kept, and nothing
 * plaintext appears on disk. Vaults use small Argon2id costs: these tests are about networking.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSeries, scanDicomInputs, type LoadedSeries } from '../../src/core/dicom';
import { startStorageScp, vaultReceiver } from '../../src/core/dimse';
import { createVault, openVault, vaultFileSource, type UnlockedVault } from '../../src/core/vault';
import { diffStats } from '../support/dicom-helpers';
import { cacheDir, lidcStudy, missingData, repoRoot } from '../support/shared-data';

const noData = missingData('ct/LIDC-IDRI-0001.tar.xz');
const noDcmtk =
  spawnSync('storescu', ['--version']).status === 0 ? null : 'dcmtk (storescu) is not installed';
if (noDcmtk) console.warn(`[skip] ${noDcmtk}`);
const skip = noData ?? noDcmtk;

const WEAK = {
  kdf: { memoryKiB: 256, iterations: 1, parallelism: 1 },
  allowWeakKdf: true,
  idleLockMs: 0,
} as const;
const work = mkdtempSync(join(tmpdir(), 'plv-dimse-'));
// Converted copies of the public LIDC files live under the git-ignored .cache, removed at the end.
mkdirSync(cacheDir, { recursive: true });
const fixtures = mkdtempSync(join(cacheDir, 'dimse-fixtures-'));
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(fixtures, { recursive: true, force: true });
});

let seriesDir = '';
let slices: string[] = [];
let reference: LoadedSeries;

beforeAll(async () => {
  if (skip) return;
  seriesDir = lidcStudy('0001').seriesDir;
  slices = readdirSync(seriesDir)
    .filter((f) => f.endsWith('.dcm'))
    .sort()
    .map((f) => join(seriesDir, f));
  const scan = await scanDicomInputs([seriesDir]);
  reference = await loadSeries(scan.series[0]!);
});

/** Runs a dcmtk tool without blocking this process (the SCP under test may live in it). */
function run(cmd: string, args: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args);
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.once('error', reject);
    p.once('close', (status) => resolve({ status, out }));
  });
}

/** The one stored series of the vault, decoded from the vault. */
async function storedVolume(v: UnlockedVault): Promise<{ loaded: LoadedSeries; receivedFrom?: string }> {
  const studies = v.listStudies();
  expect(studies).toHaveLength(1);
  expect(studies[0]!.series).toHaveLength(1);
  const summary = studies[0]!.series[0]!;
  const loaded = await loadSeries(v.getSeries(summary.ref).scanned, { source: vaultFileSource(v) });
  return { loaded, ...(summary.receivedFrom ? { receivedFrom: summary.receivedFrom } : {}) };
}

/** `file` with its Pixel Data cut to 1000 bytes (a well-encoded but truncated image). */
function truncatedCopy(file: string, out: string): string {
  const src = new Uint8Array(readFileSync(file));
  const px = dicomParser.parseDicom(src).elements['x7fe00010']!;
  const cut = new Uint8Array(px.dataOffset + 1000);
  cut.set(src.subarray(0, cut.length));
  new DataView(cut.buffer).setUint32(px.dataOffset - 4, 1000, true);
  writeFileSync(out, cut);
  return out;
}

function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  }
  return out;
}

describe.skipIf(skip)('pulmolens listen (headless Storage SCP) with dcmtk peers', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('echoes, refuses unknown AE titles, refuses a truncated dataset, stores all 133 slices encrypted', async () => {
    const dir = join(work, 'cli-vault');
    const tmp = mkdtempSync(join(work, 'tmpdir-'));
    await (await createVault(dir, 'pw', WEAK)).lock();
    child = spawn(
      'node',
      [
        join(repoRoot, 'bin', 'pulmolens.mjs'),
        'listen',
        '--vault',
        dir,
        '--port',
        '0',
        '--allow',
        'TESTSCU@127.0.0.1',
      ],
      { env: { ...process.env, TMPDIR: tmp, TMP: tmp, TEMP: tmp, PULMOLENS_PASSPHRASE: 'pw' } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      const t = setInterval(() => {
        const m = /listening on 127\.0\.0\.1:(\d+) as PULMOLENS/.exec(stdout);
        if (m) {
          clearInterval(t);
          resolve(Number(m[1]));
        } else if (child!.exitCode !== null) {
          clearInterval(t);
          reject(new Error(`listen exited: ${stderr}`));
        }
      }, 100);
    });

    const echo = await run('echoscu', ['-aet', 'TESTSCU', '-aec', 'PULMOLENS', '127.0.0.1', String(port)]);
    expect(echo.status, echo.out).toBe(0);
    const refused = await run('echoscu', [
      '-aet',
      'INTRUDER',
      '-aec',
      'PULMOLENS',
      '127.0.0.1',
      String(port),
    ]);
    expect(refused.status).not.toBe(0);
    expect(refused.out).toMatch(/Calling AE Title Not Recognized/);
    const wrongCalled = await run('echoscu', ['-aet', 'TESTSCU', '-aec', 'OTHER', '127.0.0.1', String(port)]);
    expect(wrongCalled.out).toMatch(/Called AE Title Not Recognized/);

    // The truncated copy carries slice 2's SOP Instance UID; the intact slice 2 follows it.
    const truncated = truncatedCopy(slices[1]!, join(fixtures, 'truncated.dcm'));
    const push = await run('storescu', [
      '-v',
      '-nh',
      '-aet',
      'TESTSCU',
      '-aec',
      'PULMOLENS',
      '127.0.0.1',
      String(port),
      truncated,
      ...slices,
    ]);
    expect(push.out).toMatch(/Received Store Response \(Error: CannotUnderstand\)/);
    expect(push.out.match(/Received Store Response \(Success\)/g)).toHaveLength(133);

    child.kill('SIGTERM');
    await new Promise<void>((resolve) => child!.once('exit', () => resolve()));
    expect(child.exitCode).toBe(0);
    expect(stdout).toMatch(/received 133 instance\(s\) from TESTSCU@127\.0\.0\.1/);

    const v = await openVault(dir, 'pw', { idleLockMs: 0 });
    const { loaded, receivedFrom } = await storedVolume(v);
    expect(receivedFrom).toBe('TESTSCU@127.0.0.1');
    expect(loaded.skipped).toEqual([]);
    expect(loaded.volume.dims).toEqual(reference.volume.dims);
    expect(Buffer.from(loaded.volume.hu.buffer).equals(Buffer.from(reference.volume.hu.buffer))).toBe(true);
    const events = (await v.auditEntries()).map((e) => e.event);
    expect(events).toContain('association-refused');
    expect(events).toContain('instance-refused');
    expect(events).toContain('study-received');
    const md = reference.series.metadata;
    await v.lock();

    // No plaintext: no DICM preamble, no UID or patient ID in the vault or the listener's TMPDIR.
    const needles = [md.patientId, md.seriesInstanceUid, md.studyInstanceUid]
      .filter((s) => s.trim() !== '')
      .map((s) => Buffer.from(s, 'latin1'));
    expect(needles).toHaveLength(3);
    const hits: string[] = [];
    for (const f of [...allFiles(dir), ...allFiles(tmp)]) {
      const b = readFileSync(f);
      for (const n of needles) if (b.includes(n)) hits.push(`${f}: ${n.toString('latin1')}`);
      if (b.length >= 132 && b.subarray(128, 132).toString('latin1') === 'DICM')
        hits.push(`${f}: DICM preamble`);
    }
    expect(hits).toEqual([]);
  });
});

describe.skipIf(skip)(
  'Storage SCP across transfer syntaxes (storescu, dcmcjpeg/dcmcrle/dcmcjpls copies)',
  () => {
    const SUBSET = 24;
    const cases: Array<{ name: string; args: string[]; convert?: string }> = [
      { name: 'implicit VR little endian', args: ['-xi'] },
      { name: 'explicit VR big endian', args: ['-xb', '+C'] },
      { name: 'deflated explicit VR little endian', args: ['-xd', '+C'] },
      { name: 'JPEG lossless SV1 (dcmcjpeg)', args: ['-xs'], convert: 'dcmcjpeg' },
      { name: 'RLE lossless (dcmcrle)', args: ['-xr'], convert: 'dcmcrle' },
      { name: 'JPEG-LS lossless (dcmcjpls)', args: ['-xt'], convert: 'dcmcjpls' },
    ];
    for (const c of cases) {
      it(`${SUBSET} slices in ${c.name} are stored with identical pixels`, async () => {
        // Neighbouring slices (by position, not file name), so the subset is an evenly spaced stack.
        const subset = [...reference.series.frames]
          .sort((a, b) => a.slot - b.slot)
          .slice(50, 50 + SUBSET)
          .map((f) => f.path);
        let files = subset;
        if (c.convert) {
          const out = mkdtempSync(join(fixtures, `${c.convert}-`));
          files = [];
          for (const [i, f] of subset.entries()) {
            const dest = join(out, `${i}.dcm`);
            expect((await run(c.convert!, [f, dest])).status).toBe(0);
            files.push(dest);
          }
        }
        const v = await createVault(join(work, c.name.replace(/\W+/g, '-')), 'pw', WEAK);
        const receiver = vaultReceiver(() => v);
        const scp = await startStorageScp({
          aeTitle: 'PULMOLENS',
          port: 0,
          listenHost: '127.0.0.1',
          allowedPeers: [{ aeTitle: 'TESTSCU', host: '127.0.0.1' }],
          timeoutSeconds: 30,
          ...receiver,
        });
        try {
          const push = await run('storescu', [
            ...c.args,
            '-aet',
            'TESTSCU',
            '-aec',
            'PULMOLENS',
            '127.0.0.1',
            String(scp.port),
            ...files,
          ]);
          expect(push.status, push.out).toBe(0);
        } finally {
          await scp.close();
        }
        const want = await loadSeries((await scanDicomInputs(subset)).series[0]!);
        const { loaded } = await storedVolume(v);
        expect(loaded.skipped).toEqual([]);
        expect(loaded.volume.dims).toEqual([512, 512, SUBSET]);
        expect(diffStats(want.volume.hu, loaded.volume.hu)).toMatchObject({ max: 0 });
        await v.lock();
      });
    }
  },
);
