#!/usr/bin/env node
// Entry point for `npx pulmolens`. The CLI is TypeScript run through tsx so that
// the CLI, the main process and the tests all execute the same src/core code.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
