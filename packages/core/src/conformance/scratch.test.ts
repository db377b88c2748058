import { it } from 'vitest';
import { createReferenceBackend } from '../backend/reference/reference-backend.js';
import { runConformance, summarizeConformance } from './index.js';

it('scratch', async () => {
  const results = await runConformance({ createBackend: () => createReferenceBackend() });
  for (const r of results) console.log(r.status, r.id, '|', r.detail.slice(0, 300));
  console.log(summarizeConformance(results));
});
