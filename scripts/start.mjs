// `npm start`: build and launch the Electron app. Where the Electron binary could not be
// downloaded (offline build machines), say so clearly instead of failing obscurely.
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pathFile = join(root, 'node_modules', 'electron', 'path.txt');
const hasElectron =
  existsSync(pathFile) &&
  existsSync(join(root, 'node_modules', 'electron', 'dist', readFileSync(pathFile, 'utf8').trim()));

const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit' }).status ?? 1;

if (hasElectron) {
  process.exit(run('npx', ['electron-vite', 'preview']));
}
console.error(
  [
    'PulmoLens: the Electron binary is not installed (it is downloaded from GitHub, which this machine cannot reach).',
    'The desktop window cannot open here. On a workstation with internet access, run `bash scripts/setup.sh` again.',
    'Starting the browser preview instead: the same renderer and core, served on 127.0.0.1 for Chromium.',
  ].join('\n'),
);
process.exit(run('node', ['--import', 'tsx', 'scripts/preview-host.ts', ...process.argv.slice(2)]));
