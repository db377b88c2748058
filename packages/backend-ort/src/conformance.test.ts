import { describeConformance } from '@mixprec/core/conformance';
import { createOrtBackend } from './index.js';

await describeConformance({ createBackend: () => createOrtBackend() });
