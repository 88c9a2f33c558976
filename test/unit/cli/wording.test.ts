import { plural, rateSuffix } from '../../../functions/cli/wording.js';

describe('command-line wording', () => {
  test('plural: 1 link, 0 links, 2 links, irregular forms', () => {
    expect([plural(1, 'link'), plural(0, 'link'), plural(2, 'link')]).toEqual([
      '1 link',
      '0 links',
      '2 links',
    ]);
    expect(plural(3, 'entry', 'entries')).toBe('3 entries');
  });

  test('a rate only when something was processed in a measurable time', () => {
    expect(rateSuffix(120, 2)).toBe(' (60 rows/s)');
    expect(rateSuffix(0, 2)).toBe('');
    expect(rateSuffix(10, 0.001)).toBe('');
    expect(rateSuffix(5, 1, 'links')).toBe(' (5 links/s)');
  });
});
