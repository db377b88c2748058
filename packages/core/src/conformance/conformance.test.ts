import { createReferenceBackend } from '../backend/reference/reference-backend.js';
import { describeConformance } from './index.js';

await describeConformance({ createBackend: () => createReferenceBackend() });
