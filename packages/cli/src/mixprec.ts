/**
 * The `mixprec` binary. Parsing and dispatch live in `run-cli.ts` (`parseArgs` from `node:util`,
 * one flag table per command) so tests can run the CLI in-process; this file only connects it
 * to the process and sets the exit code: 0 success, 1 failure, 2 usage error.
 */
import { processIo } from './cli-io.js';
import { runCli } from './run-cli.js';

process.exitCode = await runCli(process.argv.slice(2), processIo());
