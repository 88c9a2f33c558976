/**
 * The "LINE chat" page of a test user, as the emulator serves it: the Official Account's messages
 * (reply, push, multicast) rendered roughly as the LINE app shows them — text with its URLs
 * linked, template and flex messages with their buttons, quick replies — and the user's own
 * actions (follow, block, send text). Buttons work: URI actions are links, postback and message
 * actions post back to the emulator, which sends the webhook event LINE would send.
 *
 * Everything shown comes from the service or the tester, so all of it is escaped, and URI actions
 * become links only for http(s) URLs.
 */
import { randomBytes } from 'node:crypto';
import { escapeHtml } from '../../handlers/http/escape-html.js';
import { html, type AppResponse } from './http-app.js';
import type { ChatEntry } from './line-messaging-store.js';
import { isRecord } from './line-message-validation.js';
import type { WebhookDelivery } from './line-webhook-sender.js';
import type { StoredRichMenu } from './line-rich-menus.js';

/** What the page shows. */
export interface ChatPageModel {
  userId: string;
  displayName: string;
  friend: boolean;
  accountName: string;
  entries: readonly ChatEntry[];
  /** Recent webhook deliveries for this user (newest last). */
  deliveries: readonly WebhookDelivery[];
  /** A one-line message after an action (e.g. why nothing was sent). */
  flash?: string;
  /** The rich menu the user sees (their own, else the default), if any. */
  richMenu?: StoredRichMenu;
}

const e = escapeHtml;

/** `/_emulator/chat/{userId}` and the action paths under it. */
export function chatPath(userId: string, action?: string): string {
  return `/_emulator/chat/${encodeURIComponent(userId)}${action ? `/${action}` : ''}`;
}

