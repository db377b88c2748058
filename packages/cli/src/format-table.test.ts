import { describe, expect, it } from 'vitest';
import { formatTable } from './format-table.js';

describe('formatTable', () => {
  it('pads columns, right-aligns numeric columns and prints missing cells as -', () => {
    const table = formatTable(
      ['group', 'pass', 'note'],
      [
        ['cast', 12, 'ok'],
        ['matmul', 3, null],
      ],
    );
    expect(table.split('\n')).toEqual([
      'group   pass  note',
      '------  ----  ----',
      'cast      12  ok',
      'matmul     3  -',
    ]);
  });

  it('honours explicit alignment', () => {
    expect(formatTable(['a', 'b'], [['x', 'y']], { align: ['right', 'left'] })).toBe(
      'a  b\n-  -\nx  y',
    );
  });
});
