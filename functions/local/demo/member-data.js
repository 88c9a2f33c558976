// Section "Link by member data" (patterns 2 and 3) and the caller's history.
import { callApi, config, lineToken, on } from './demo.js';

const $ = (id) => document.getElementById(id);
const LABELS = { birthDate: 'Birth date', postalCode: 'Postal code', phone: 'Phone number' };
const factors = config.memberFactors ?? ['birthDate', 'postalCode'];

for (const name of factors) {
  const label = document.createElement('label');
  label.textContent = LABELS[name] ?? name;
  const input = document.createElement('input');
  input.id = `md-${name}`;
  label.append(input);
  $('md-factors').append(label);
}

const members = config.companyEmulator
  ? (await (await fetch(`${config.companyEmulator}/_emulator/members`)).json()).members
  : [];
$('md-fill').add(new Option(members.length ? '(choose a member)' : '(no company emulator)', ''));
for (const member of members)
  $('md-fill').add(new Option(`${member.memberId} ${member.name}`, member.memberId));
$('md-fill').addEventListener('change', () => {
  const member = members.find((m) => m.memberId === $('md-fill').value);
  if (!member) return;
  $('md-member').value = member.memberId;
  for (const name of factors) $(`md-${name}`).value = member[name] ?? '';
});

const body = () => ({
  memberId: $('md-member').value,
  factors: Object.fromEntries(factors.map((name) => [name, $(`md-${name}`).value])),
});

on('md-record', async (button) =>
  callApi('POST', '/links/by-record', { button, token: await lineToken(), json: body() }),
);
on('md-api', async (button) =>
  callApi('POST', '/links/by-api', { button, token: await lineToken(), json: body() }),
);
on('history-get', async (button) =>
  callApi('GET', '/links/me/history', { button, token: await lineToken() }),
);