function time(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** Text with http(s) URLs turned into links, as the LINE app does in text messages. */
function linkify(text: string): string {
  return text
    .split(/(https?:\/\/[^\s<>"']+)/g)
    .map((part, i) => (i % 2 === 1 ? `<a href="${e(part)}" rel="noreferrer">${e(part)}</a>` : e(part)))
    .join('');
}

/** One action as a clickable element (link or tiny form), or a disabled button. */
function action(userId: string, value: unknown, fallbackLabel = 'Open'): string {
  if (!isRecord(value)) return '';
  const label = e(typeof value.label === 'string' ? value.label : fallbackLabel);
  switch (value.type) {
    case 'uri': {
      const uri = typeof value.uri === 'string' ? value.uri : '';
      if (/^https?:\/\//i.test(uri)) {
        return `<a class="action" data-action="uri" href="${e(uri)}" rel="noreferrer">${label}</a>`;
      }
      return `<button class="action" disabled title="${e(uri)}">${label}</button>`;
    }
    case 'postback':
      return (
        `<form method="post" action="${e(chatPath(userId, 'postback'))}">` +
        `<input type="hidden" name="data" value="${e(String(value.data ?? ''))}">` +
        `<input type="hidden" name="displayText" value="${e(String(value.displayText ?? ''))}">` +
        `<button class="action" data-action="postback">${label}</button></form>`
      );
    case 'message':
      return (
        `<form method="post" action="${e(chatPath(userId, 'message'))}">` +
        `<input type="hidden" name="text" value="${e(String(value.text ?? ''))}">` +
        `<button class="action" data-action="message">${label}</button></form>`
      );
    default:
      return `<button class="action" disabled>${label}</button>`;
  }
}

/** Texts and actions of a flex container, in document order (a readable approximation). */
function flex(userId: string, node: unknown): string {
  if (Array.isArray(node)) return node.map((n) => flex(userId, n)).join('');
  if (!isRecord(node)) return '';
  switch (node.type) {
    case 'text':
      return `<p>${linkify(String(node.text ?? ''))}</p>`;
    case 'button':
      return `<div class="actions">${action(userId, node.action)}</div>`;
    case 'image':
      return typeof node.url === 'string' ? `<img alt="" src="${e(node.url)}">` : '';
    default:
      return ['header', 'hero', 'body', 'footer', 'contents'].map((key) => flex(userId, node[key])).join('');
  }
}

function templateHtml(userId: string, t: Record<string, unknown>): string {
  const actions = (list: unknown) =>
    `<div class="actions">${Array.isArray(list) ? list.map((a) => action(userId, a)).join('') : ''}</div>`;
  const card = (c: Record<string, unknown>) =>
    `${typeof c.title === 'string' ? `<p class="title">${e(c.title)}</p>` : ''}` +
    `<p>${linkify(String(c.text ?? ''))}</p>${actions(c.actions)}`;
  if (t.type === 'carousel' && Array.isArray(t.columns)) {
    return t.columns.map((c) => (isRecord(c) ? `<div class="card">${card(c)}</div>` : '')).join('');
  }
  return card(t);
}

function messageHtml(userId: string, m: Record<string, unknown>, latest: boolean): string {
  let inner: string;
  switch (m.type) {
    case 'text':
      inner = `<p>${linkify(String(m.text ?? ''))}</p>`;
      break;
    case 'template':
      inner = isRecord(m.template) ? templateHtml(userId, m.template) : '';
      break;
    case 'flex':
      inner = flex(userId, m.contents) || `<p>${e(String(m.altText ?? ''))}</p>`;
      break;
    case 'image':
      inner = `<img alt="" src="${e(String(m.previewImageUrl ?? ''))}">`;
      break;
    default:
      inner = `<p class="muted">[${e(String(m.type))} message]</p>`;
  }
  // LINE shows a message's quick reply only while it is the chat's latest message
  // (https://developers.line.biz/en/docs/messaging-api/using-quick-reply/).
  const quick =
    latest && isRecord(m.quickReply) && Array.isArray(m.quickReply.items)
      ? `<div class="actions quick">${m.quickReply.items
          .map((item) => (isRecord(item) ? action(userId, item.action) : ''))
          .join('')}</div>`
      : '';
  return inner + quick;
}

function entryHtml(userId: string, entry: ChatEntry, latest: boolean): string {
  if (entry.from === 'bot') {
    const { sent } = entry;
    return (
      `<li class="bot" data-kind="${e(sent.kind)}" data-message-type="${e(String(sent.message.type))}">` +
      `<div class="bubble">${messageHtml(userId, sent.message, latest)}</div>` +
      `<span class="meta">${e(sent.kind)} · ${time(entry.at)}</span></li>`
    );
  }
  if (entry.from === 'user') {
    return `<li class="user"><div class="bubble"><p>${e(entry.text)}</p></div><span class="meta">${time(entry.at)}</span></li>`;
  }
  return `<li class="system">${e(entry.text)} <span class="meta">${time(entry.at)}</span></li>`;
}

function deliveryHtml(d: WebhookDelivery): string {
  const types = d.events.map((ev) => ev.type).join(', ') || 'verification';
  const ok = d.status !== undefined && d.status >= 200 && d.status < 300;
  const outcome = d.status !== undefined ? `HTTP ${d.status}` : e(d.error ?? 'no answer');
  const redeliver = ok
    ? ''
    : `<form method="post" action="/_emulator/webhook/redeliver"><input type="hidden" name="id" value="${d.id}">` +
      `<button class="small">Redeliver</button></form>`;
  return `<li class="${ok ? 'ok' : 'failed'}">#${d.id} ${e(types)}${d.redelivery ? ' (redelivery)' : ''} → ${outcome}${redeliver}</li>`;
}

/** `/_emulator/richmenu/{richMenuId}/image`: a menu's image for the chat page (no token needed). */
export function richMenuImagePath(richMenuId: string): string {
  return `/_emulator/richmenu/${encodeURIComponent(richMenuId)}/image`;
}

/**
 * The rich menu as the LINE app shows it under the chat: its image with each area a tappable
 * region (a postback area sends the postback event, a message area sends its text as the user),
 * and the chat bar's text.
 */
function richMenuHtml(userId: string, menu: StoredRichMenu): string {
  const pct = (n: number, of: number) => `${((n / of) * 100).toFixed(3)}%`;
  const areas = menu.areas
    .map((area, i) => {
      const { x, y, width, height } = area.bounds;
      const style =
        `left:${pct(x, menu.size.width)};top:${pct(y, menu.size.height)};` +
        `width:${pct(width, menu.size.width)};height:${pct(height, menu.size.height)}`;
      return `<div class="area" data-area="${i}" style="${style}">${action(userId, area.action, `Area ${i + 1}`)}</div>`;
    })
    .join('');
  const image = menu.image
    ? `<img alt="${e(menu.name)}" src="${e(richMenuImagePath(menu.richMenuId))}">`
    : `<div class="no-image">${e(menu.name)}</div>`;
  return (
    `<section id="rich-menu" data-rich-menu-id="${e(menu.richMenuId)}" data-rich-menu-name="${e(menu.name)}">` +
    `<div class="menu" style="aspect-ratio:${menu.size.width}/${menu.size.height}">${image}${areas}</div>` +
    `<p class="chat-bar">${e(menu.chatBarText)} ▾</p></section>`
  );
}

/** The chat page. */
export function chatPage(model: ChatPageModel): AppResponse {
  const nonce = randomBytes(16).toString('base64');
  const { userId } = model;
  const last = model.entries.length - 1;
  const entries = model.entries.map((entry, i) => entryHtml(userId, entry, i === last)).join('\n');
  const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>LINE chat (emulator) — ${e(model.displayName)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#e9edf2}
main{max-width:28rem;margin:0 auto;min-height:100vh;background:#8cabd9;display:flex;flex-direction:column}
header{background:#263238;color:#fff;padding:.6rem .9rem}
header h1{font-size:1rem;margin:0}
header p{margin:.2rem 0 0;font-size:.8rem;color:#cfd8dc}
.badge{display:inline-block;padding:0 .4rem;border-radius:4px;font-size:.75rem;margin-left:.3rem}
.badge.friend{background:#06c755;color:#fff}.badge.not-friend{background:#b0bec5;color:#263238}
.controls{display:flex;gap:.4rem;padding:.5rem .9rem;background:#37474f}
.controls form{margin:0}
button{font:inherit;border:0;border-radius:6px;padding:.35rem .8rem;cursor:pointer}
button.primary{background:#06c755;color:#fff}button.danger{background:#e53935;color:#fff}
button[disabled]{opacity:.5;cursor:default}
ol#chat{list-style:none;margin:0;padding:.8rem;flex:1}
ol#chat li{margin:.5rem 0;display:flex;flex-direction:column}
li.bot{align-items:flex-start}li.user{align-items:flex-end}
li.system{align-items:center;font-size:.75rem;color:#fff}
.bubble{background:#fff;border-radius:14px;padding:.5rem .8rem;max-width:85%;word-break:break-word}
li.user .bubble{background:#85e249}
.bubble p{margin:.2rem 0;white-space:pre-wrap}.bubble .title{font-weight:bold}
.bubble img{max-width:100%}
.card{border-bottom:1px solid #eee;padding-bottom:.3rem;margin-bottom:.3rem}
.actions{display:flex;flex-direction:column;gap:.3rem;margin-top:.4rem}
.actions.quick{flex-direction:row;flex-wrap:wrap}
.actions form{margin:0}
.action{display:block;text-align:center;background:#f1f3f4;color:#0a66c2;border-radius:8px;padding:.4rem .6rem;text-decoration:none;width:100%;box-sizing:border-box}
.meta{font-size:.7rem;color:#eceff1;margin-top:.1rem}
form.send{display:flex;gap:.4rem;padding:.5rem;background:#fff}
form.send input{flex:1;font:inherit;padding:.35rem}
#rich-menu{background:#fff;border-top:1px solid #ccc}
#rich-menu .menu{position:relative;width:100%}
#rich-menu img{display:block;width:100%;height:100%}
#rich-menu .no-image{position:absolute;inset:0;display:flex;align-items:center;justify-content:center;background:#eceff1}
#rich-menu .area{position:absolute;outline:1px dashed rgba(0,0,0,.35)}
#rich-menu .area form,#rich-menu .area .action{margin:0;width:100%;height:100%;opacity:0}
#rich-menu .area:hover{background:rgba(255,255,255,.25)}
#rich-menu .chat-bar{margin:0;text-align:center;font-size:.8rem;padding:.3rem;color:#37474f}
.flash{background:#fff3cd;margin:0;padding:.4rem .9rem;font-size:.85rem}
details{background:#fff;font-size:.75rem;padding:.3rem .9rem}
details ul{padding-left:1rem}details li.failed{color:#c62828}
details form{display:inline;margin-left:.4rem}button.small{padding:0 .4rem;font-size:.75rem}
</style>
</head>
<body>
<main>
<header>
<h1>${e(model.accountName)} <span id="friend-status" class="badge ${model.friend ? 'friend' : 'not-friend'}">${model.friend ? 'friend' : 'not a friend'}</span></h1>
<p>Chat of <strong id="user-name">${e(model.displayName)}</strong> <code>${e(userId)}</code></p>
</header>
<div class="controls">
<form method="post" action="${e(chatPath(userId, 'follow'))}"><button id="follow" class="primary"${model.friend ? ' disabled' : ''}>Add friend (follow)</button></form>
<form method="post" action="${e(chatPath(userId, 'unfollow'))}"><button id="unfollow" class="danger"${model.friend ? '' : ' disabled'}>Block (unfollow)</button></form>
</div>
${model.flash ? `<p class="flash" id="flash">${e(model.flash)}</p>` : ''}
<ol id="chat">
${entries}
</ol>
<form class="send" method="post" action="${e(chatPath(userId, 'message'))}">
<input id="text" name="text" placeholder="Send a message" autocomplete="off" required maxlength="5000">
<button id="send" class="primary">Send</button>
</form>
${model.richMenu ? richMenuHtml(userId, model.richMenu) : ''}
<details><summary>Webhook deliveries (${model.deliveries.length})</summary><ul id="deliveries">${model.deliveries.map(deliveryHtml).join('')}</ul></details>
</main>
<script nonce="${nonce}">
// Messages the service pushes later (or replies to slowly) appear without a manual reload.
const seen = ${JSON.stringify(`${model.entries.length}:${model.friend}:${model.richMenu?.richMenuId ?? ''}`)};
// A reload while a form post is under way would cancel its navigation: stop polling then.
let leaving = false;
document.addEventListener('submit', () => (leaving = true));
addEventListener('beforeunload', () => (leaving = true));
setInterval(async () => {
  if (leaving) return;
  try {
    const res = await fetch(${JSON.stringify(chatPath(userId, 'state'))}, { cache: 'no-store' });
    const state = await res.json();
    if (!leaving && state.entries.length + ':' + state.friend + ':' + (state.richMenuId ?? '') !== seen && document.activeElement?.id !== 'text') location.reload();
  } catch {}
}, 1500);
</script>
</body>
</html>
`;
  return html(200, body, {
    'content-security-policy':
      `default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: data:; script-src 'nonce-${nonce}'; ` +
      "connect-src 'self'; form-action 'self'; frame-ancestors 'none'",
    'referrer-policy': 'no-referrer',
  });
}

/** A small error page in the same style as the other emulator pages. */
export function emulatorErrorPage(status: number, title: string, message: string): AppResponse {
  return html(
    status,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${e(title)}</title></head>` +
      `<body><h1>${e(title)}</h1><p id="error">${e(message)}</p></body></html>`,
  );
}
