import { escapeHtml } from '../../../../functions/handlers/http/escape-html.js';

describe('escapeHtml', () => {
  it('replaces every character that can end a text run or an attribute value', () => {
    expect(escapeHtml(`<>&"'\`=`)).toBe('&#60;&#62;&#38;&#34;&#39;&#96;&#61;');
  });

  it('leaves other text as it is, Japanese included', () => {
    expect(escapeHtml('LINE 連携 #06C755 a/b?c')).toBe('LINE 連携 #06C755 a/b?c');
  });

  it('turns markup into inert text', () => {
    expect(escapeHtml('"><script>alert(1)</script>')).not.toMatch(/[<>"]/);
  });
});
