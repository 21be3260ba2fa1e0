import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

// Relative imports from one top-level folder of src into another are what the layers forbid;
// `packages` is a regex of bare specifiers the layer may not use either.
export const LAYERS = [
  {
    files: ['src/common/**/*.{ts,tsx}'],
    ours: ['core', 'shared', 'main', 'preload', 'renderer', 'cli'],
    packages: '^(?!zod$)[^.]',
    why: 'src/common is dependency-free: it imports only itself and zod.',
  },
  {
    files: ['src/shared/**/*.{ts,tsx}'],
    ours: ['core', 'main', 'preload', 'renderer', 'cli'],
    packages: '^(?!zod$)[^.]',
    why: 'src/shared (the IPC contract) imports only src/common and zod.',
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    ours: ['core', 'main', 'preload', 'cli'],
    packages: '^(electron|node:)',
    why: 'src/renderer imports only src/shared and src/common (it reaches core through IPC).',
  },
  {
    files: ['src/preload/**/*.{ts,tsx}'],
    ours: ['core', 'common', 'main', 'renderer', 'cli'],
    packages: null,
    why: 'src/preload is the bridge: it imports only src/shared.',
  },
  {
    files: ['src/main/**/*.{ts,tsx}'],
    ours: ['renderer', 'preload', 'cli'],
    packages: null,
    why: 'src/main imports src/core, src/shared and src/common, never the UI or the CLI.',
  },
  {
    files: ['src/core/**/*.{ts,tsx}'],
    ours: ['main', 'shared', 'preload', 'renderer', 'cli'],
    packages: '^(electron|react|react-dom)(/|$)',
    why: 'src/core is pure TypeScript: it imports only src/common, never Electron, the UI or IPC.',
  },
  {
    files: ['src/cli/**/*.{ts,tsx}'],
    ours: ['main', 'shared', 'preload', 'renderer'],
    packages: '^electron(/|$)',
    why: 'src/cli is thin over src/core and src/common.',
  },
];

export default tseslint.config(
  { ignores: ['node_modules', 'out', 'dist', '.cache', 'artifacts', 'test-results', 'training', 'models'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // The dependency rule of the architecture (docs/architecture.md): renderer -> shared -> common,
  // main -> core -> common. One block per layer, so each layer's list is complete in one place.
  ...LAYERS.map(({ files, ours, packages, why }) => ({
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: `^(\\.\\./)+(${ours.join('|')})(/|$)`, message: why },
            ...(packages ? [{ regex: packages, message: why }] : []),
          ],
        },
      ],
    },
  })),
  {
    files: ['**/*.{js,mjs,cjs}'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
