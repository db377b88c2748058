import { describeConformance } from '@mixt/core/conformance';
import { createOrtBackend } from './index.js';

await describeConformance({ createBackend: () => createOrtBackend() });
